"""Following an ``EcertLog`` contract: the vc_core fold over its events, in chain order.

The contract orders and keeps ecert transactions; it judges none (docs/adr/0002-evm-backend.md).
:class:`EvmFollower` reads the ``Tx`` events of confirmed EVM blocks (``eth_getLogs`` in pages)
and folds each with :func:`vc_core.ledger.apply` at its EVM block's timestamp — the same rules,
at the same times, for every reader. A transaction the fold rejects (or that does not parse) is
skipped by every reader alike and listed in :attr:`EvmFollower.rejected`.

The accepted transactions of one EVM block form one derived ecert block: height = the number
of derived blocks before it, ``prev_hash`` the previous derived header's hash, ``time`` the EVM
block's timestamp, ``producer`` the council's producer key before the block — exactly the
header a single producer would make (so the hashes equal the embedded chain's for the same
transactions at the same times). Block 0 is the genesis, emitted by the contract's constructor.

Safety:
- Only blocks at least ``confirmations`` deep are folded, so nothing is answered from a fact the
  chain has not confirmed.
- The hash of the last folded EVM block is re-read on every sync; if it changed, a reorg went
  deeper than ``confirmations`` and :class:`~registry.evm.codes.ReorgError` is raised — and
  raised again on every later call (the state may hold facts the chain no longer has).
- Event numbers (``seq``) must follow each other without a gap, so a node that leaves events
  out of an ``eth_getLogs`` answer is caught (``EVM_LOG_GAP``).
- An optional trusted genesis hash (DESIGN §2) is checked against derived block 0.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

from registry.evm.chain import DEFAULT_PAGE_BLOCKS, EvmChain, TxLog
from registry.evm.codes import EvmCode, EvmError, ReorgError
from vc_core.errors import MalformedError, NotFoundError
from vc_core.ledger import (
    LedgerRuleError,
    LedgerState,
    Transaction,
    apply,
)
from vc_core.ledger.blocks import ZERO_HASH, BlockHeader, tx_root
from vc_core.ledger.errors import LookupCode
from vc_core.ledger.queries import StateQueries
from vc_core.ledger.records import Inclusion
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams

log = logging.getLogger("registry.evm")


@dataclass(frozen=True)
class DerivedBlock:
    """An ecert block derived from one EVM block (unsigned: the EVM consensus orders it)."""

    header: BlockHeader
    transactions: tuple[Transaction, ...]
    evm_block: int
    evm_hash: str
    evm_txs: tuple[str, ...]  # the EVM transaction that appended each one


@dataclass(frozen=True)
class Rejection:
    """An event the fold refused (every reader refuses it alike)."""

    seq: int
    evm_block: int
    evm_tx_hash: str
    tx_hash: str | None
    code: str


def evm_time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class EvmFollower(StateQueries):
    """A :class:`~vc_core.ledger.LedgerReader` over an EcertLog contract (see the module)."""

    def __init__(
        self,
        chain: EvmChain,
        *,
        confirmations: int = 2,
        genesis_hash: str | None = None,
        params: LedgerParams = DEFAULT_PARAMS,
        page_blocks: int = DEFAULT_PAGE_BLOCKS,
    ) -> None:
        if chain.address is None:
            raise EvmError("attach the contract first", code=EvmCode.NOT_THE_CONTRACT)
        self.chain = chain
        self.confirmations = confirmations
        self.genesis_hash = genesis_hash
        self.params = params
        self.page_blocks = page_blocks
        self.blocks: list[DerivedBlock] = []
        self.rejected: list[Rejection] = []
        self._state: LedgerState | None = None
        self._index: dict[str, tuple[int, int]] = {}
        self._next_event = 0
        self._scanned: tuple[int, str] | None = None  # (EVM block, its hash)
        self._broken: ReorgError | None = None
        self._lock = threading.RLock()

    # LedgerReader ---------------------------------------------------------------------------

    def _committed(self) -> LedgerState:
        if self._broken is not None:
            raise self._broken
        if self._state is None:
            raise NotFoundError("the EVM chain holds no ecert block yet", code=LookupCode.NO_CHAIN)
        return self._state

    @property
    def state(self) -> LedgerState:
        return self._committed()

    def inclusion(self, tx_hash: str) -> Inclusion | None:
        with self._lock:
            found = self._index.get(tx_hash)
            if found is None:
                return None
            header = self.blocks[found[0]].header
            return Inclusion(
                tx_hash=tx_hash,
                height=header.height,
                position=found[1],
                block_hash=header.hash,
                block_time=header.time,
            )

    def committed_tx(self, tx_hash: str) -> tuple[Transaction, int] | None:
        with self._lock:
            found = self._index.get(tx_hash)
            if found is None:
                return None
            return self.blocks[found[0]].transactions[found[1]], found[0]

    def evm_tx_of(self, tx_hash: str) -> str | None:
        """The EVM transaction that appended a committed ecert transaction (for its receipt)."""
        with self._lock:
            found = self._index.get(tx_hash)
            return None if found is None else self.blocks[found[0]].evm_txs[found[1]]

    @property
    def scanned_to(self) -> int | None:
        """The last EVM block folded (``None`` before the first sync)."""
        return None if self._scanned is None else self._scanned[0]

    # Sync -----------------------------------------------------------------------------------

    def sync(self) -> int:
        """Fold every newly confirmed EVM block; returns how many ecert blocks were added.

        Raises:
            EvmError: the node failed or answered inconsistently (try again later).
            ReorgError: a folded block was replaced (sticky, see the module).
        """
        with self._lock:
            if self._broken is not None:
                raise self._broken
            before = len(self.blocks)
            head = self.chain.head_number()
            target = head - self.confirmations
            if self._scanned is not None:
                self._check_no_reorg()
                start = self._scanned[0] + 1
            else:
                start = self.chain.deployed_at
            while start <= target:
                stop = min(target, start + self.page_blocks - 1)
                self._fold_range(start, stop)
                start = stop + 1
            return len(self.blocks) - before

    def _check_no_reorg(self) -> None:
        assert self._scanned is not None
        number, known = self._scanned
        # A chain now shorter than what was folded (a node reset or restored) is a reorg too.
        now = self.chain.header(number).hash if self.chain.head_number() >= number else "none"
        if now != known:
            self._broken = ReorgError(
                f"EVM block {number} was {known}, the node now has {now}: a reorganisation "
                f"deeper than {self.confirmations} confirmations"
            )
            log.critical("reorg beyond the confirmation depth at EVM block %d", number)
            raise self._broken

    def _fold_range(self, start: int, stop: int) -> None:
        logs = self.chain.logs(start, stop)
        for number, group in groupby(logs, key=lambda entry: entry.block_number):
            entries = list(group)
            header = self.chain.header(number)
            if any(entry.block_hash != header.hash for entry in entries):
                raise EvmError(f"the node's logs and block {number} disagree; try again")
            self._fold_evm_block(header.timestamp, header.hash, number, entries)
            self._scanned = (number, header.hash)
        end = self.chain.header(stop)
        self._scanned = (stop, end.hash)

    def _fold_evm_block(
        self, timestamp: int, evm_hash: str, number: int, entries: list[TxLog]
    ) -> None:
        """Fold one EVM block's events; all or nothing (an error leaves the state as it was)."""
        time = evm_time(timestamp)
        for i, entry in enumerate(entries):
            if entry.seq != self._next_event + i:
                raise EvmError(
                    f"event {self._next_event + i} is missing (the node gave {entry.seq})",
                    code=EvmCode.LOG_GAP,
                )
        self._next_event += len(entries)
        accepted: list[Transaction] = []
        evm_txs: list[str] = []
        state = self._state
        for entry in entries:
            if state is None:
                state = self._genesis(entry, time, evm_hash, number)
                continue
            try:
                tx = Transaction.from_json(entry.data)
                state = apply(state, tx, time, self.params)
            except (MalformedError, LedgerRuleError) as exc:
                self._reject(entry, exc)
                continue
            accepted.append(tx)
            evm_txs.append(entry.evm_tx_hash)
        if accepted:
            assert state is not None
            self._commit_block(
                state, accepted, tuple(evm_txs), time=time, evm_hash=evm_hash, number=number
            )

    def _reject(self, entry: TxLog, exc: MalformedError | LedgerRuleError) -> None:
        tx_hash = None
        with contextlib.suppress(MalformedError, LedgerRuleError):
            tx_hash = Transaction.from_json(entry.data).hash
        self.rejected.append(
            Rejection(entry.seq, entry.block_number, entry.evm_tx_hash, tx_hash, str(exc.code))
        )

    def _genesis(self, entry: TxLog, time: datetime, evm_hash: str, number: int) -> LedgerState:
        """Block 0 from event 0, which must be a genesis the trusted hash (if any) names."""
        try:
            tx = Transaction.from_json(entry.data)
            if tx.type != "genesis":
                raise MalformedError("event 0 is not a genesis transaction")
            state = apply(LedgerState.empty(tx.chain_id), tx, time, self.params)
        except (MalformedError, LedgerRuleError) as exc:
            raise EvmError(
                f"the contract's first event is not an ecert genesis: {exc}",
                code=EvmCode.GENESIS_MISMATCH,
            ) from exc
        header = self._header(None, [tx], time, getattr(tx.body, "producer", ""), tx.chain_id)
        if self.genesis_hash is not None and header.hash != self.genesis_hash:
            raise EvmError(
                f"the contract's genesis is {header.hash}, not the trusted {self.genesis_hash}",
                code=EvmCode.GENESIS_MISMATCH,
            )
        self._append(header, (tx,), (entry.evm_tx_hash,), evm_hash, number)
        self._state = state.evolve(head=header.head, genesis_hash=header.hash)
        return self._state

    def _commit_block(
        self,
        state: LedgerState,
        txs: list[Transaction],
        evm_txs: tuple[str, ...],
        *,
        time: datetime,
        evm_hash: str,
        number: int,
    ) -> None:
        before = self._state
        assert before is not None and before.council is not None
        prev = self.blocks[-1].header
        header = self._header(prev, txs, time, before.council.producer, before.chain_id)
        self._append(header, tuple(txs), evm_txs, evm_hash, number)
        self._state = state.evolve(head=header.head)

    @staticmethod
    def _header(
        prev: BlockHeader | None,
        txs: list[Transaction],
        time: datetime,
        producer: str,
        chain_id: str,
    ) -> BlockHeader:
        return BlockHeader(
            chain_id=chain_id,
            height=0 if prev is None else prev.height + 1,
            prev_hash=ZERO_HASH if prev is None else prev.hash,
            time=time,
            tx_root=tx_root(txs),
            tx_count=len(txs),
            producer=producer,
        )

    def _append(
        self,
        header: BlockHeader,
        txs: tuple[Transaction, ...],
        evm_txs: tuple[str, ...],
        evm_hash: str,
        number: int,
    ) -> None:
        self.blocks.append(DerivedBlock(header, txs, number, evm_hash, evm_txs))
        for i, tx in enumerate(txs):
            self._index[tx.hash] = (header.height, i)
