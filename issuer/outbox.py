"""The anchoring outbox and the office's signed transactions, as database steps (no network).

Why an outbox: a credential and its leaf digest are committed in one database transaction
(:func:`add_leaf` adds the row; :func:`issuer.service.issue` commits), so a credential the API
returned is never forgotten by the anchoring, whatever crashes afterwards.

Why transactions are stored before they are sent: the registry keeps pending transactions in
memory only (``docs/adr/0001-pending-durability.md``), so a client resubmits until its
transaction is included. :func:`close_batch` takes the leaves, records the batch and stores its
signed ``anchor`` transaction in one database transaction; the worker then submits exactly that
transaction (same hash) until the registry reports it included, across restarts of either side.
A leaf belongs to at most one batch, so nothing is anchored twice, and the ledger itself refuses
a leaf anchored before (``LEAF_ALREADY_ANCHORED``).

Only one office transaction is in flight at a time (:func:`in_flight`): anchors and status
events share the office's sequence numbers, and one at a time keeps them in order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from issuer.auth import READ, Operator, authorize
from issuer.clock import stamp
from issuer.receipts import receipt_for
from issuer.tables import BatchRow, CredentialRow, OfficeTxRow, OutboxRow, StatusRequestRow
from vc_core.anchoring import credential_digest
from vc_core.errors import NotFoundError
from vc_core.ledger import Transaction

SIGNED, INCLUDED, REJECTED = "signed", "included", "rejected"
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]


def add_leaf(session: Session, credential: Mapping[str, Any], now: datetime) -> str:
    """Add ``credential``'s leaf (SHA-256 of its JCS, :func:`credential_digest`) to the outbox.

    Not committed here: the caller commits it with the credential row.
    """
    leaf = credential_digest(credential)
    session.add(OutboxRow(credential_id=credential["id"], leaf=leaf, created_at=stamp(now)))
    return leaf


def leaf_row(credential: Mapping[str, Any], created_at: str) -> dict[str, Any]:
    """The outbox row of ``credential`` as column values, for an insert that commits with the
    credential (:mod:`issuer.commits`)."""
    return {
        "credential_id": credential["id"],
        "leaf": credential_digest(credential),
        "created_at": created_at,
        "batch_id": None,
        "receipt": None,
    }


def due_leaves(
    session: Session, *, now: datetime, max_leaves: int, max_age_s: float
) -> list[OutboxRow]:
    """The next batch's leaves (oldest first), or ``[]`` while the batch is neither full nor old.

    A batch closes when ``max_leaves`` wait, or when the oldest waiting leaf is ``max_age_s``
    old (the issue's 1,024 leaves or 1 s by default).
    """
    # The worker asks many times a second: first the two facts that decide (the oldest waiting
    # leaf's time, and whether max_leaves wait), by index, before loading any row.
    waiting = col(OutboxRow.batch_id).is_(None)
    oldest = session.exec(
        select(OutboxRow.created_at).where(waiting).order_by(col(OutboxRow.id)).limit(1)
    ).first()
    if oldest is None:
        return []
    if oldest > stamp(now - timedelta(seconds=max_age_s)):
        full = session.exec(
            select(OutboxRow.id).where(waiting).order_by(col(OutboxRow.id)).offset(max_leaves - 1)
        ).first()
        if full is None:
            return []
    query = select(OutboxRow).where(waiting).order_by(col(OutboxRow.id)).limit(max_leaves)
    return list(session.exec(query))


def pending_count(session: Session) -> int:
    """How many leaves wait for a batch."""
    query = select(func.count()).select_from(OutboxRow).where(col(OutboxRow.batch_id).is_(None))
    return int(session.exec(query).one())


def in_flight(session: Session) -> OfficeTxRow | None:
    """The office transaction signed and not yet included or rejected (at most one)."""
    query = select(OfficeTxRow).where(OfficeTxRow.state == SIGNED).order_by(col(OfficeTxRow.id))
    return session.exec(query).first()


def store_tx(session: Session, kind: str, tx: Transaction, now: datetime) -> OfficeTxRow:
    """Add a signed transaction (not committed: the caller commits it with what it is for)."""
    row = OfficeTxRow(
        kind=kind,
        state=SIGNED,
        tx_hash=tx.hash,
        seq=tx.seq,
        created_at=stamp(now),
        document=tx.to_json(),
    )
    session.add(row)
    session.flush()
    return row


def close_batch(
    session: Session,
    leaves: Sequence[OutboxRow],
    *,
    batch_id: str,
    root: str,
    tx: Transaction,
    now: datetime,
) -> BatchRow:
    """Record the batch, its signed anchor transaction and its leaves, in one commit."""
    tx_row = store_tx(session, "anchor", tx, now)
    batch = BatchRow(
        id=batch_id,
        root=root,
        leaf_count=len(leaves),
        tx_id=tx_row.id,  # type: ignore[arg-type]  # set by the flush in store_tx
        created_at=stamp(now),
    )
    session.add(batch)
    session.flush()
    # One UPDATE for the batch's leaves (not one ORM change per row); the condition on
    # batch_id keeps a leaf in at most one batch.
    ids = [leaf.id for leaf in leaves]
    taken = session.connection().execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(ids), _OUTBOX.c.batch_id.is_(None))
        .values(batch_id=batch_id)
    )
    if taken.rowcount != len(ids):
        session.rollback()
        raise RuntimeError("a leaf of this batch was taken by another batch")
    for leaf in leaves:
        set_committed_value(leaf, "batch_id", batch_id)
    session.commit()
    return batch


def batch_of(session: Session, tx_row: OfficeTxRow) -> BatchRow | None:
    return session.exec(select(BatchRow).where(BatchRow.tx_id == tx_row.id)).first()


def batch_leaves(session: Session, batch_id: str, *, limit: int | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.batch_id == batch_id).order_by(col(OutboxRow.id))
    return list(session.exec(query.limit(limit)))


def replace_tx(
    session: Session, old: OfficeTxRow, new: Transaction, *, code: str, now: datetime
) -> None:
    """``old`` was refused for its sequence number (``code``: another transaction of the office
    took it, so ``old`` can never be included): ``new``, the same body re-signed, replaces it."""
    old.state, old.error_code = REJECTED, code
    session.add(old)
    row = store_tx(session, old.kind, new, now)
    if old.kind == "anchor":
        batch = session.exec(select(BatchRow).where(BatchRow.tx_id == old.id)).one()
        batch.tx_id = row.id  # type: ignore[assignment]
        session.add(batch)
    else:
        request = session.exec(
            select(StatusRequestRow).where(StatusRequestRow.tx_id == old.id)
        ).one()
        request.tx_id = row.id
        session.add(request)
    session.commit()


def mark_included(
    session: Session,
    tx_row: OfficeTxRow,
    *,
    height: int | None,
    inclusion: Any,
    receipts: Mapping[str, str],
    now: datetime,
    block_json: str | None = None,
    tx_position: int | None = None,
) -> None:
    """The transaction is in a block: store its inclusion and, for an anchor, the including
    block (receipts are built from it, :mod:`issuer.receipts`) and any ``receipts`` given per
    leaf (one commit)."""
    tx_row.state, tx_row.height = INCLUDED, height
    tx_row.inclusion = json.dumps(inclusion, separators=(",", ":"))
    session.add(tx_row)
    batch = batch_of(session, tx_row)
    if batch is not None:
        batch.anchored_at = stamp(now)
        batch.block, batch.tx_position = block_json, tx_position
        session.add(batch)
        for leaf in batch_leaves(session, batch.id) if receipts else ():
            leaf.receipt = receipts[leaf.leaf]
            session.add(leaf)
    for request in session.exec(
        select(StatusRequestRow).where(StatusRequestRow.tx_id == tx_row.id)
    ):
        request.state = INCLUDED
        session.add(request)
    session.commit()


def mark_rejected(session: Session, tx_row: OfficeTxRow, code: str) -> None:
    """The registry refused the transaction for good (a rule other than its sequence number)."""
    tx_row.state, tx_row.error_code = REJECTED, code
    session.add(tx_row)
    for request in session.exec(
        select(StatusRequestRow).where(StatusRequestRow.tx_id == tx_row.id)
    ):
        request.state, request.error_code = REJECTED, code
        session.add(request)
    session.commit()


def receipt(*, session: Session, operator: Operator, credential_id: str) -> dict[str, Any] | None:
    """The stored anchor receipt of a credential, or ``None`` while its batch is not yet
    included in a block (the API answers ``202`` pending then).

    Raises:
        NotFoundError: ``CREDENTIAL_NOT_FOUND`` (also outside the operator's scope).
    """
    authorize(operator, roles=READ)
    row = session.get(CredentialRow, credential_id)
    if row is None or row.credential_type not in operator.credential_types:
        raise NotFoundError(f"no credential {credential_id}", code="CREDENTIAL_NOT_FOUND")
    leaf = session.exec(select(OutboxRow).where(OutboxRow.credential_id == credential_id)).first()
    if leaf is not None and leaf.receipt is not None:
        document: dict[str, Any] = json.loads(leaf.receipt)
        return document
    batch = session.get(BatchRow, leaf.batch_id) if leaf and leaf.batch_id else None
    if leaf is None or batch is None or batch.block is None or batch.tx_position is None:
        return None
    # Key order as in the receipt's JCS form, so the JSON answer is its canonical bytes.
    built: dict[str, Any] = json.loads(
        receipt_for(batch.block, batch.tx_position, leaf.leaf).to_json()
    )
    return built
