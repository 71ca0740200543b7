"""c_nonces (OpenID4VCI 1.0 §7): made by ``POST /nonce``, used once by a key proof.

A nonce is 256 random bits (at least the 128 the spec's security considerations ask), stored as
SHA-256 with its expiry. :func:`consume` marks it used with one conditional update, so two
credential requests racing with the same proof cannot both pass. Expired rows are deleted when
new nonces are made, so an endpoint that anyone may call cannot grow the table without bound
for longer than a nonce's lifetime.

Example (in memory):
    >>> from datetime import UTC, datetime, timedelta
    >>> from sqlmodel import SQLModel, create_engine
    >>> from issuer.tables import NonceRow
    >>> engine = create_engine("sqlite://")
    >>> SQLModel.metadata.create_all(engine, tables=[NonceRow.__table__])
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> with Session(engine) as s:
    ...     n = new_nonce(s, ttl=timedelta(minutes=5), now=now)
    ...     consume(s, n, now=now), consume(s, n, now=now)
    (True, False)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col

from issuer.clock import stamp
from issuer.oid4vci import tokens
from issuer.tables import NonceRow


def new_nonce(session: Session, *, ttl: timedelta, now: datetime) -> str:
    """A fresh c_nonce, stored (committed) before it is returned."""
    session.connection().execute(delete(NonceRow).where(col(NonceRow.expires_at) <= stamp(now)))
    nonce = tokens.new_secret()
    session.add(NonceRow(nonce_sha256=tokens.sha256(nonce), expires_at=stamp(now + ttl)))
    session.commit()
    return nonce


def consume(session: Session, nonce: str, *, now: datetime) -> bool:
    """Mark ``nonce`` used if it is one of ours, unused and unexpired; whether it was."""
    result = session.connection().execute(
        update(NonceRow)
        .where(col(NonceRow.nonce_sha256) == tokens.sha256(nonce))
        .where(col(NonceRow.used).is_(False))
        .where(col(NonceRow.expires_at) > stamp(now))
        .values(used=True)
    )
    session.commit()
    return bool(result.rowcount == 1)
