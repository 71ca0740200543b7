"""SQLModel tables (``table=True`` only). API models live in :mod:`issuer.schemas`.

Times are stored as UTC ISO 8601 text (``2026-01-02T03:04:05Z``), because SQLite keeps no time
zone and PostgreSQL and SQLite then compare them the same way (the format sorts as it reads).

- ``operator``: one row per bearer token. Only the SHA-256 of the token's secret is kept; the
  token itself is shown once, when it is made. ``roles`` and ``credential_types`` are
  comma-separated, sorted.
- ``credential``: every credential the office issued, exactly as it was handed out (the JSON
  text), committed before the API answers 201.
- ``outbox``: the anchoring outbox, one row per credential (its leaf digest), written in the same
  database transaction as the ``credential`` row. ``batch_id`` is set when a batch takes the
  leaf (in the same transaction that stores the batch's signed anchor transaction), and
  ``receipt`` once the registry reports the batch included.
- ``batch``: an anchored (or being anchored) batch: its RFC 6962 root and its transaction.
- ``office_tx``: every transaction the office signed, stored *before* it is first submitted, so
  that after a crash the same transaction (same hash) is resubmitted, never a second one.
  ``state`` is ``signed`` (in flight), ``included`` or ``rejected``.
- ``oid4vci_offer``, ``oid4vci_access_token``, ``oid4vci_nonce``: OpenID4VCI pre-authorized
  offers, the access tokens they were exchanged for, and c_nonces (see
  :mod:`issuer.oid4vci`). Only hashes of the offer's secret, its pre-authorized code, its
  tx_code (keyed by the code), the tokens and the nonces are kept.
- ``status_index``: every Bitstring Status List index ever allocated; the primary key makes an
  index unique for the office and a row is never deleted, so an index is never reused.
- ``status_request``: a revoke / suspend / reinstate (or a deed's supersede and encumbrance
  events, :mod:`issuer.deeds`) asked for through the API, until its ``status`` transaction is
  included.
- ``issuance_batch`` and ``issuance_item``: a batch of credentials to issue (``POST /batches``)
  and its rows, stored before the API answers; an item turns ``issued`` in the same database
  transaction that stores its credential, so a row is issued at most once (see
  :mod:`issuer.batches`).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, Text, event
from sqlmodel import Column, Field, SQLModel


class OperatorRow(SQLModel, table=True):
    __tablename__ = "operator"

    id: str = Field(primary_key=True)
    name: str
    roles: str
    credential_types: str
    secret_sha256: str
    created_at: str
    expires_at: str
    revoked_at: str | None = None


class CredentialRow(SQLModel, table=True):
    __tablename__ = "credential"

    id: str = Field(primary_key=True)
    credential_type: str = Field(index=True)
    issuer: str
    suite: str
    operator_id: str = Field(foreign_key="operator.id")
    issued_at: str
    document: str = Field(sa_column=Column(Text, nullable=False))


class OfficeTxRow(SQLModel, table=True):
    __tablename__ = "office_tx"

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    state: str = Field(index=True)
    tx_hash: str = Field(unique=True)
    seq: int
    created_at: str
    document: str = Field(sa_column=Column(Text, nullable=False))
    height: int | None = None
    # The registry's ``GET /transactions/{hash}`` answer once included (block, audit path).
    inclusion: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_code: str | None = None


class BatchRow(SQLModel, table=True):
    __tablename__ = "batch"

    id: str = Field(primary_key=True)
    root: str
    leaf_count: int
    tx_id: int = Field(foreign_key="office_tx.id")
    created_at: str
    anchored_at: str | None = None
    # The block that included the anchor transaction (JSON) and the transaction's position in
    # it, so each leaf's receipt is built on demand (issuer/receipts.py) rather than stored.
    block: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tx_position: int | None = None


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    credential_id: str = Field(foreign_key="credential.id", unique=True)
    leaf: str = Field(unique=True)
    created_at: str = Field(index=True)
    batch_id: str | None = Field(default=None, foreign_key="batch.id", index=True)
    receipt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StatusIndexRow(SQLModel, table=True):
    __tablename__ = "status_index"

    index: int = Field(primary_key=True)
    credential_id: str = Field(unique=True)


class StatusRequestRow(SQLModel, table=True):
    __tablename__ = "status_request"

    id: str = Field(primary_key=True)
    credential_id: str = Field(foreign_key="credential.id", index=True)
    status_index: int
    action: str
    reason: str
    until: str | None = None
    operator_id: str
    created_at: str = Field(index=True)
    state: str = Field(index=True)
    tx_id: int | None = Field(default=None, foreign_key="office_tx.id")
    error_code: str | None = None
    # The event's own members beyond ``reason`` (a successor's id, an encumbrance), as JSON.
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ApprovalRequestRow(SQLModel, table=True):
    """A write held for dual control (:mod:`issuer.approvals`) until enough approvers agree."""

    __tablename__ = "approval_request"

    id: str = Field(primary_key=True)
    kind: str  # issue, status, transfer
    credential_type: str = Field(index=True)
    # The credential the action is about (the one to issue, revoke, or the deed to transfer).
    credential_id: str = Field(index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str = Field(foreign_key="operator.id")
    required: int
    created_at: str = Field(index=True)
    # pending → executed | failed, or pending → rejected; never back.
    state: str = Field(index=True)
    decided_at: str | None = None
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_code: str | None = None


class ApprovalRow(SQLModel, table=True):
    """One operator's approval of a held request; the key stops anyone approving twice."""

    __tablename__ = "approval"

    request_id: str = Field(foreign_key="approval_request.id", primary_key=True)
    operator_id: str = Field(foreign_key="operator.id", primary_key=True)
    approved_at: str


class AuditRow(SQLModel, table=True):
    """The append-only audit log (:mod:`issuer.audit`): each entry hashes the one before."""

    __tablename__ = "audit_log"

    seq: int | None = Field(default=None, primary_key=True)
    at: str
    actor: str
    action: str
    request_id: str | None = None
    credential_id: str | None = None
    detail: str = ""
    # A unique previous hash keeps the chain a line: two entries can never follow the same one.
    prev_hash: str = Field(unique=True)
    entry_hash: str = Field(unique=True)


# The database refuses to change or remove an entry, whoever asks (no code path here does).
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$fn$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $fn$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)
_AUDIT_TABLE: Table = AuditRow.__table__  # type: ignore[attr-defined]
for _dialect, _statements in (("sqlite", _SQLITE_TRIGGERS), ("postgresql", _POSTGRES_TRIGGERS)):
    for _statement in _statements:
        ddl = DDL(_statement)  # type: ignore[no-untyped-call]
        event.listen(_AUDIT_TABLE, "after_create", ddl.execute_if(dialect=_dialect))


class IssuanceBatchRow(SQLModel, table=True):
    __tablename__ = "issuance_batch"

    id: str = Field(primary_key=True)
    credential_type: str
    operator_id: str = Field(foreign_key="operator.id")
    media_type: str
    # The client's ``Idempotency-Key`` and the SHA-256 of what it sent with it.
    idempotency_key: str | None = Field(default=None, unique=True)
    body_sha256: str
    state: str = Field(index=True)
    total: int
    issued: int = 0
    failed: int = 0
    created_at: str
    finished_at: str | None = None


class IssuanceItemRow(SQLModel, table=True):
    __tablename__ = "issuance_item"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="issuance_batch.id", index=True)
    line: int
    state: str = Field(index=True)
    # Chosen when the batch is stored, so a retried row can only ever issue this one id.
    credential_id: str | None = Field(default=None, index=True)
    draft: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_code: str | None = None
    error_field: str | None = None
    error_message: str | None = None


class OfferRow(SQLModel, table=True):
    __tablename__ = "oid4vci_offer"

    id: str = Field(primary_key=True)
    secret_sha256: str = Field(unique=True)
    code_sha256: str = Field(unique=True)
    tx_code_mac: str
    credential_type: str
    # The unsigned draft without its subject's id (the holder's DID arrives with the key proof).
    draft: str = Field(sa_column=Column(Text, nullable=False))
    operator_id: str = Field(foreign_key="operator.id")
    created_at: str
    expires_at: str
    # offered → redeemed (token issued) → issued; or dead (too many tx_code tries).
    state: str = Field(index=True)
    attempts: int = 0
    credential_id: str | None = None


class AccessTokenRow(SQLModel, table=True):
    __tablename__ = "oid4vci_access_token"

    token_sha256: str = Field(primary_key=True)
    offer_id: str = Field(foreign_key="oid4vci_offer.id", index=True)
    expires_at: str
    # active → used (a credential was asked for with it; one credential per offer).
    state: str


class NonceRow(SQLModel, table=True):
    __tablename__ = "oid4vci_nonce"

    nonce_sha256: str = Field(primary_key=True)
    expires_at: str = Field(index=True)
    used: bool = False


def all_tables() -> list[Table]:
    """The tables the issuer creates, in dependency order."""
    rows = (
        OperatorRow,
        CredentialRow,
        OfficeTxRow,
        BatchRow,
        OutboxRow,
        StatusIndexRow,
        StatusRequestRow,
        ApprovalRequestRow,
        ApprovalRow,
        AuditRow,
        IssuanceBatchRow,
        IssuanceItemRow,
        OfferRow,
        AccessTokenRow,
        NonceRow,
    )
    return [row.__table__ for row in rows]  # type: ignore[union-attr]
