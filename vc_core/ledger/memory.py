"""``MemoryLedger``: the in-memory :class:`~vc_core.ledger.interface.Ledger` backend.

It reads as a :class:`~vc_core.ledger.interface.LedgerReader` (through
:class:`~vc_core.ledger.queries.StateQueries`) and writes as a
:class:`~vc_core.ledger.interface.LedgerWriter`.

The reference backend for the contract suite and a base for replicas: it keeps the blocks and
two :class:`~vc_core.ledger.state.LedgerState` values, the committed one and the one with the
pending transactions folded on top. Both are immutable, so nothing is ever half applied.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.builders import genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> ledger = MemoryLedger.create(genesis_tx("demo", [k], 1, k.public, t), k, t)
    >>> ledger.head().height
    0
"""

from __future__ import annotations

from datetime import datetime

from vc_core.errors import NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger.blocks import (
    Block,
    BlockHeader,
    Checkpoint,
    apply_block,
    make_block,
    make_checkpoint,
)
from vc_core.ledger.errors import LedgerRuleError, LookupCode, RuleCode
from vc_core.ledger.fold import apply
from vc_core.ledger.queries import StateQueries
from vc_core.ledger.records import Inclusion
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.state import LedgerState
from vc_core.ledger.tx import Transaction


class MemoryLedger(StateQueries):
    """A single-producer chain held in memory."""

    def __init__(
        self, genesis_block: Block, producer_key: KeyPair, params: LedgerParams = DEFAULT_PARAMS
    ) -> None:
        self._params = params
        self._producer = producer_key
        self._blocks: list[Block] = [genesis_block]
        self._state = apply_block(LedgerState.empty(genesis_block.header.chain_id), genesis_block)
        self._pending: list[Transaction] = []
        self._pending_state = self._state
        self._tx_index: dict[str, tuple[Transaction, int, int]] = {
            tx.hash: (tx, 0, i) for i, tx in enumerate(genesis_block.transactions)
        }

    @classmethod
    def create(
        cls,
        genesis: Transaction,
        producer_key: KeyPair,
        now: datetime,
        params: LedgerParams = DEFAULT_PARAMS,
    ) -> MemoryLedger:
        """A new chain whose block 0 holds ``genesis``, produced at ``now``."""
        return cls(make_block(None, [genesis], now, producer_key), producer_key, params)

    def _committed(self) -> LedgerState:
        return self._state

    @property
    def state(self) -> LedgerState:
        """The committed state (immutable; the reference the other backends are checked by)."""
        return self._state

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(self._blocks)

    def submit(self, tx: Transaction, now: datetime) -> str:
        if tx.hash in self._tx_index:
            raise LedgerRuleError(
                f"transaction {tx.hash} is already on chain", code=RuleCode.REPLAYED_TRANSACTION
            )
        self._pending_state = apply(self._pending_state, tx, now, self._params)
        self._pending.append(tx)
        return tx.hash

    def produce_block(self, now: datetime) -> Block | None:
        state, kept = self._state, []
        for tx in self._pending:
            try:
                state = apply(state, tx, now, self._params)
            except LedgerRuleError:
                continue
            kept.append(tx)
        self._pending, self._pending_state = [], self._state
        if not kept:
            return None
        block = make_block(self._blocks[-1].header, kept, now, self._producer)
        self._state = apply_block(self._state, block, self._params)
        self._pending_state = self._state
        self._blocks.append(block)
        for i, tx in enumerate(kept):
            self._tx_index[tx.hash] = (tx, block.height, i)
        return block

    def head(self) -> BlockHeader:
        return self._blocks[-1].header

    def block(self, height: int) -> Block:
        if not 0 <= height < len(self._blocks):
            raise NotFoundError(f"no block at height {height}", code=LookupCode.BLOCK_NOT_FOUND)
        return self._blocks[height]

    def checkpoint(self, now: datetime) -> Checkpoint:
        return make_checkpoint(self._state, self._producer, now)

    def transaction(self, tx_hash: str) -> tuple[Transaction, int]:
        found = self._tx_index.get(tx_hash)
        if found is None:
            raise NotFoundError(f"no committed transaction {tx_hash}", code=LookupCode.TX_NOT_FOUND)
        return found[0], found[1]

    def inclusion(self, tx_hash: str) -> Inclusion | None:
        found = self._tx_index.get(tx_hash)
        if found is None:
            return None
        header = self._blocks[found[1]].header
        return Inclusion(
            tx_hash=tx_hash,
            height=header.height,
            position=found[2],
            block_hash=header.hash,
            block_time=header.time,
        )

    def next_seq(self, author: str) -> int:
        return self._pending_state.next_seq(author)
