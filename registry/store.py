"""Reading and writing the chain in SQLite: one atomic, fsync'd transaction per block.

Rows keep the exact bytes that were signed and hashed; :func:`write_block` is the only writer
and commits a block with all its transactions at once, so a crash leaves either the whole block
or none of it. Readers reassemble blocks from those bytes (:func:`read_blocks`) and can serve
them as JSON without re-serializing (:func:`blocks_json`).

Example:
    >>> import tempfile, pathlib
    >>> from registry.db import make_engine
    >>> head_height(make_engine(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite")) is None
    True
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from registry.tables import BlockRow, TxRow
from vc_core.errors import NotFoundError
from vc_core.ledger import Block, BlockHeader, Transaction
from vc_core.ledger.errors import LookupCode
from vc_core.ledger.fields import format_time

_BLOCK = BlockRow.__table__  # type: ignore[attr-defined]
_TX = TxRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StoredBlock:
    """A block as its rows hold it: the signed header bytes, signature and transaction bytes."""

    height: int
    hash: str
    header: bytes
    signature: str
    tx_hashes: tuple[str, ...]
    tx_bodies: tuple[bytes, ...]

    def to_json_bytes(self) -> bytes:
        """The block's JSON, assembled from the stored bytes (same shape as ``Block.to_json``)."""
        sig = json.dumps(self.signature).encode("ascii")
        txs = b",".join(self.tx_bodies)
        return (
            b'{"header":'
            + self.header
            + b',"signature":'
            + sig
            + b',"transactions":['
            + txs
            + b"]}"
        )


def write_block(engine: Engine, block: Block) -> None:
    """Commit ``block`` and its transactions in one SQLite transaction (fsync'd on commit)."""
    header = block.header
    block_row = {
        "height": header.height,
        "hash": header.hash,
        "prev_hash": header.prev_hash,
        "time": format_time(header.time),
        "tx_count": header.tx_count,
        "header": header.signing_bytes,
        "signature": block.signature,
    }
    tx_rows = [
        {
            "hash": tx.hash,
            "height": header.height,
            "position": i,
            "type": tx.type,
            "body": tx.canonical_bytes,
        }
        for i, tx in enumerate(block.transactions)
    ]
    with engine.begin() as conn:
        conn.execute(insert(_BLOCK), [block_row])
        conn.execute(insert(_TX), tx_rows)


def head_height(engine: Engine) -> int | None:
    """The height of the last stored block, or ``None`` for an empty database."""
    with engine.connect() as conn:
        value = conn.execute(select(_BLOCK.c.height).order_by(_BLOCK.c.height.desc()).limit(1))
        row = value.first()
    return None if row is None else int(row[0])


def iter_stored(engine: Engine, start: int, stop: int | None = None) -> Iterator[StoredBlock]:
    """Stored blocks ``start ≤ height < stop`` in order, read in pages."""
    page = 256
    height = start
    while stop is None or height < stop:
        end = height + page if stop is None else min(stop, height + page)
        chunk = _read_range(engine, height, end)
        if not chunk:
            return
        yield from chunk
        height = chunk[-1].height + 1


def _read_range(engine: Engine, start: int, end: int) -> list[StoredBlock]:
    with engine.connect() as conn:
        blocks = conn.execute(
            select(_BLOCK.c.height, _BLOCK.c.hash, _BLOCK.c.header, _BLOCK.c.signature)
            .where(_BLOCK.c.height >= start, _BLOCK.c.height < end)
            .order_by(_BLOCK.c.height)
        ).all()
        txs = conn.execute(
            select(_TX.c.height, _TX.c.hash, _TX.c.body)
            .where(_TX.c.height >= start, _TX.c.height < end)
            .order_by(_TX.c.height, _TX.c.position)
        ).all()
    by_height: dict[int, tuple[list[str], list[bytes]]] = {}
    for height, tx_hash, body in txs:
        hashes, bodies = by_height.setdefault(int(height), ([], []))
        hashes.append(str(tx_hash))
        bodies.append(bytes(body))
    out = []
    for height, block_hash, header, signature in blocks:
        hashes, bodies = by_height.get(int(height), ([], []))
        out.append(
            StoredBlock(
                int(height),
                str(block_hash),
                bytes(header),
                str(signature),
                tuple(hashes),
                tuple(bodies),
            )
        )
    return out


def parse_block(stored: StoredBlock) -> Block:
    """The :class:`Block` the rows hold (raises ``MalformedError`` if the bytes do not parse)."""
    header = BlockHeader.from_json(stored.header)
    txs = tuple(Transaction.from_json(body) for body in stored.tx_bodies)
    return Block(header=header, transactions=txs, signature=stored.signature)


def read_block(engine: Engine, height: int) -> Block:
    """The block at ``height``.

    Raises:
        NotFoundError: no block is stored at that height.
    """
    found = _read_range(engine, height, height + 1)
    if not found:
        raise NotFoundError(f"no block at height {height}", code=LookupCode.BLOCK_NOT_FOUND)
    return parse_block(found[0])


def read_header(engine: Engine, height: int) -> tuple[BlockHeader, str]:
    """The header and producer signature of block ``height`` (its transactions are not read).

    Raises:
        NotFoundError: no block is stored at that height.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(_BLOCK.c.header, _BLOCK.c.signature).where(_BLOCK.c.height == height)
        ).first()
    if row is None:
        raise NotFoundError(f"no block at height {height}", code=LookupCode.BLOCK_NOT_FOUND)
    return BlockHeader.from_json(bytes(row[0])), str(row[1])


@dataclass(frozen=True, slots=True)
class TxLocation:
    """Where a committed transaction sits, with its bytes."""

    hash: str
    height: int
    position: int
    body: bytes


def find_tx(engine: Engine, tx_hash: str) -> TxLocation | None:
    """The committed transaction with this hash, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(
            select(_TX.c.height, _TX.c.position, _TX.c.body).where(_TX.c.hash == tx_hash)
        ).first()
    if row is None:
        return None
    return TxLocation(tx_hash, int(row[0]), int(row[1]), bytes(row[2]))


def block_tx_hashes(engine: Engine, height: int) -> list[str]:
    """The transaction hashes of block ``height``, in block order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_TX.c.hash).where(_TX.c.height == height).order_by(_TX.c.position)
        ).all()
    return [str(r[0]) for r in rows]


def rows_after(engine: Engine, height: int) -> int:
    """How many transaction rows claim a height after ``height`` (none in a sound chain)."""
    from sqlalchemy import func

    with engine.connect() as conn:
        value = conn.execute(select(func.count()).select_from(_TX).where(_TX.c.height > height))
        return int(value.scalar_one())
