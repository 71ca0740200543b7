"""The presentation requests this verifier made (OpenID4VP 1.0), one row each.

Times are seconds since the epoch (UTC), so "pending and unexpired" is one SQL comparison and
answering a request is one atomic ``UPDATE … WHERE answered_at IS NULL``. The nonce is also a
row of the challenges table (bound to the client_id as its domain), so the presentation is
checked by the same single-use challenge steps as ``POST /presentations/verify``.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import Field, SQLModel


class PresentationRequest(SQLModel, table=True):
    """A request: what it asks, who asked, until when, and the answer once there is one."""

    __tablename__ = "presentation_request"

    id: str = Field(primary_key=True, max_length=64)
    state: str = Field(unique=True, index=True, max_length=128)
    nonce: str = Field(max_length=128)
    client_id: str = Field(max_length=512)
    # SHA-256 of the requester's API key: only the requester who asked reads the answer.
    requester: str = Field(max_length=80)
    credential_type: str = Field(max_length=128)
    dcql_query: str
    created_at: float
    expires_at: float = Field(index=True)
    answered_at: float | None = None
    # "valid" / "invalid" / "could_not_check", or "declined" when the wallet posted an error.
    verdict: str | None = Field(default=None, max_length=32)
    result: str | None = None


def presentation_request_table() -> Table:
    """The table to create."""
    table: Table = PresentationRequest.__table__  # type: ignore[attr-defined]
    return table
