"""The replica's own SQLite file (stdlib ``sqlite3``): the verified chain, block by block.

Only blocks that passed :func:`~vc_core.ledger.replay_steps` are written, each page in one
fsync'd transaction (WAL, ``synchronous=FULL``), with the exact bytes that were signed and
hashed. Beside them, one ``state`` row keeps the folded state at some height (its bytes, the
height and head hash, and a MAC): :mod:`vc_core.replica.reopen` decides whether it may be used.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from vc_core.errors import MalformedError
from vc_core.ledger import Block, BlockHeader, ChainError, Checkpoint, Transaction
from vc_core.replica.codes import ReplicaCode

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS block (height INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    " header BLOB NOT NULL, signature TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tx (height INTEGER NOT NULL, position INTEGER NOT NULL,"
    " hash TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (height, position))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " height INTEGER NOT NULL, head_hash TEXT NOT NULL, meta BLOB NOT NULL,"
    " leaves BLOB NOT NULL, mac TEXT NOT NULL)",
)


@dataclass(frozen=True)
class StoredState:
    """The ``state`` row: a folded state's bytes, the head it claims, and their MAC."""

    height: int
    head_hash: str
    meta: bytes
    leaves: bytes
    mac: str


@dataclass(frozen=True)
class BlockRows:
    """One stored block as its rows hold it, unparsed."""

    height: int
    hash: str
    header: bytes
    signature: str
    tx_hashes: list[str]
    tx_bodies: list[bytes]


class ReplicaStore:
    """Append-only storage of verified blocks, plus the last verified checkpoint."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the replica file at ``path``.

        Raises:
            MalformedError: ``REPLICA_UNREADABLE`` when ``path`` is not a SQLite file (or cannot
                be opened as one): the user named the wrong file, which is no internal error.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=10000"):
                self._db.execute(f"PRAGMA {pragma}")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise MalformedError(
                f"{path} is not a replica file: {exc}", code=ReplicaCode.REPLICA_UNREADABLE
            ) from None

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

    def rows(self, start: int = 0, stop: int | None = None, page: int = 256) -> Iterator[BlockRows]:
        """Stored blocks ``start ≤ height < stop`` as their raw rows, in height order."""
        height = start
        while stop is None or height < stop:
            end = height + page if stop is None else min(stop, height + page)
            found = self._db.execute(
                "SELECT height, hash, header, signature FROM block"
                " WHERE height >= ? AND height < ? ORDER BY height",
                (height, end),
            ).fetchall()
            if not found:
                return
            txs: dict[int, tuple[list[str], list[bytes]]] = {}
            for h, tx_hash, body in self._db.execute(
                "SELECT height, hash, body FROM tx WHERE height >= ? AND height < ?"
                " ORDER BY height, position",
                (height, end),
            ):
                hashes, bodies = txs.setdefault(h, ([], []))
                hashes.append(str(tx_hash))
                bodies.append(bytes(body))
            for h, block_hash, header, signature in found:
                hashes, bodies = txs.get(h, ([], []))
                yield BlockRows(h, str(block_hash), bytes(header), str(signature), hashes, bodies)
            height = found[-1][0] + 1

    def blocks(self, start: int = 0) -> Iterator[Block]:
        """Stored blocks from ``start`` on, in height order (parsed from the stored bytes).

        Raises:
            ChainError: ``STORED_BLOCK_INVALID`` at the first height whose bytes do not parse.
        """
        for row in self.rows(start):
            try:
                yield Block(
                    header=BlockHeader.from_json(row.header),
                    transactions=tuple(Transaction.from_json(body) for body in row.tx_bodies),
                    signature=row.signature,
                )
            except (MalformedError, ValidationError) as exc:
                raise ChainError(
                    f"stored block {row.height} does not parse: {exc}",
                    code=ReplicaCode.STORED_BLOCK_INVALID,
                    height=row.height,
                ) from exc

    def save_state(self, stored: StoredState) -> None:
        """Replace the stored state (one fsync'd transaction)."""
        self._db.execute(
            "INSERT OR REPLACE INTO state VALUES (1, ?, ?, ?, ?, ?)",
            (stored.height, stored.head_hash, stored.meta, stored.leaves, stored.mac),
        )

    def load_state(self) -> StoredState | None:
        row = self._db.execute(
            "SELECT height, head_hash, meta, leaves, mac FROM state WHERE id = 1"
        ).fetchone()
        if row is None:
            return None
        height, head_hash, meta, leaves, mac = row
        return StoredState(int(height), str(head_hash), bytes(meta), bytes(leaves), str(mac))

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
