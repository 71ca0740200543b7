"""SQLModel tables (``table=True`` only). API models live in :mod:`issuer.schemas`.

Times are stored as UTC ISO 8601 text (``2026-01-02T03:04:05Z``), because SQLite keeps no time
zone and PostgreSQL and SQLite then compare them the same way (the format sorts as it reads).

- ``operator``: one row per bearer token. Only the SHA-256 of the token's secret is kept; the
  token itself is shown once, when it is made. ``roles`` and ``credential_types`` are
  comma-separated, sorted.
- ``credential``: every credential the office issued, exactly as it was handed out (the JSON
  text), committed before the API answers 201.
"""

from __future__ import annotations

from sqlalchemy import Table, Text
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


def all_tables() -> list[Table]:
    """The tables the issuer creates, in dependency order."""
    return [OperatorRow.__table__, CredentialRow.__table__]  # type: ignore[attr-defined]
