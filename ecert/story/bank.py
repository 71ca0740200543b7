"""A bank's side: receipts, offline bundles, its own replica, and one check per credential.

The bank trusts one thing, the chain's genesis hash (DESIGN §2). It takes the registry's signed
export (``ecert registry export``, :func:`registry.snapshot.export_snapshot`) into its own
:class:`vc_core.replica.Replica`, which verifies every block from that genesis; then it checks
each credential with no network and without the office:

1. anchor: the credential's digest is a leaf the chain anchored (the anchor time is its block's);
2. proof: :func:`vc_core.dataintegrity.verify_proofs` (fail closed, at ``now``) with the key
   resolved by :class:`vc_core.did_resolver.DidEcertResolver` *at the anchor time*;
3. key and accreditation: the office's key was active, and the office accredited for this type
   and the subject's region, at the anchor time;
4. status as of ``now``, and the validity period at ``now``.

This composes vc_core's parts; the verifier's own numbered report with stable codes for every
step (DESIGN §5) is issue 9, not built yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ecert.story.chain import Registry
from registry.receipts import anchor_receipt
from registry.snapshot import export_snapshot
from registry.status_lists import LIST_SIZE, status_list_credential
from vc_core.anchoring import (
    AnchorReceipt,
    BundleFacts,
    ChainFacts,
    OfflineBundle,
    build_bundle,
    credential_digest,
    verify_bundle,
    verify_receipt,
)
from vc_core.canon import LocalContexts
from vc_core.credential_types import credential_type_of, subject_region
from vc_core.dataintegrity import verify_proofs
from vc_core.did import did_key
from vc_core.did_resolver import DidEcertResolver
from vc_core.errors import TrustError, VCError
from vc_core.keys import PublicKey
from vc_core.ledger import Block, Checkpoint, LedgerReader
from vc_core.models import Credential
from vc_core.replica import Replica, SnapshotSource, SyncResult
from vc_core.status_list import StatusResult, read_status, status_entries


def receipt_for(registry: Registry, credential: dict[str, Any]) -> AnchorReceipt:
    """The receipt the node serves at ``GET /receipts/{leaf}``, read back from its one byte form."""
    receipt = anchor_receipt(ledger=registry.ledger, leaf=credential_digest(credential))
    return AnchorReceipt.from_json(receipt.to_json())


def check_receipt(receipt: AnchorReceipt, credential: dict[str, Any], genesis: Block) -> None:
    """Offline: digest → batch root → signed anchor tx → block → producer named by the genesis."""
    verify_receipt(receipt, credential, ChainFacts.from_genesis(genesis))


def _blocks(registry: Registry) -> Iterator[Block]:
    for height in range(registry.ledger.head().height + 1):
        yield registry.ledger.block(height)


def bundle_for(
    registry: Registry, credential: dict[str, Any], receipt: AnchorReceipt, checkpoint: Checkpoint
) -> str:
    """An :class:`OfflineBundle` as its canonical JSON (what a wallet would keep)."""
    return build_bundle(credential, receipt, checkpoint, _blocks(registry)).to_json()


def check_bundle(text: str, genesis_hash: str) -> BundleFacts:
    """Offline, trusting only the genesis hash: every fact, the receipt and the checkpoint."""
    return verify_bundle(OfflineBundle.from_json(text), genesis_hash=genesis_hash)


def sync_replica(replica: Replica, registry: Registry, folder: Path, now: datetime) -> SyncResult:
    """The registry's signed export at ``now``, verified block by block into the bank's replica."""
    path = folder / f"export-{now:%Y%m%dT%H%M%S}.jsonl"
    export_snapshot(
        engine=registry.ledger.engine,
        node_key=registry.producer,
        genesis_hash=registry.genesis_hash,
        out=path,
        now=now,
    )
    return replica.sync([SnapshotSource(path)], now=now)


@dataclass(frozen=True)
class Check:
    """What the bank found, step by step, and the first failure as its verdict."""

    anchored_at: datetime | None = None
    proof: str = "-"
    key_state: str = "-"
    accredited: str = "-"
    status: str = "-"
    status_reason: str | None = None
    period: str = "-"
    verdict: str = "valid"


def check_proof(
    reader: LedgerReader,
    credential: dict[str, Any],
    *,
    anchored_at: datetime,
    now: datetime,
    contexts: LocalContexts,
) -> str:
    """``verified``, or the stable code of the first proof failure (fail closed, at ``now``),
    with the key resolved from the chain as it stood at the anchor time (only ``did:ecert``)."""
    resolver = DidEcertResolver(reader, anchored_at, fallback=None)
    try:
        verify_proofs(credential, now=now, contexts=contexts, resolver=resolver)
    except VCError as exc:
        return exc.code
    return "verified"


def check_credential(
    reader: LedgerReader, credential: dict[str, Any], now: datetime, contexts: LocalContexts
) -> Check:
    """Steps 1–4 of the module docstring against the bank's replica, at ``now``."""
    found = reader.leaf_anchor(credential_digest(credential))
    if found is None:
        return Check(verdict="not anchored")
    at, office = found.batch.time, found.batch.office
    proof = check_proof(reader, credential, anchored_at=at, now=now, contexts=contexts)
    if proof != "verified":
        return Check(anchored_at=at, proof=proof, verdict=proof)
    key = reader.key(_method_key(credential))
    key_state = "unknown" if key is None or key.office != office else key.state_at(at)
    accredited = _accreditation(reader, office, credential, at)
    status = reader.credential_status(
        office, credential_id=credential.get("id"), status_index=_index(credential), as_of=now
    )
    words = "revoked" if status.revoked else "suspended" if status.suspended else "not revoked"
    period = _period(Credential.from_dict(credential), now)
    failures = [
        f"key {key_state}" if key_state != "active" else None,
        f"office {accredited}" if accredited != "yes" else None,
        words if not status.valid else None,
        period if period != "current" else None,
    ]
    return Check(
        anchored_at=at,
        proof=proof,
        key_state=key_state,
        accredited=accredited,
        status=words,
        status_reason=status.revocation_reason or status.suspension_reason,
        period=period,
        verdict=next((f for f in failures if f is not None), "valid"),
    )


def _method_key(credential: dict[str, Any]) -> str:
    """The key named by the (verified) proof's verification method: its fragment."""
    proof = credential.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    return method.partition("#")[2] if isinstance(method, str) else ""


def _accreditation(
    reader: LedgerReader, office: str, credential: dict[str, Any], at: datetime
) -> str:
    record = reader.accreditation(office, at)
    if record is None or not record.allows_issuing(at):
        return "not accredited"
    if not record.covers(credential_type_of(credential), subject_region(credential)):
        return "not accredited for this type and region"
    return "yes"


def _index(credential: dict[str, Any]) -> int | None:
    entries = status_entries(credential)
    return entries[0].index if entries else None


def _period(credential: Credential, now: datetime) -> str:
    if credential.valid_from is not None and now < credential.valid_from:
        return "not yet valid"
    if credential.valid_until is not None and now >= credential.valid_until:
        return "expired"
    return "current"


def published_status(
    registry: Registry,
    reader: LedgerReader,
    credential: dict[str, Any],
    now: datetime,
    contexts: LocalContexts,
) -> StatusResult:
    """The credential's bit in the Bitstring Status List the registry publishes from the chain.

    The list is built by the node's own route function and signed by its key; the bank checks
    the proof and that the signer is the producer its replica's genesis names, then reads the
    entry (Bitstring Status List v1.0 §3.2).
    """
    entry = status_entries(credential)[0]
    office = credential["issuer"]
    listed = status_list_credential(
        reader=registry.ledger,
        office=office,
        purpose="revocation",
        n=entry.index // LIST_SIZE,
        list_url=entry.list_credential,
        node_key=registry.producer,
        now=now,
    )
    verify_proofs(listed, now=now, contexts=contexts)
    if listed["issuer"] != did_key(PublicKey.from_multibase(reader.council().producer)):
        raise TrustError("the status list is not signed by the chain's block producer")
    return read_status(entry, listed)
