"""A bank's side: receipts, offline bundles, its own replica, and the numbered checks.

The bank trusts one thing, the chain's genesis hash (DESIGN §2). It takes the registry's signed
export (``ecert registry export``, :func:`registry.snapshot.export_snapshot`) into its own
:class:`vc_core.replica.Replica`, which verifies every block from that genesis; then it checks
each credential with :func:`vc_core.verification.check_credential` (DESIGN §5 steps 0–8: the
proof with the issuer's key as of the anchor time, key and accreditation at that time, anchor,
status, validity period, freshness), with no network and without the office. A wallet's offline
bundle gets the same steps from :func:`vc_core.verification.check_bundle`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ecert.story.chain import Registry
from registry.receipts import anchor_receipt
from registry.snapshot import export_snapshot
from registry.status_lists import status_list_credential
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
from vc_core.dataintegrity import verify_proofs
from vc_core.did import did_key
from vc_core.did_resolver import DidEcertResolver
from vc_core.errors import TrustError, VCError
from vc_core.keys import PublicKey
from vc_core.ledger import Block, Checkpoint, LedgerReader
from vc_core.replica import Replica, SnapshotSource, SyncResult
from vc_core.status_list import LIST_SIZE, StatusResult, read_status, status_entries
from vc_core.verification import FreshnessPolicy, VerificationReport, check_bundle, check_credential

BANK_POLICY = FreshnessPolicy(max_age=timedelta(minutes=15))
# A wallet shows a bundle offline, days after its checkpoint; the bundle cannot speak for later.
WALLET_POLICY = FreshnessPolicy(max_age=timedelta(days=7))


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


def bundle_facts(text: str, genesis_hash: str) -> BundleFacts:
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


def check_proof(
    reader: LedgerReader,
    credential: dict[str, Any],
    *,
    anchored_at: datetime,
    now: datetime,
    contexts: LocalContexts,
) -> str:
    """``verified``, or the stable code of the first proof failure (fail closed, at ``now``),
    with the key resolved from the chain as it stood at ``anchored_at`` (only ``did:ecert``).

    For a copy whose digest is on no anchor, the anchor time of the receipt shown with it."""
    resolver = DidEcertResolver(reader, anchored_at, fallback=None)
    try:
        verify_proofs(credential, now=now, contexts=contexts, resolver=resolver)
    except VCError as exc:
        return exc.code
    return "verified"


def bank_check(
    replica: Replica, credential: dict[str, Any], now: datetime, as_of: datetime | None = None
) -> VerificationReport:
    """DESIGN §5 steps 0–8 against the bank's own replica at ``now`` (status and validity as of
    ``as_of`` when given), with a bank's freshness policy (the replica's head at most 15 minutes
    old), by :func:`vc_core.verification.check_credential`: what ``ecert verify`` runs too."""
    return check_credential(
        credential,
        reader=replica,
        now=now,
        as_of=as_of,
        policy=BANK_POLICY,
        source="the bank's replica",
    )


def bundle_check(text: str, genesis_hash: str, now: datetime) -> VerificationReport:
    """The same steps from an offline bundle alone (as a wallet would, with no network)."""
    return check_bundle(text, genesis_hash=genesis_hash, now=now, policy=WALLET_POLICY)


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
