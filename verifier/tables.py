"""The verifier's one table: the challenges it issued (VC-DI §4.4 step 7).

Times are stored as seconds since the epoch (UTC) so that "unexpired and unused" is one SQL
comparison, and marking a challenge used is one atomic ``UPDATE``.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import Field, SQLModel


class Challenge(SQLModel, table=True):
    """A single-use challenge: the domain it is bound to, when it expires, when it was used."""

    value: str = Field(primary_key=True, max_length=128)
    domain: str = Field(max_length=512)
    created_at: float
    expires_at: float = Field(index=True)
    used_at: float | None = None


def challenge_table() -> Table:
    """The table to create."""
    table: Table = Challenge.__table__  # type: ignore[attr-defined]
    return table
