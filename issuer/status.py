"""Bitstring Status List entries at issuance, and status changes asked for through the API.

Indexes: every credential gets one status index, drawn at random (group privacy: the index says
nothing of the order of issuance; Bitstring Status List v1.0 §6.1) from the office's open lists,
and stored in ``status_index``, whose primary key makes it unique for the office; rows are never
deleted, so an index is never reused. The registry keeps one index space per office and serves a
``revocation`` and a ``suspension`` list over it (list ``n`` covers indexes ``n·LIST_SIZE …
(n+1)·LIST_SIZE − 1``), so the credential carries two ``BitstringStatusListEntry`` objects (§2.1)
with the same index, one per purpose, pointing at ``GET /status-lists/{office}/{purpose}/{n}``
on the configured registry.

Changes: ``POST /credentials/status`` stores a :class:`~issuer.tables.StatusRequestRow`; the chain
worker (:mod:`issuer.worker`) signs its ``status`` transaction (naming the credential id and its
global status index) and submits it until it is included.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import Table, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from issuer.auth import Operator, authorize
from issuer.clock import stamp, unstamp
from issuer.outbox import store_tx
from issuer.tables import CredentialRow, OfficeTxRow, StatusIndexRow, StatusRequestRow
from vc_core.did_ecert import parse_office_did
from vc_core.errors import NotFoundError, ValidationFailedError
from vc_core.ledger import StatusBody, Transaction
from vc_core.ledger.bodies import ReinstateEvent, RevokeEvent, StatusEvent, SuspendEvent
from vc_core.status_list import LIST_SIZE

# A new list opens once half of the open ones are taken, so a random draw rarely collides.
_FILL = LIST_SIZE // 2
_TRIES = 64
PURPOSES = ("revocation", "suspension")
# Who may change a credential's status: approvers and admins, not the issuing role, so the
# person who issues is not alone in taking back.
STATUS_ROLES = frozenset({"approver", "admin"})
PENDING, SIGNED, INCLUDED = "pending", "signed", "included"


class StatusRequest(BaseModel):
    """``POST /credentials/status``: ``{credentialId, action, reason, until?}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credentialId: str = Field(min_length=1, max_length=200)
    action: Literal["revoke", "suspend", "reinstate"]
    reason: str = Field(default="", max_length=200)
    until: datetime | None = None


_INDEX_TABLE: Table = StatusIndexRow.__table__  # type: ignore[attr-defined]
# Built once (an expanding IN): which of the drawn indexes are stored already.
_TAKEN_AMONG = sa_select(_INDEX_TABLE.c.index).where(
    _INDEX_TABLE.c.index.in_(bindparam("draws", expanding=True))
)
# How many draws may pass between two counts of the used indexes (see _used_count).
_RECOUNT_EVERY = 256
_counts: weakref.WeakKeyDictionary[Any, list[int]] = weakref.WeakKeyDictionary()
_counts_lock = threading.Lock()


def _used_count(session: Session, drawing: int) -> int:
    """About how many indexes are used, to size the span draws are made in.

    ``count(*)`` reads the whole table, so it grows with every credential ever issued; it is
    taken once per ``_RECOUNT_EVERY`` draws per database and the draws made since are added to
    it. The figure only sizes the span (a new list opens once half of the open ones are
    taken); it never decides whether an index is free, which the primary key does, so a count
    that missed another writer's rows costs at most a few more draws that meet a taken index.
    """
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _counts_lock:
        known = _counts.get(engine)
        if known is not None and known[1] < _RECOUNT_EVERY:
            used = known[0] + known[1]
            known[1] += drawing
            return used
    used = int(session.exec(select(func.count()).select_from(StatusIndexRow)).one())
    with _counts_lock:
        _counts[engine] = [used, drawing]
    return used


def allocate_index(session: Session, credential_id: str) -> int:
    """A random status index never used by this office (inserted, not committed).

    Each draw is an ``INSERT … ON CONFLICT DO NOTHING``: the primary key, not a read before the
    write, decides whether the index is free, so two issuances in flight at once (threads, or
    processes sharing one PostgreSQL database) never take the same index. On PostgreSQL a draw
    that meets another transaction's uncommitted row waits for it and then counts as taken.
    """
    used = _used_count(session, 1)
    span = (used // _FILL + 1) * LIST_SIZE
    for _ in range(_TRIES):
        index = secrets.randbelow(span)
        if _claim(session, index, credential_id):
            return index
    # Practically unreachable (each draw fails with probability ≤ 1/2): widen to fresh lists.
    while True:
        span += LIST_SIZE
        index = span - LIST_SIZE + secrets.randbelow(LIST_SIZE)
        if _claim(session, index, credential_id):
            return index


def _claim(session: Session, index: int, credential_id: str) -> bool:
    """Insert ``index`` for ``credential_id`` unless it is taken; ``True`` when inserted."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(StatusIndexRow)
        .values(index=index, credential_id=credential_id)
        .on_conflict_do_nothing(index_elements=["index"])
        .returning(col(StatusIndexRow.index))
    )
    # RETURNING, not rowcount: psycopg's rowcount for this statement is not reliable (-1).
    return session.connection().execute(statement).first() is not None


def draw_indexes(session: Session, count: int) -> list[int]:
    """``count`` random status indexes unused so far (nothing added: the caller inserts them in
    the transaction that stores their credentials, and a race with another writer fails that
    transaction on the primary key, never reusing an index)."""
    used = _used_count(session, count)
    span = ((used + count) // _FILL + 1) * LIST_SIZE
    chosen: set[int] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        draws = {secrets.randbelow(span) for _ in range(wanted)} - chosen
        taken = session.connection().execute(_TAKEN_AMONG, {"draws": list(draws)})
        chosen |= draws - {row[0] for row in taken}
    return list(chosen)


def status_entries(registry_base: str, office_did: str, index: int) -> list[dict[str, Any]]:
    """The credential's ``credentialStatus``: one ``BitstringStatusListEntry`` per purpose."""
    office = parse_office_did(office_did).office
    n, bit = divmod(index, LIST_SIZE)
    entries = []
    for purpose in PURPOSES:
        list_url = f"{registry_base}/status-lists/{office}/{purpose}/{n}"
        entries.append(
            {
                "id": f"{list_url}#{bit}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(bit),
                "statusListCredential": list_url,
            }
        )
    return entries


def request_change(
    *,
    session: Session,
    operator: Operator,
    request: StatusRequest,
    now: datetime,
    before_commit: Callable[[Session, StatusRequestRow], None] | None = None,
) -> StatusRequestRow:
    """Store a status change for the worker to sign and publish (committed).

    ``before_commit(session, row)`` adds rows that commit with it (an approval's audit entry).

    Raises:
        NotFoundError: ``CREDENTIAL_NOT_FOUND`` (also for a type outside the operator's scope).
        ForbiddenError: not an approver or admin, or the type outside the scope (403).
        ValidationFailedError: ``NO_STATUS_ENTRY`` (issued without one), ``SUSPEND_UNTIL_PAST``.
    """
    authorize(operator, roles=STATUS_ROLES)
    credential = session.get(CredentialRow, request.credentialId)
    if credential is None or credential.credential_type not in operator.credential_types:
        raise NotFoundError(f"no credential {request.credentialId}", code="CREDENTIAL_NOT_FOUND")
    authorize(operator, roles=STATUS_ROLES, credential_type=credential.credential_type)
    index_row = session.exec(
        select(StatusIndexRow).where(StatusIndexRow.credential_id == credential.id)
    ).first()
    if index_row is None:
        raise ValidationFailedError(
            "this credential was issued without a status entry", code="NO_STATUS_ENTRY"
        )
    if request.until is not None and (request.until.tzinfo is None or request.until <= now):
        raise ValidationFailedError(
            "until must be a time with a zone, after now", code="SUSPEND_UNTIL_PAST", field="until"
        )
    row = StatusRequestRow(
        id=f"urn:uuid:{uuid.uuid4()}",
        credential_id=credential.id,
        status_index=index_row.index,
        action=request.action,
        reason=request.reason,
        until=stamp(request.until) if request.until is not None else None,
        operator_id=operator.id,
        created_at=stamp(now),
        state=PENDING,
    )
    session.add(row)
    if before_commit is not None:
        before_commit(session, row)
    session.commit()
    return row


def next_request(session: Session) -> StatusRequestRow | None:
    """The oldest request whose transaction is not signed yet."""
    query = select(StatusRequestRow).where(StatusRequestRow.state == PENDING)
    return session.exec(query.order_by(col(StatusRequestRow.created_at))).first()


def body_for(request: StatusRequestRow, *, now: datetime) -> StatusBody:
    """The ``status`` transaction body of a request (a suspension starts when it is signed)."""
    event: StatusEvent
    if request.action == "revoke":
        event = RevokeEvent(reason=request.reason or "revoked")
    elif request.action == "suspend":
        until = unstamp(request.until) if request.until else None
        event = SuspendEvent.model_validate(
            {"from": now, "until": until, "reason": request.reason or "suspended"}
        )
    elif request.action == "reinstate":
        event = ReinstateEvent(reason=request.reason)
    else:
        # A deed's event (issuer.deeds): supersede, encumbrance.add or encumbrance.release,
        # its members stored as JSON when it was asked for.
        members = {"event": request.action, **json.loads(request.detail or "{}")}
        if request.action != "encumbrance.add":  # the one event without a reason
            members["reason"] = request.reason
        event = TypeAdapter(StatusEvent).validate_python(members)
    return StatusBody(
        credential_id=request.credential_id, status_index=request.status_index, event=event
    )


def attach_tx(session: Session, request: StatusRequestRow, tx: Transaction, now: datetime) -> None:
    """Store the request's signed transaction (in flight from now on), one commit."""
    row = store_tx(session, "status", tx, now)
    request.tx_id, request.state = row.id, SIGNED
    session.add(request)
    session.commit()


def view(*, session: Session, operator: Operator, request_id: str) -> dict[str, Any]:
    """A request as the API shows it: its state, and the inclusion once included.

    Raises:
        NotFoundError: ``STATUS_REQUEST_NOT_FOUND`` (also for a type outside the scope).
    """
    authorize(operator, roles=STATUS_ROLES)
    row = session.get(StatusRequestRow, request_id)
    credential = session.get(CredentialRow, row.credential_id) if row is not None else None
    if (
        row is None
        or credential is None
        or (credential.credential_type not in operator.credential_types)
    ):
        raise NotFoundError(f"no status request {request_id}", code="STATUS_REQUEST_NOT_FOUND")
    tx = session.get(OfficeTxRow, row.tx_id) if row.tx_id is not None else None
    out: dict[str, Any] = {
        "id": row.id,
        "credentialId": row.credential_id,
        "action": row.action,
        "state": row.state,
    }
    if tx is not None:
        out["txHash"] = tx.tx_hash
    if row.state == INCLUDED and tx is not None and tx.inclusion is not None:
        out["inclusion"] = json.loads(tx.inclusion)
    if row.error_code:
        out["error"] = row.error_code
    return out
