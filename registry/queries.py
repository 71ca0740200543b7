"""What the chain says, for the read-only routes: DIDs, issuers, anchors and leaf receipts.

What the chain says comes through the :class:`~vc_core.ledger.LedgerReader` protocol only (the
ledger's committed head); where a block sits comes from the stored blocks. ``now`` and
``version_time`` are parameters.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine

from registry import store
from registry.ledger import EmbeddedLedger
from registry.schemas import AnchorPublic, IssuerPublic, LeafReceiptPublic
from registry.service import check_hex64, locate
from vc_core.errors import NotFoundError
from vc_core.ledger import AnchorBody, LedgerReader, Transaction
from vc_core.ledger import did_document as ledger_did_document
from vc_core.transparency.merkle import MerkleTree

OFFICE_DID_PREFIX = "did:ecert:"


def did_document(
    *, ledger: EmbeddedLedger, did: str, version_time: datetime | None
) -> dict[str, Any]:
    """The office's DID document derived from the chain (as of ``version_time`` if given).

    Raises:
        NotFoundError: not an office DID of this chain.
    """
    if not did.startswith(f"{OFFICE_DID_PREFIX}{ledger.chain_id}:"):
        raise NotFoundError(f"{did} is not a DID of chain {ledger.chain_id}", code="DID_NOT_FOUND")
    return ledger_did_document(ledger, did, version_time)


def issuers(*, reader: LedgerReader, now: datetime) -> list[IssuerPublic]:
    """Every office ever accredited, with its accreditation as of ``now`` and its keys."""
    out = []
    for office in reader.offices():
        acc = reader.accreditation(office, now)
        if acc is None:
            continue
        terms = acc.terms
        out.append(
            IssuerPublic(
                did=office,
                name=terms.name,
                uscc=terms.uscc,
                state=acc.state,
                accredited_at=acc.accredited_at,
                valid_from=terms.valid_from,
                valid_until=terms.valid_until,
                scopes=[s.model_dump(mode="json") for s in terms.scopes],
                keys=list(reader.office_keys(office)),
            )
        )
    return out


def anchor(*, ledger: EmbeddedLedger, root: str) -> AnchorPublic:
    """The anchor of a batch root, its block and its transaction's inclusion proof.

    Raises:
        NotFoundError: no batch with this root is anchored.
    """
    record = ledger.batch(check_hex64(root, field="root"))
    if record is None:
        raise NotFoundError(f"no batch {root} is anchored", code="ANCHOR_NOT_FOUND")
    found = store.find_tx(ledger.engine, record.tx_hash)
    if found is None:
        raise NotFoundError(f"no transaction {record.tx_hash}", code="TX_NOT_FOUND")
    block, inclusion = locate(engine=ledger.engine, height=found.height, position=found.position)
    return AnchorPublic(anchor=record, block=block, inclusion=inclusion)


def leaf_receipt(*, ledger: EmbeddedLedger, digest: str) -> LeafReceiptPublic:
    """Leaf index, audit path, batch root, block and transaction: a receipt for offline use.

    Raises:
        NotFoundError: the digest is not a published leaf of any anchored batch.
    """
    found = ledger.leaf_anchor(check_hex64(digest, field="digest"))
    if found is None:
        raise NotFoundError(f"leaf {digest} is not anchored", code="ANCHOR_NOT_FOUND")
    batch = found.batch
    location = store.find_tx(ledger.engine, batch.tx_hash)
    if location is None:
        raise NotFoundError(f"no transaction {batch.tx_hash}", code="TX_NOT_FOUND")
    tree = _batch_tree(ledger.engine, batch.tx_hash)
    block, inclusion = locate(
        engine=ledger.engine, height=location.height, position=location.position
    )
    header, signature = store.read_header(ledger.engine, location.height)
    return LeafReceiptPublic(
        leaf=digest,
        leaf_index=found.index,
        tree_size=tree.size,
        path=[p.hex() for p in tree.inclusion_proof(found.index)],
        batch_root=batch.batch_root,
        batch_id=batch.batch_id,
        office=batch.office,
        anchored_at=batch.time,
        tx_hash=batch.tx_hash,
        tx_inclusion=inclusion,
        block=block,
        header=header.to_dict(),
        signature=signature,
    )


@lru_cache(maxsize=64)
def _batch_tree(engine: Engine, tx_hash: str) -> MerkleTree:
    """The Merkle tree of an anchored batch, from its committed transaction's leaves."""
    found = store.find_tx(engine, tx_hash)
    body = None if found is None else Transaction.from_json(found.body).body
    if not isinstance(body, AnchorBody) or body.leaves is None:
        raise NotFoundError(f"transaction {tx_hash} publishes no leaves", code="ANCHOR_NOT_FOUND")
    return MerkleTree([bytes.fromhex(leaf) for leaf in body.leaves])
