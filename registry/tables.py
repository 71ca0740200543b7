"""SQLModel tables (``table=True`` only). API models live in :mod:`registry.schemas`.

``block`` and ``tx`` are the chain itself: each row keeps the exact canonical bytes that were
hashed and signed (the block header's JCS and its producer signature; each transaction's JCS), so
``ecert registry audit`` can re-verify everything from genesis and name the first height whose
bytes changed. The other columns (hash, height, time, type) are indexes; the audit checks them
against the bytes too.

Pending transactions are not stored: a ``202 Accepted`` promises nothing durable, and the only
promise the node makes (``included``) is given after the block's commit has reached the disk.
"""

from __future__ import annotations

from sqlalchemy import Index, Table
from sqlmodel import Field, SQLModel


class BlockRow(SQLModel, table=True):
    __tablename__ = "block"

    height: int = Field(primary_key=True)
    hash: str = Field(index=True, unique=True)
    prev_hash: str
    time: str
    tx_count: int
    header: bytes
    signature: str


class TxRow(SQLModel, table=True):
    __tablename__ = "tx"
    __table_args__ = (Index("ix_tx_height_position", "height", "position", unique=True),)

    hash: str = Field(primary_key=True)
    height: int = Field(foreign_key="block.height")
    position: int
    type: str
    body: bytes


def all_tables() -> list[Table]:
    """The tables this node creates, in dependency order."""
    return [BlockRow.__table__, TxRow.__table__]  # type: ignore[attr-defined]
