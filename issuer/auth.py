"""Operators and their bearer tokens: made, listed, revoked, checked. Only hashes are stored.

A token reads ``ecert-op.<id>.<secret>``: ``id`` is 8 random bytes in hex (public: it names the
operator in lists, logs and the audit trail), ``secret`` is 32 random bytes in base64url. The
database keeps SHA-256 of the secret; a fast hash is enough because the secret has 256 bits of
entropy (nothing to guess), and the comparison is constant-time (``hmac.compare_digest``), also
when the id is unknown, so timing tells nothing about which ids exist.

Each operator has one or more roles (``issuer``, ``approver``, ``admin``), a scope of credential
types, an expiry, and may be revoked. The checks, in order (RFC 6750 §3.1 for the first three):

(1) ``Authorization: Bearer <token>`` is present (401 ``TOKEN_MISSING``) and well formed
    (401 ``TOKEN_MALFORMED``).
(2) The id is known and the secret's hash matches (401 ``TOKEN_INVALID``; one code for both, so
    an id cannot be probed).
(3) Not revoked (401 ``TOKEN_REVOKED``) and not expired at ``now`` (401 ``TOKEN_EXPIRED``).
(4) The operator holds a role the action allows (403 ``ROLE_NOT_ALLOWED``) and, for an action on
    a credential, its type is in scope (403 ``TYPE_OUT_OF_SCOPE``).

Example:
    >>> parse_token("ecert-op.0123456789abcdef." + "A" * 43)[0]
    '0123456789abcdef'
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from issuer.clock import stamp, unstamp
from issuer.errors import ForbiddenError, NotAuthenticatedError
from issuer.tables import OperatorRow
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.errors import MalformedError, NotFoundError

ROLES = ("issuer", "approver", "admin")
# Which roles may do what. Issuing is the issuer role's alone; reading back a credential is open
# to every role whose scope covers its type.
ISSUE = frozenset({"issuer"})
READ = frozenset(ROLES)

TOKEN_PREFIX = "ecert-op"  # noqa: S105 (a public prefix that marks the token's kind)
_TOKEN = re.compile(r"ecert-op\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})")
# Compared against when the id is unknown, so both paths do the same work.
_DUMMY_HASH = hashlib.sha256(b"no such operator").hexdigest()
MAX_LIFETIME = timedelta(days=366)


@dataclass(frozen=True)
class Operator:
    """An operator as the API sees it (no secret, no hash)."""

    id: str
    name: str
    roles: frozenset[str]
    credential_types: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: OperatorRow) -> Operator:
        return _operator_of(tuple(getattr(row, name) for name in _OPERATOR_FIELDS))

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"


@dataclass(frozen=True)
class NewToken:
    """A freshly made operator and its token, which is shown once and never stored."""

    operator: Operator
    token: str


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(token: str) -> tuple[str, str]:
    """``(id, secret)`` of a well-formed token.

    Raises:
        NotAuthenticatedError: ``TOKEN_MALFORMED``.
    """
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise NotAuthenticatedError(
            "the bearer token is not an ecert operator token", code="TOKEN_MALFORMED"
        )
    return match.group(1), match.group(2)


def _checked_set(values: Iterable[str], allowed: Iterable[str], what: str) -> frozenset[str]:
    chosen = frozenset(values)
    unknown = sorted(chosen - set(allowed))
    if not chosen or unknown:
        raise MalformedError(
            f"{what}: give at least one of {', '.join(allowed)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            code="OPERATOR_INVALID",
            field=what,
        )
    return chosen


def add_operator(
    session: Session,
    *,
    name: str,
    roles: Iterable[str],
    credential_types: Iterable[str],
    lifetime: timedelta,
    now: datetime,
) -> NewToken:
    """Create an operator with a new token, valid from ``now`` for ``lifetime``.

    Raises:
        MalformedError: ``OPERATOR_INVALID`` (no name, unknown role or type, bad lifetime).
    """
    if not name.strip():
        raise MalformedError("the operator needs a name", code="OPERATOR_INVALID", field="name")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise MalformedError(
            f"a token lives more than 0 and at most {MAX_LIFETIME.days} days",
            code="OPERATOR_INVALID",
            field="lifetime",
        )
    role_set = _checked_set(roles, ROLES, "roles")
    type_set = _checked_set(credential_types, CREDENTIAL_TYPES, "credential_types")
    operator_id = secrets.token_hex(8)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    row = OperatorRow(
        id=operator_id,
        name=name.strip(),
        roles=",".join(sorted(role_set)),
        credential_types=",".join(sorted(type_set)),
        secret_sha256=_secret_hash(secret),
        created_at=stamp(now),
        expires_at=stamp(now + lifetime),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return NewToken(Operator.from_row(row), f"{TOKEN_PREFIX}.{operator_id}.{secret}")


def revoke_operator(session: Session, *, operator_id: str, now: datetime) -> Operator:
    """Revoke a token from ``now`` on; revoking twice keeps the first time.

    Raises:
        NotFoundError: ``OPERATOR_NOT_FOUND``.
    """
    row = session.get(OperatorRow, operator_id)
    if row is None:
        raise NotFoundError(f"no operator {operator_id!r}", code="OPERATOR_NOT_FOUND")
    if row.revoked_at is None:
        row.revoked_at = stamp(now)
        session.add(row)
        session.commit()
        session.refresh(row)
    return Operator.from_row(row)


def list_operators(session: Session) -> list[Operator]:
    """Every operator, oldest first."""
    rows = session.exec(select(OperatorRow).order_by(OperatorRow.created_at)).all()
    return [Operator.from_row(r) for r in rows]


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header (RFC 6750 §2.1).

    Raises:
        NotAuthenticatedError: ``TOKEN_MISSING`` or ``TOKEN_MALFORMED``.
    """
    if not authorization:
        raise NotAuthenticatedError("an operator bearer token is required", code="TOKEN_MISSING")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError("use Authorization: Bearer <token>", code="TOKEN_MALFORMED")
    return token.strip()


_OPERATOR: Table = OperatorRow.__table__  # type: ignore[attr-defined]
# Built once: the operator's row by id.
_OPERATOR_BY_ID = sa_select(_OPERATOR).where(_OPERATOR.c.id == bindparam("id"))
_OPERATOR_FIELDS = (
    "id",
    "name",
    "roles",
    "credential_types",
    "created_at",
    "expires_at",
    "revoked_at",
)


@functools.lru_cache(maxsize=256)
def _operator_of(values: tuple[Any, ...]) -> Operator:
    """The :class:`Operator` of a row's stored values (:data:`_OPERATOR_FIELDS`), parsed once
    per distinct row; the row itself, revocation included, is read on every request."""
    op_id, name, roles, types, created_at, expires_at, revoked_at = values
    return Operator(
        id=op_id,
        name=name,
        roles=frozenset(filter(None, roles.split(","))),
        credential_types=frozenset(filter(None, types.split(","))),
        created_at=unstamp(created_at),
        expires_at=unstamp(expires_at),
        revoked_at=unstamp(revoked_at) if revoked_at else None,
    )


def authenticate(session: Session, *, authorization: str | None, now: datetime) -> Operator:
    """The operator whose token is in ``authorization``, steps (1)–(3).

    The operator's row is read on every call (one indexed read through SQLAlchemy Core), so a
    token revoked by another process is refused at its next request.
    """
    operator_id, secret = parse_token(bearer_token(authorization))
    row = session.connection().execute(_OPERATOR_BY_ID, {"id": operator_id}).mappings().first()
    expected = row["secret_sha256"] if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(_secret_hash(secret), expected)
    if row is None or not matches:
        raise NotAuthenticatedError("the bearer token is not valid", code="TOKEN_INVALID")
    operator = _operator_of(tuple(row[name] for name in _OPERATOR_FIELDS))
    state = operator.state(now)
    if state == "revoked":
        raise NotAuthenticatedError("the bearer token was revoked", code="TOKEN_REVOKED")
    if state == "expired":
        raise NotAuthenticatedError("the bearer token has expired", code="TOKEN_EXPIRED")
    return operator


def authorize(
    operator: Operator, *, roles: frozenset[str], credential_type: str | None = None
) -> None:
    """Step (4): a role the action allows, and the credential type in the operator's scope."""
    if not operator.roles & roles:
        raise ForbiddenError(
            f"this needs the role {' or '.join(sorted(roles))}", code="ROLE_NOT_ALLOWED"
        )
    if credential_type is not None and credential_type not in operator.credential_types:
        raise ForbiddenError(
            f"{credential_type} is outside this operator's scope",
            code="TYPE_OUT_OF_SCOPE",
            field="type",
        )
