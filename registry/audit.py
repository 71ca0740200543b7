"""Re-verify a stored chain from its genesis (``ecert registry audit``, and every node start).

Each stored block is rebuilt from its rows' bytes, its index columns are checked against those
bytes, and the blocks go through the core's one verified replay,
:func:`~vc_core.ledger.replay_steps` — the routine a replica syncs and opens with too. The first
block that fails is named by height: a changed byte in a header, a signature or a transaction
changes a hash, a Merkle root or a signature check, so it cannot pass.

Example:
    >>> import tempfile, pathlib
    >>> from registry.db import make_engine
    >>> audit(make_engine(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite")).ok
    False
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError

from registry import store
from vc_core.errors import MalformedError, NotFoundError, VCError
from vc_core.ledger import (
    DEFAULT_PARAMS,
    Block,
    BlockHeader,
    ChainCode,
    ChainError,
    LedgerParams,
    LedgerState,
    replay_steps,
)


@dataclass
class AuditReport:
    """What an audit found: the head, counts, and the first bad height if any."""

    ok: bool = False
    blocks: int = 0
    transactions: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    head_height: int | None = None
    head_hash: str | None = None
    first_bad_height: int | None = None
    error: VCError | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """A human summary, one fact per line (no secrets: the chain is public)."""
        out = [
            f"head: height {self.head_height} hash {self.head_hash}",
            f"blocks: {self.blocks}  transactions: {self.transactions}",
            "by type: " + ", ".join(f"{k}={v}" for k, v in sorted(self.by_type.items())),
            f"verified in {self.seconds:.2f} s",
        ]
        if self.ok:
            out.append("audit: OK")
        else:
            out.append(f"audit: FAILED at height {self.first_bad_height}")
            if self.error is not None:
                out.append(self.error.diagnostics())
        return out


def _bad(height: int, message: str, code: str = "STORED_BLOCK_INVALID") -> ChainError:
    return ChainError(message, code=code, height=height)


def _rebuild(stored: store.StoredBlock) -> Block:
    """The block the rows hold, with every index column checked against its bytes."""
    h = stored.height
    try:
        block = store.parse_block(stored)
    except MalformedError as exc:
        raise _bad(h, f"the stored bytes do not parse: {exc.message}") from exc
    if block.header.height != h or block.hash != stored.hash:
        raise _bad(h, "the stored height or hash does not match the header bytes")
    if block.header.signing_bytes != stored.header:
        raise _bad(h, "the stored header is not in canonical form")
    for tx, tx_hash, body in zip(
        block.transactions, stored.tx_hashes, stored.tx_bodies, strict=True
    ):
        if tx.hash != tx_hash or tx.canonical_bytes != body:
            raise _bad(h, f"stored transaction {tx_hash} does not match its bytes")
    return block


def _stored_blocks(engine: Engine) -> Generator[Block, None, None]:
    """The stored blocks from genesis, each rebuilt and checked against its rows, in order."""
    for expected, stored in enumerate(store.iter_stored(engine, 0)):
        if stored.height != expected:
            raise _bad(expected, f"block {expected} is missing", ChainCode.BAD_HEIGHT)
        yield _rebuild(stored)


def replay_stored(
    engine: Engine,
    *,
    genesis_hash: str | None = None,
    params: LedgerParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    report: AuditReport | None = None,
    workers: int | None = None,
    chunk_txs: int = 1024,
) -> tuple[LedgerState, BlockHeader]:
    """The state and head of the stored chain, verified from genesis.

    The blocks go through :func:`~vc_core.ledger.replay_steps`: transaction signatures are
    checked by ``workers`` processes (default: CPUs − 1) ahead of the fold, in chunks of
    ``chunk_txs``; a chain shorter than one chunk is checked in this process alone.

    Raises:
        NotFoundError: the database holds no block.
        ChainError: the first bad block (``height`` names it).
    """
    state: LedgerState | None = None
    head: BlockHeader | None = None
    steps = replay_steps(
        _stored_blocks(engine),
        genesis_hash=genesis_hash,
        params=params,
        now=now,
        workers=workers,
        chunk_txs=chunk_txs,
        defer=(VCError, DatabaseError),
    )
    with closing(steps):
        for block, after in steps:
            state, head = after, block.header
            if report is not None:
                report.blocks += 1
                report.transactions += len(block.transactions)
                report.by_type.update(tx.type for tx in block.transactions)
                report.head_height, report.head_hash = head.height, head.hash
    if state is None or head is None:
        raise NotFoundError("the database holds no chain", code="NO_CHAIN")
    stray = store.rows_after(engine, head.height)
    if stray:
        raise _bad(head.height + 1, f"{stray} transaction rows belong to no stored block")
    return state, head


def audit(
    engine: Engine,
    *,
    genesis_hash: str | None = None,
    params: LedgerParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    workers: int | None = None,
    chunk_txs: int = 1024,
) -> AuditReport:
    """Re-verify everything; never raises for a bad chain, the report says what failed.

    ``workers`` and ``chunk_txs`` are as in :func:`replay_stored`.
    """
    report = AuditReport()
    started = time.perf_counter()
    try:
        replay_stored(
            engine,
            genesis_hash=genesis_hash,
            params=params,
            now=now,
            report=report,
            workers=workers,
            chunk_txs=chunk_txs,
        )
        report.ok = True
    except ChainError as exc:
        report.error, report.first_bad_height = exc, exc.height
    except NotFoundError as exc:
        report.error = exc
    except DatabaseError as exc:
        # A flipped byte in a page header makes SQLite itself refuse the file.
        bad = 0 if report.head_height is None else report.head_height + 1
        report.error = _bad(bad, f"the database file is damaged: {exc.orig}")
        report.first_bad_height = bad
    report.seconds = time.perf_counter() - started
    return report
