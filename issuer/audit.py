"""The office's append-only audit log: who asked for, approved, rejected or carried out what.

Each entry names the actor (an operator id, public), the action, the request and credential ids,
a short detail (an error code, a reason code) and its time — never a claim value, a token or a
key. Entries form a hash chain: ``entry_hash = SHA-256(JCS({at, actor, action, request_id,
credential_id, detail, prev_hash}))`` (RFC 8785 canonical JSON) and ``prev_hash`` is the
previous entry's hash (64 zeros for the first), unique in the table, so an edited, removed or
reordered entry breaks :func:`verify` at that entry.

Append-only: this module has no update or delete path, and the table carries triggers (SQLite
and PostgreSQL, created with it in :mod:`issuer.tables`) that refuse ``UPDATE`` and ``DELETE``.
:data:`LOCK` serializes appends inside the process (one issuer process per office), so two
requests never read the same head; on PostgreSQL, where several processes may share the
database, a transaction-scoped advisory lock does the same across processes; the unique
``prev_hash`` is the database's own backstop.

Example:
    >>> entry_hash({"at": "t", "actor": "a", "action": "x", "request_id": None,
    ...             "credential_id": None, "detail": "", "prev_hash": GENESIS})[:12]
    '132884923883'
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy import text
from sqlmodel import Session, col, select

from issuer.auth import Operator, authorize
from issuer.clock import stamp
from issuer.tables import AuditRow

GENESIS = "0" * 64
# The advisory-lock key of the audit log's head on PostgreSQL ("AUDT" in ASCII).
PG_LOCK = 0x41554454
LOCK = threading.RLock()
AUDIT_ROLES = frozenset({"admin"})
MAX_PAGE = 1000
_FIELDS = ("at", "actor", "action", "request_id", "credential_id", "detail", "prev_hash")


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the entry's fields in RFC 8785 canonical form."""
    return hashlib.sha256(rfc8785.dumps({k: fields[k] for k in _FIELDS})).hexdigest()


def _head(session: Session) -> str:
    last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)).first()
    return last.entry_hash if last is not None else GENESIS


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    request_id: str | None = None,
    credential_id: str | None = None,
    detail: str = "",
) -> AuditRow:
    """Add an entry after the current head (flushed, not committed: it commits with the act).

    Hold :data:`LOCK` from before this call until the commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Several issuer processes may share one PostgreSQL database: a transaction-scoped
        # advisory lock makes them take turns at the head (released by the commit).
        session.connection().execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
    fields: dict[str, Any] = {
        "at": stamp(now),
        "actor": actor,
        "action": action,
        "request_id": request_id,
        "credential_id": credential_id,
        "detail": detail,
        "prev_hash": _head(session),
    }
    row = AuditRow(**fields, entry_hash=entry_hash(fields))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ChainCheck:
    """:func:`verify`'s answer: entries checked, the head, and the first broken entry if any."""

    count: int
    head: str
    broken_at: int | None


def verify(session: Session) -> ChainCheck:
    """Recompute every entry's hash and link, oldest first."""
    prev, count = GENESIS, 0
    for row in session.exec(select(AuditRow).order_by(col(AuditRow.seq))):
        fields = {k: getattr(row, k) for k in _FIELDS}
        if row.prev_hash != prev or entry_hash(fields) != row.entry_hash:
            return ChainCheck(count=count, head=prev, broken_at=row.seq)
        prev, count = row.entry_hash, count + 1
    return ChainCheck(count=count, head=prev, broken_at=None)


def page(
    *, session: Session, operator: Operator, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """``GET /audit``: entries after ``after`` (by ``seq``), and the whole chain's check.

    Raises:
        ForbiddenError: not an admin (403 ``ROLE_NOT_ALLOWED``).
    """
    authorize(operator, roles=AUDIT_ROLES)
    query = select(AuditRow).where(col(AuditRow.seq) > after).order_by(col(AuditRow.seq))
    rows = session.exec(query.limit(max(1, min(limit, MAX_PAGE))))
    check = verify(session)
    return {
        "entries": [
            {
                "seq": r.seq,
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "requestId": r.request_id,
                "credentialId": r.credential_id,
                "detail": r.detail,
                "prevHash": r.prev_hash,
                "hash": r.entry_hash,
            }
            for r in rows
        ],
        "chain": {"entries": check.count, "head": check.head, "intact": check.broken_at is None}
        | ({"brokenAt": check.broken_at} if check.broken_at is not None else {}),
    }
