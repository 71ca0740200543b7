"""Offline bundles: a credential with everything needed to check it against the chain, offline.

An :class:`OfflineBundle` holds the secured credential, its :class:`AnchorReceipt`, a signed
checkpoint, and the chain **facts** that bear on it: the committed transactions, each with its
RFC 6962 path to a producer-signed block header (:class:`ProvenTx`). The facts are, in chain
order: the genesis; every ``council.update``; every accreditation change of the issuing office;
its ``key.*`` transactions; and the status events of this credential. :func:`collect_facts`
picks them from blocks; :func:`build_bundle` assembles a bundle.

:func:`verify_bundle` needs only the trusted genesis hash (DESIGN §2) and no network at all:

0. The first fact is the genesis transaction, in block 0, whose header hash is the trusted one.
1. Each fact (and the receipt's anchor, at its place) comes in strict chain order; its header is
   of this chain, signed by the producer in force at its height (the genesis names the first;
   a ``council.update`` naming a new one takes effect from the next block), and its hash's path
   leads to that header's ``tx_root``.
2. The facts are folded with the ledger's own rules (:data:`vc_core.ledger.fold.HANDLERS`,
   after the authors' signatures): council thresholds, office keys active when they signed, and
   the anchor itself — so the anchor's key was active and its office accredited at the anchor
   time, by the ledger's rules, or the bundle fails.
3. The receipt links the credential to its block (:func:`verify_receipt`).
4. The checkpoint is of this chain, at or above every fact, signed by the producer in force.

What a bundle cannot do (read this before relying on one):

- It proves that the facts it carries are on chain; it cannot prove that nothing else is. A
  key compromise, an office suspension, or a status event that the bundle omits — before or
  after its checkpoint — is invisible to it. Its answers are "as of the checkpoint, by the facts
  its builder included": build it from a replica or registry you trust, and when a network is
  available, check online (a replica) instead. :meth:`BundleFacts.status` refuses a time after
  the checkpoint with "could not check".
- Headers are not linked to each other or to the checkpoint by hash (that would take every
  header in between); each stands on the producer's signature. A producer that signs two
  histories is caught by replicas and ``ecert registry audit``, not by a bundle. If a bundle
  omits a ``council.update`` that replaced the producer, later headers fail (fail closed) —
  unless the former producer's key signs them, which only a replica would notice.
- Size: about 1 KB per fact plus the receipt, which carries its anchor transaction and so
  every published leaf of the batch (see :mod:`vc_core.anchoring.receipt`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any, ClassVar, Final, Literal

from pydantic import Field

from vc_core.anchoring.receipt import (
    MAX_RECEIPT_BYTES,
    AnchorReceipt,
    CanonicalModel,
    ChainFacts,
    ReceiptCode,
    ReceiptError,
    TxProof,
    check_header,
    check_signature,
    credential_digest,
    verify_receipt,
)
from vc_core.errors import RegistryError, VerificationError
from vc_core.ledger import (
    AccreditBody,
    Block,
    BlockHeader,
    Checkpoint,
    CouncilUpdateBody,
    GenesisBody,
    IssuerSuspendBody,
    IssuerWithdrawBody,
    KeyCompromisedBody,
    LedgerState,
    StatusBody,
    Transaction,
    verify_signatures,
)
from vc_core.ledger.errors import LedgerRuleError, RuleCode
from vc_core.ledger.fold import HANDLERS
from vc_core.ledger.records import Accreditation, CredentialStatus, KeyRecord
from vc_core.ledger.rules import effective_time
from vc_core.ledger.sigs import SIGNATURE_PATTERN
from vc_core.ledger.state import status_keys
from vc_core.transparency.merkle import MerkleProofError, MerkleTree, hash_leaf, verify_inclusion

BUNDLE_FORMAT: Final = "ecert-offline-bundle/1"
_OFFICE_TYPES = frozenset({"issuer.accredit", "issuer.suspend", "issuer.withdraw"})
_KEY_TYPES = frozenset({"key.add", "key.retire"})


class BundleCode(StrEnum):
    """Stable codes of :class:`BundleError`."""

    GENESIS_MISMATCH = "BUNDLE_GENESIS_MISMATCH"
    FACTS_OUT_OF_ORDER = "BUNDLE_FACTS_OUT_OF_ORDER"
    FACT_NOT_IN_BLOCK = "BUNDLE_FACT_NOT_IN_BLOCK"
    FACTS_INCONSISTENT = "BUNDLE_FACTS_INCONSISTENT"
    CHECKPOINT_INVALID = "BUNDLE_CHECKPOINT_INVALID"
    BEYOND_CHECKPOINT = "BUNDLE_BEYOND_CHECKPOINT"


class BundleError(VerificationError):
    """An offline bundle does not hold together (``code`` says where); see also ReceiptError."""

    default_code = BundleCode.FACTS_INCONSISTENT


class ProvenTx(CanonicalModel):
    """A committed transaction, its path to its block's ``tx_root``, and the signed header."""

    tx: Transaction
    inclusion: TxProof
    header: BlockHeader
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class OfflineBundle(CanonicalModel):
    """A credential, its receipt, a signed checkpoint and the chain facts that cover it."""

    format: Literal["ecert-offline-bundle/1"] = BUNDLE_FORMAT
    credential: dict[str, Any]
    receipt: AnchorReceipt
    checkpoint: Checkpoint
    facts: tuple[ProvenTx, ...] = Field(min_length=1)

    max_bytes: ClassVar[int] = MAX_RECEIPT_BYTES + 16 * 1024 * 1024


@dataclass(frozen=True)
class BundleFacts:
    """What a verified bundle says, as of its checkpoint (DESIGN §5 steps 3, 4, 6)."""

    office: str
    anchored_at: datetime
    anchor_key: str
    checkpoint: Checkpoint
    credential_id: str | None
    status_index: int | None
    _state: LedgerState

    def key(self, public_multikey: str) -> KeyRecord | None:
        """A key of the issuing office, with its validity window (``state_at(T)``)."""
        record = self._state.key(public_multikey)
        return record if record is not None and record.office == self.office else None

    def accreditation(self, at: datetime | None = None) -> Accreditation | None:
        """The office's accreditation at ``at`` (default: the anchor time)."""
        return self._state.accreditation(self.office, at or self.anchored_at)

    def status(self, as_of: datetime | None = None) -> CredentialStatus:
        """The credential's status as of ``as_of`` (default and latest: the checkpoint time).

        Raises:
            RegistryError: ``BUNDLE_BEYOND_CHECKPOINT`` — the bundle cannot speak for a time after
                its checkpoint ("could not check").
        """
        at = as_of or self.checkpoint.time
        if at > self.checkpoint.time:
            raise RegistryError(
                f"the bundle's checkpoint is at {self.checkpoint.time}; check online for later",
                code=BundleCode.BEYOND_CHECKPOINT,
            )
        return self._state.credential_status(
            self.office, credential_id=self.credential_id, status_index=self.status_index, as_of=at
        )


def verify_bundle(bundle: OfflineBundle, *, genesis_hash: str) -> BundleFacts:
    """Check a bundle with no network, trusting only ``genesis_hash`` (steps: module docstring).

    Raises:
        BundleError: a ``BUNDLE_*`` code for the facts or the checkpoint.
        ReceiptError: a ``RECEIPT_*`` code for the receipt or a fact's header.
    """
    # (0) Block 0 is authentic because its header hash is the one the verifier trusts.
    genesis = bundle.facts[0]
    body = genesis.tx.body
    trusted = genesis.header.height == 0 and genesis.header.hash == genesis_hash
    if not trusted or not isinstance(body, GenesisBody):
        raise BundleError(
            "the first fact is not the trusted genesis", code=BundleCode.GENESIS_MISMATCH
        )
    facts = ChainFacts(chain_id=genesis.header.chain_id, producers=((0, body.producer),))
    state = LedgerState.empty(facts.chain_id)
    receipt = bundle.receipt
    anchor = ProvenTx(
        tx=receipt.anchor_tx,
        inclusion=receipt.tx_inclusion,
        header=receipt.header,
        signature=receipt.signature,
    )
    # (1) chain order; (1)-(3) each fact's header and path, then the ledger's rules.
    ordered = _in_chain_order(bundle.facts, anchor)
    for fact in ordered:
        if fact is anchor:
            verify_receipt(receipt, bundle.credential, facts)
        else:
            _check_fact(fact, facts)
        state = _fold(state, fact.tx, fact.header.time)
        facts = _next_producer(facts, fact)
    # (4) the checkpoint covers every fact and is signed by the producer in force.
    _check_checkpoint(bundle.checkpoint, facts, ordered[-1].header.height)
    return _answers(bundle, state)


def _in_chain_order(facts: Iterable[ProvenTx], anchor: ProvenTx) -> list[ProvenTx]:
    """The facts with the anchor merged in at its place, checked to be in strict chain order
    (block height, then position in the block) before anything is folded.

    Raises:
        BundleError: ``BUNDLE_FACTS_OUT_OF_ORDER`` (a fact out of place, or listed twice).
    """
    listed = list(facts)
    where = (anchor.header.height, anchor.inclusion.index)
    at = next(
        (i for i, f in enumerate(listed) if (f.header.height, f.inclusion.index) > where),
        len(listed),
    )
    ordered = [*listed[:at], anchor, *listed[at:]]
    places = [(f.header.height, f.inclusion.index) for f in ordered]
    if any(a >= b for a, b in pairwise(places)):
        raise BundleError("the facts are not in chain order", code=BundleCode.FACTS_OUT_OF_ORDER)
    return ordered


def _check_fact(fact: ProvenTx, facts: ChainFacts) -> None:
    header = fact.header
    if fact.inclusion.tree_size != header.tx_count:
        raise BundleError(
            "a fact's path is for another block size", code=BundleCode.FACT_NOT_IN_BLOCK
        )
    proof = [bytes.fromhex(p) for p in fact.inclusion.path]
    leaf = hash_leaf(bytes.fromhex(fact.tx.hash))
    try:
        verify_inclusion(
            leaf, fact.inclusion.index, header.tx_count, proof, bytes.fromhex(header.tx_root)
        )
    except MerkleProofError as exc:
        raise BundleError(
            f"transaction {fact.tx.hash} is not in block {header.height}",
            code=BundleCode.FACT_NOT_IN_BLOCK,
        ) from exc
    check_header(header, fact.signature, facts)


def _fold(state: LedgerState, tx: Transaction, block_time: datetime) -> LedgerState:
    """Apply one fact with the ledger's own rules, skipping only the sequence and time-window
    checks (a bundle holds a subset of each author's transactions, already placed in blocks);
    a council fact with ``expires`` takes effect at its block's time, as in the fold."""
    try:
        if tx.chain_id != state.chain_id:
            raise LedgerRuleError("a fact of another chain", code=RuleCode.WRONG_CHAIN_ID)
        verify_signatures(tx)
        return HANDLERS[tx.type](state, tx, effective_time(tx, block_time))
    except LedgerRuleError as exc:
        raise BundleError(
            f"the facts do not hold together at {tx.type} {tx.hash}: {exc.message}",
            code=BundleCode.FACTS_INCONSISTENT,
            details={"rule": exc.code, "tx": tx.hash},
        ) from exc


def _next_producer(facts: ChainFacts, fact: ProvenTx) -> ChainFacts:
    body = fact.tx.body
    if not isinstance(body, CouncilUpdateBody) or body.producer is None:
        return facts
    producers = (*facts.producers, (fact.header.height + 1, body.producer))
    return ChainFacts(chain_id=facts.chain_id, producers=producers)


def _check_checkpoint(checkpoint: Checkpoint, facts: ChainFacts, last_height: int) -> None:
    code = BundleCode.CHECKPOINT_INVALID
    if checkpoint.chain_id != facts.chain_id or checkpoint.height < last_height:
        raise BundleError("the checkpoint does not cover the facts", code=code)
    producer = facts.producer_at(checkpoint.height)
    if producer is None or checkpoint.signer != producer:
        raise BundleError("the checkpoint is not by the chain's producer", code=code)
    try:
        check_signature(producer, checkpoint.signing_bytes, checkpoint.signature, code)
    except ReceiptError as exc:
        raise BundleError("the checkpoint's signature does not verify", code=code) from exc


def _answers(bundle: OfflineBundle, state: LedgerState) -> BundleFacts:
    receipt = bundle.receipt
    credential_id, status_index = credential_status_keys(bundle.credential)
    return BundleFacts(
        office=receipt.office,
        anchored_at=receipt.anchored_at,
        anchor_key=receipt.anchor_tx.signers[0],
        checkpoint=bundle.checkpoint,
        credential_id=credential_id,
        status_index=status_index,
        _state=state,
    )


def credential_status_keys(credential: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The credential's ``id`` and its first ``credentialStatus`` entry's ``statusListIndex``,
    the two names its status events on chain may carry."""
    cid = credential.get("id")
    entry = credential.get("credentialStatus")
    if isinstance(entry, list):
        entry = entry[0] if entry else None
    index = entry.get("statusListIndex") if isinstance(entry, dict) else None
    status_index = int(index) if isinstance(index, str) and index.isdigit() else None
    return (cid if isinstance(cid, str) else None), status_index


def collect_facts(
    blocks: Iterable[Block], *, office: str, credential: Mapping[str, Any], up_to: int
) -> list[ProvenTx]:
    """The facts a bundle for ``office``'s ``credential`` needs, from blocks ``0…up_to``.

    ``blocks`` must start at block 0 and come in order (e.g. pages of a registry or a replica).
    """
    credential_id, status_index = credential_status_keys(credential)
    wanted = set(status_keys(office, credential_id, status_index))
    out: list[ProvenTx] = []
    for block in blocks:
        if block.height > up_to:
            break
        chosen = [
            i
            for i, tx in enumerate(block.transactions)
            if _relevant(tx, office, wanted) or block.height == 0
        ]
        if chosen:
            tree = MerkleTree([bytes.fromhex(tx.hash) for tx in block.transactions])
            out.extend(_proven(block, tree, i) for i in chosen)
    return out


def _relevant(tx: Transaction, office: str, wanted: set[tuple[str, str]]) -> bool:
    body = tx.body
    if isinstance(body, CouncilUpdateBody):
        return True
    if tx.type in _OFFICE_TYPES:
        return isinstance(body, AccreditBody | IssuerSuspendBody | IssuerWithdrawBody) and (
            body.office == office
        )
    if tx.type in _KEY_TYPES:
        return tx.author == office
    if isinstance(body, KeyCompromisedBody):
        return body.office == office
    if isinstance(body, StatusBody) and tx.author == office:
        return bool(wanted & set(status_keys(office, body.credential_id, body.status_index)))
    return False


def _proven(block: Block, tree: MerkleTree, index: int) -> ProvenTx:
    return ProvenTx(
        tx=block.transactions[index],
        inclusion=TxProof(
            index=index,
            tree_size=tree.size,
            path=tuple(p.hex() for p in tree.inclusion_proof(index)),
        ),
        header=block.header,
        signature=block.signature,
    )


def build_bundle(
    credential: Mapping[str, Any],
    receipt: AnchorReceipt,
    checkpoint: Checkpoint,
    blocks: Iterable[Block],
) -> OfflineBundle:
    """A bundle for ``credential`` from the chain's ``blocks`` (block 0 first), up to the
    checkpoint's height. The result is not verified here; :func:`verify_bundle` does that.

    Raises:
        ReceiptError: the receipt is not this credential's.
    """
    if credential_digest(credential) != receipt.leaf:
        raise ReceiptError("the receipt is for another credential", code=ReceiptCode.LEAF_MISMATCH)
    facts = collect_facts(
        blocks, office=receipt.office, credential=credential, up_to=checkpoint.height
    )
    return OfflineBundle(
        credential=dict(credential), receipt=receipt, checkpoint=checkpoint, facts=tuple(facts)
    )
