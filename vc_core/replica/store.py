"""The replica's own SQLite file (stdlib ``sqlite3``): the verified chain, block by block.

Only blocks that passed :func:`~vc_core.ledger.apply_block` are written, each in one fsync'd
transaction (WAL, ``synchronous=FULL``), with the exact bytes that were signed and hashed. On
open the replica re-verifies them from the trusted genesis, so a changed file is noticed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from vc_core.ledger import Block, BlockHeader, Checkpoint, Transaction

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS block (height INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    " header BLOB NOT NULL, signature TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tx (height INTEGER NOT NULL, position INTEGER NOT NULL,"
    " hash TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (height, position))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class ReplicaStore:
    """Append-only storage of verified blocks, plus the last verified checkpoint."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=10000"):
            self._db.execute(f"PRAGMA {pragma}")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def append(self, blocks: list[Block]) -> None:
        """Store verified blocks, all or none, in one transaction."""
        if not blocks:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO block VALUES (?, ?, ?, ?)",
                [(b.height, b.hash, b.header.signing_bytes, b.signature) for b in blocks],
            )
            self._db.executemany(
                "INSERT INTO tx VALUES (?, ?, ?, ?)",
                [
                    (b.height, i, tx.hash, tx.canonical_bytes)
                    for b in blocks
                    for i, tx in enumerate(b.transactions)
                ],
            )
        except sqlite3.Error:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def blocks(self, page: int = 256) -> Iterator[Block]:
        """Every stored block, in height order (parsed from the stored bytes)."""
        height = 0
        while True:
            rows = self._db.execute(
                "SELECT height, header, signature FROM block WHERE height >= ? AND height < ?"
                " ORDER BY height",
                (height, height + page),
            ).fetchall()
            if not rows:
                return
            txs: dict[int, list[Transaction]] = {}
            for h, body in self._db.execute(
                "SELECT height, body FROM tx WHERE height >= ? AND height < ?"
                " ORDER BY height, position",
                (height, height + page),
            ):
                txs.setdefault(h, []).append(Transaction.from_json(body))
            for h, header, signature in rows:
                yield Block(
                    header=BlockHeader.from_json(header),
                    transactions=tuple(txs.get(h, ())),
                    signature=signature,
                )
            height = rows[-1][0] + 1

    def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('checkpoint', ?)", (checkpoint.to_json(),)
        )

    def checkpoint(self) -> Checkpoint | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        return None if row is None else Checkpoint.model_validate(json.loads(row[0]))

    def block_hash(self, height: int) -> str | None:
        row = self._db.execute("SELECT hash FROM block WHERE height = ?", (height,)).fetchone()
        return None if row is None else str(row[0])
