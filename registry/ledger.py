"""``EmbeddedLedger``: the SQLite-backed :class:`~vc_core.ledger.interface.Ledger` backend.

It answers :class:`~vc_core.ledger.interface.LedgerReader` from its committed state (through
the core's :class:`~vc_core.ledger.queries.StateQueries`, as every backend does); nothing
outside this class reads that state.

Validation is the core's: ``submit`` folds the transaction with :func:`vc_core.ledger.apply` on
top of the committed state plus everything pending, and keeps the state after it. Producing a
block re-checks each pending transaction's time window at the block time with the core's
:func:`~vc_core.ledger.rules.check_time` — the only rule that reads ``now`` — so the states
folded at submission are exactly what :func:`~vc_core.ledger.apply_block` computes at the block
time and nothing is verified twice. If any transaction falls outside the window, the batch is
re-folded at the block time with :func:`~vc_core.ledger.apply` and the failures are dropped
(reported as ``rejected``) A council transaction with ``expires`` takes effect at the
block time, so a batch holding one is always re-folded.

A block is written with :func:`registry.store.write_block` — one fsync'd SQLite transaction —
and only then becomes the committed state; queries answer from committed state only. One thread
produces blocks; submissions may continue while a block is being written.

Example:
    >>> import tempfile, pathlib
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger import genesis_tx
    >>> from registry.db import make_engine
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> engine = make_engine(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite")
    >>> EmbeddedLedger.create(engine, genesis_tx("demo", [k], 1, k.public, t), k, t).head().height
    0
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.engine import Engine

from registry import store
from vc_core.errors import NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    DEFAULT_PARAMS,
    Block,
    BlockHeader,
    ChainCode,
    ChainError,
    Checkpoint,
    Inclusion,
    LedgerParams,
    LedgerRuleError,
    LedgerState,
    RuleCode,
    Transaction,
    apply,
    apply_block,
    make_block,
    make_checkpoint,
)
from vc_core.ledger.errors import LookupCode
from vc_core.ledger.queries import StateQueries
from vc_core.ledger.rules import check_time

MAX_REJECTED_REMEMBERED = 100_000


@dataclass(frozen=True, slots=True)
class _Pending:
    tx: Transaction
    state_after: LedgerState


class EmbeddedLedger(StateQueries):
    """A single-producer chain whose blocks live in SQLite (WAL, synchronous=FULL)."""

    # Whether submitting (and reading the pending sequence numbers) may wait on another
    # machine. The embedded fold is in memory and takes microseconds, so the async routes call
    # it directly; a ledger that talks to a remote node (the EVM backend's JSON-RPC) sets this,
    # and the routes then call it from a worker thread so a slow node never stalls the loop.
    blocking_io: ClassVar[bool] = False

    def __init__(
        self,
        engine: Engine,
        producer_key: KeyPair,
        state: LedgerState,
        head: BlockHeader,
        params: LedgerParams = DEFAULT_PARAMS,
    ) -> None:
        self._engine = engine
        self._producer = producer_key
        self._params = params
        self._state = state
        self._head = head
        self._pending: list[_Pending] = []
        self._pending_hashes: set[str] = set()
        self._working = state
        self._rejected: OrderedDict[str, LedgerRuleError] = OrderedDict()
        self._lock = threading.Lock()
        self._produce_lock = threading.Lock()

    # Construction ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        engine: Engine,
        genesis: Transaction,
        producer_key: KeyPair,
        now: datetime,
        params: LedgerParams = DEFAULT_PARAMS,
    ) -> EmbeddedLedger:
        """Write block 0 (the genesis transaction alone) into an empty database.

        Raises:
            ChainError: the database already holds a chain (``BAD_GENESIS``), or the genesis
                does not apply.
        """
        if store.head_height(engine) is not None:
            raise ChainError("the database already holds a chain", code=ChainCode.BAD_GENESIS)
        block = make_block(None, [genesis], now, producer_key)
        state = apply_block(LedgerState.empty(genesis.chain_id), block, params)
        store.write_block(engine, block)
        return cls(engine, producer_key, state, block.header, params)

    @classmethod
    def open(
        cls,
        engine: Engine,
        producer_key: KeyPair,
        *,
        genesis_hash: str | None = None,
        params: LedgerParams = DEFAULT_PARAMS,
    ) -> EmbeddedLedger:
        """Re-verify the stored chain from its genesis and continue it.

        Raises:
            NotFoundError: the database holds no chain.
            ChainError: a stored block does not verify (see ``ecert registry audit``).
        """
        from registry.audit import replay_stored

        state, head = replay_stored(engine, genesis_hash=genesis_hash, params=params)
        return cls(engine, producer_key, state, head, params)

    @classmethod
    def factory(cls, engine: Engine) -> Any:
        """A ``(genesis_tx, producer_key, now) -> Ledger`` callable over ``engine``."""

        def make(genesis: Transaction, producer_key: KeyPair, now: datetime) -> EmbeddedLedger:
            return cls.create(engine, genesis, producer_key, now)

        return make

    # Writing --------------------------------------------------------------------------------

    def _committed(self) -> LedgerState:
        return self._state

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def submit(self, tx: Transaction, now: datetime) -> str:
        """Fold ``tx`` on top of the pending state at ``now`` and keep it pending.

        Raises:
            LedgerRuleError: the rule ``tx`` breaks (``REPLAYED_TRANSACTION`` if it is pending
                or on chain already); nothing is kept.
        """
        return self.submit_many([tx], now)[0]

    def submit_many(self, txs: list[Transaction], now: datetime) -> list[str]:
        """Fold ``txs`` in order and keep them all pending — or, if one breaks a rule, none.

        Raises:
            LedgerRuleError: the first rule broken; ``details["index"]`` names the transaction.
        """
        with self._lock:
            working, added, seen = self._working, [], set()
            for i, tx in enumerate(txs):
                try:
                    # A committed transaction fails the core's sequence rule (REPLAYED_TRANSACTION).
                    if tx.hash in self._pending_hashes or tx.hash in seen:
                        raise LedgerRuleError(
                            f"transaction {tx.hash} was submitted before",
                            code=RuleCode.REPLAYED_TRANSACTION,
                        )
                    working = apply(working, tx, now, self._params)
                except LedgerRuleError as exc:
                    if len(txs) > 1:
                        exc.details["index"] = i
                    raise
                added.append(_Pending(tx, working))
                seen.add(tx.hash)
            self._working = working
            self._pending.extend(added)
            self._pending_hashes.update(seen)
            for tx_hash in seen:
                self._rejected.pop(tx_hash, None)
        return [p.tx.hash for p in added]

    def produce_block(self, now: datetime, max_txs: int | None = None) -> Block | None:
        """Commit up to ``max_txs`` pending transactions as one block dated ``now``."""
        with self._produce_lock:
            with self._lock:
                taken = len(self._pending) if max_txs is None else min(max_txs, len(self._pending))
                if taken == 0:
                    return None
                block_time = max(now, self._head.time)
                txs, state = self._fold_batch(self._pending[:taken], block_time)
            block = make_block(self._head, txs, block_time, self._producer) if txs else None
            if block is not None:
                store.write_block(self._engine, block)
            with self._lock:
                for p in self._pending[:taken]:
                    self._pending_hashes.discard(p.tx.hash)
                del self._pending[:taken]
                if block is not None:
                    self._state = state.evolve(
                        head=block.header.head, genesis_hash=self._state.genesis_hash
                    )
                    self._head = block.header
            return block

    def _fold_batch(
        self, batch: list[_Pending], block_time: datetime
    ) -> tuple[list[Transaction], LedgerState]:
        """The transactions that pass at ``block_time`` and the state after them (lock held).

        A council transaction with ``expires`` takes effect at the block time, not at the
        submission, so a batch holding one is folded again (they are rare: council acts)."""
        if any(p.tx.expires is not None for p in batch):
            return self._refold(batch, block_time)
        try:
            for p in batch:
                check_time(p.tx, block_time, self._params)
        except LedgerRuleError:
            return self._refold(batch, block_time)
        return [p.tx for p in batch], batch[-1].state_after

    def _refold(
        self, batch: list[_Pending], block_time: datetime
    ) -> tuple[list[Transaction], LedgerState]:
        state, kept = self._state, []
        for p in batch:
            try:
                state = apply(state, p.tx, block_time, self._params)
            except LedgerRuleError as exc:
                self._reject(p.tx.hash, exc)
                continue
            kept.append(p.tx)
        working, rest = state, []
        for p in self._pending[len(batch) :]:
            try:
                working = apply(working, p.tx, block_time, self._params)
            except LedgerRuleError as exc:
                self._reject(p.tx.hash, exc)
                continue
            rest.append(_Pending(p.tx, working))
        self._pending[len(batch) :] = rest
        self._pending_hashes = {p.tx.hash for p in self._pending}
        self._working = working
        return kept, state

    def _reject(self, tx_hash: str, error: LedgerRuleError) -> None:
        self._rejected[tx_hash] = error
        while len(self._rejected) > MAX_REJECTED_REMEMBERED:
            self._rejected.popitem(last=False)

    # Transaction state ----------------------------------------------------------------------

    def is_pending(self, tx_hash: str) -> bool:
        return tx_hash in self._pending_hashes

    def rejection(self, tx_hash: str) -> LedgerRuleError | None:
        """Why a pending transaction was dropped at block time, if it was (kept in memory)."""
        return self._rejected.get(tx_hash)

    # Ledger queries -------------------------------------------------------------------------

    def head(self) -> BlockHeader:
        return self._head

    def block(self, height: int) -> Block:
        return store.read_block(self._engine, height)

    def checkpoint(self, now: datetime) -> Checkpoint:
        return make_checkpoint(self._state, self._producer, now)

    def transaction(self, tx_hash: str) -> tuple[Transaction, int]:
        found = store.find_tx(self._engine, tx_hash)
        if found is None or found.height > self._head.height:
            raise NotFoundError(f"no committed transaction {tx_hash}", code=LookupCode.TX_NOT_FOUND)
        return Transaction.from_json(found.body), found.height

    def inclusion(self, tx_hash: str) -> Inclusion | None:
        found = store.find_tx(self._engine, tx_hash)
        if found is None or found.height > self._head.height:
            return None
        header, _ = store.read_header(self._engine, found.height)
        return Inclusion(
            tx_hash=tx_hash,
            height=found.height,
            position=found.position,
            block_hash=header.hash,
            block_time=header.time,
        )

    def next_seq(self, author: str) -> int:
        return self._working.next_seq(author)
