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
from registry.audit_pins import check_pin
from registry.codes import AuditCode
from vc_core.errors import MalformedError, NotFoundError, VCError
from vc_core.ledger import (
    DEFAULT_PARAMS,
    Block,
    BlockHeader,
    ChainCode,
    ChainError,
    Checkpoint,
    LedgerParams,
    LedgerState,
    Transaction,
    replay_steps,
    verify_checkpoint,
)
from vc_core.ledger.errors import LedgerRuleError, LookupCode
from vc_core.ledger.replay import gc_paused


@dataclass
class AuditReport:
    """What an audit found: the head, counts, and the first bad height if any."""

    ok: bool = False
    blocks: int = 0
    transactions: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    head_height: int | None = None
    head_hash: str | None = None
    from_height: int = 0
    first_bad_height: int | None = None
    state: LedgerState | None = None
    error: VCError | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """A human summary, one fact per line (no secrets: the chain is public)."""
        out = [
            (
                f"head: height {self.head_height} hash {self.head_hash}"
                if self.head_height is not None
                else "head: none verified (the chain fails at its first block)"
            ),
            f"blocks: {self.blocks}  transactions: {self.transactions}"
            + (
                f"  (after the trusted state at {self.from_height - 1})" if self.from_height else ""
            ),
            "by type: " + ", ".join(f"{k}={v}" for k, v in sorted(self.by_type.items())),
            f"verified in {self.seconds:.2f} s",
        ]
        if self.ok:
            out.append("audit: OK")
        elif self.error is not None and self.error.code in _PIN_CODES:
            out.append(f"audit: FAILED: expected height {self.first_bad_height}")
        else:
            out.append(f"audit: FAILED at height {self.first_bad_height}")
        if self.error is not None:
            out.append(self.error.diagnostics())
        return out


def _bad(height: int, message: str, code: str = ChainCode.STORED_BLOCK_INVALID) -> ChainError:
    return ChainError(message, code=code, height=height)


def _rebuild(stored: store.StoredBlock) -> Block:
    """The block the rows hold, with its header and index columns checked against its bytes.

    Each transaction is parsed by :meth:`~vc_core.ledger.Transaction.from_stored` (the model
    must give back the value its bytes hold); that those bytes are canonical and hash to the
    stored hash is checked with its signatures, in a worker, before the fold
    (:func:`~vc_core.ledger.sigpool.preverified` raises ``STORED_BLOCK_INVALID`` at this height
    otherwise), so this process neither re-serializes nor re-hashes them.
    """
    h = stored.height
    try:
        header = BlockHeader.from_json(stored.header)
        txs = tuple(
            Transaction.from_stored(body, tx_hash)
            for body, tx_hash in zip(stored.tx_bodies, stored.tx_hashes, strict=True)
        )
    except (MalformedError, LedgerRuleError) as exc:
        # LedgerRuleError: a ``type`` this ledger does not know (a changed byte can make one).
        raise _bad(h, f"the stored bytes do not parse: {exc.message}") from exc
    if header.height != h or header.hash != stored.hash:
        raise _bad(h, "the stored height or hash does not match the header bytes")
    if header.signing_bytes != stored.header:
        raise _bad(h, "the stored header is not in canonical form")
    return Block(header=header, transactions=txs, signature=stored.signature)


def _stored_blocks(engine: Engine, start: int = 0) -> Generator[Block, None, None]:
    """The stored blocks from ``start``, each rebuilt and checked against its rows, in order."""
    for expected, stored in enumerate(store.iter_stored(engine, start), start=start):
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
    start: LedgerState | None = None,
    watch: dict[int, tuple[str, str]] | None = None,
) -> tuple[LedgerState, BlockHeader]:
    """The state and head of the stored chain, verified from genesis — or, with ``start`` (a
    trusted state, with its head), only the blocks after it.

    ``watch`` maps heights to fill in with (block hash, producer in force after it).

    The blocks go through :func:`~vc_core.ledger.replay_steps`: transactions' stored bytes and
    signatures are checked by ``workers`` processes (default: one per CPU) ahead of the fold, in
    chunks of ``chunk_txs``; a chain shorter than one chunk is checked in this process alone.
    Python's cyclic garbage collector is paused meanwhile
    (:func:`~vc_core.ledger.replay.gc_paused`).

    Raises:
        NotFoundError: the database holds no block.
        ChainError: the first bad block (``height`` names it).
    """
    state: LedgerState | None = start
    head: BlockHeader | None = None
    first = 0
    if start is not None and start.head is not None:
        first, head = start.head.height + 1, store.read_header(engine, start.head.height)[0]
    steps = replay_steps(
        _stored_blocks(engine, first),
        state=state,
        genesis_hash=genesis_hash,
        params=params,
        now=now,
        workers=workers,
        chunk_txs=chunk_txs,
        defer=(VCError, DatabaseError),
    )
    with closing(steps), gc_paused():
        for block, after in steps:
            state, head = after, block.header
            if watch is not None and block.height in watch and after.council is not None:
                watch[block.height] = (block.hash, after.council.producer)
            if report is not None:
                report.blocks += 1
                report.transactions += len(block.transactions)
                report.by_type.update(tx.type for tx in block.transactions)
                report.head_height, report.head_hash = head.height, head.hash
    if state is None or head is None:
        raise NotFoundError("the database holds no chain", code=LookupCode.NO_CHAIN)
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
    checkpoint: Checkpoint | None = None,
    start: LedgerState | None = None,
) -> AuditReport:
    """Re-verify everything; never raises for a bad chain, the report says what failed.

    ``workers`` and ``chunk_txs`` are as in :func:`replay_stored`. With ``checkpoint`` (trusted,
    producer-signed) the chain must reach its height and hold its block there; with ``start``
    (the state at a head, from an earlier clean audit) only later blocks are verified,
    and the chain must still hold that head (:mod:`registry.audit_pins`). On success
    ``report.state`` is the state at the head.
    """
    start_head = None if start is None else start.head
    report = AuditReport(from_height=0 if start_head is None else start_head.height + 1)
    started = time.perf_counter()
    watch: dict[int, tuple[str, str]] = {}
    if checkpoint is not None and (start_head is None or checkpoint.height > start_head.height):
        watch[checkpoint.height] = ("", "")
    try:
        if start_head is not None:
            _check_start(engine, start_head.height, start_head.hash)
        state, head = replay_stored(
            engine,
            genesis_hash=genesis_hash,
            params=params,
            now=now,
            report=report,
            workers=workers,
            chunk_txs=chunk_txs,
            start=start,
            watch=watch,
        )
        if checkpoint is not None:
            if checkpoint.height not in watch:
                # At or below the trusted audit state: compared by hash (its signature was
                # checked when that state's audit ran, or not at all: the state is trusted).
                found = _stored_hash(engine, checkpoint.height).get(checkpoint.height, "")
                watch[checkpoint.height] = (found, "")
            _check_checkpoint(checkpoint, head, watch)
        report.ok, report.state = True, state
        report.head_height, report.head_hash = head.height, head.hash
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


_PIN_CODES = frozenset({"CHAIN_SHORTER_THAN_CHECKPOINT", "CHECKPOINT_MISMATCH"})


def _check_start(engine: Engine, height: int, block_hash: str) -> None:
    """The chain still holds the trusted audit state's head block."""
    check_pin(height, block_hash, _stored_hash(engine, height), _head(engine), "the audit state")


def _head(engine: Engine) -> int:
    stored = store.head_height(engine)
    return -1 if stored is None else stored


def _stored_hash(engine: Engine, height: int) -> dict[int, str]:
    try:
        return {height: store.read_header(engine, height)[0].hash}
    except NotFoundError:
        return {}


def _check_checkpoint(
    checkpoint: Checkpoint, head: BlockHeader, watch: dict[int, tuple[str, str]]
) -> None:
    what = "the trusted checkpoint"
    if checkpoint.chain_id != head.chain_id:
        raise ChainError(
            f"{what} is for chain {checkpoint.chain_id}", code=AuditCode.CHECKPOINT_MISMATCH
        )
    block_hash, producer = watch.get(checkpoint.height, ("", ""))
    seen = {checkpoint.height: block_hash} if block_hash else {}
    check_pin(checkpoint.height, checkpoint.head_hash, seen, head.height, what)
    if producer:
        verify_checkpoint(checkpoint, producer)
