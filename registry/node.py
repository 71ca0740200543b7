"""The node's one writer: an asyncio task that seals pending transactions into blocks.

Every ``block_interval`` (or at once when ``max_block_txs`` are waiting) the writer calls
:meth:`EmbeddedLedger.produce_block` in a worker thread. That call returns only after the block's
SQLite transaction has been committed with ``synchronous=FULL`` (one fsync per block), and only
then does the writer wake the submitters waiting on those transactions — so nobody hears
"included" about a block that a crash could lose.

If a block cannot be written — or the writer dies for any other reason — the writer stops and
the node refuses new submissions with ``NODE_HALTED`` (503) rather than run on with a state the
disk does not have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from registry.ledger import EmbeddedLedger
from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import Block

log = logging.getLogger("registry.node")
Clock = Callable[[], datetime]


class NodeHaltedError(RegistryError):
    """The writer could not commit a block and stopped; the node takes no more submissions."""

    default_code = "NODE_HALTED"


class Node:
    """An :class:`EmbeddedLedger` plus the task that produces its blocks.

    ``signer`` is the node key (the block producer's), used for status-list credentials.
    """

    def __init__(
        self,
        ledger: EmbeddedLedger,
        *,
        signer: KeyPair,
        interval_s: float,
        max_txs: int,
        clock: Clock,
        max_wait_s: float = 30.0,
    ) -> None:
        self.ledger = ledger
        self.max_wait_s = max_wait_s
        self.signer = signer
        self.interval_s = interval_s
        self.max_txs = max_txs
        self.clock = clock
        self.halted: BaseException | None = None
        self._wake = asyncio.Event()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="block-producer")
        self._task.add_done_callback(self._writer_done)

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        """A writer that died of anything but cancellation halts the node (fail-stop)."""
        if task.cancelled() or task.exception() is None:
            return
        log.critical("the block writer died; halting: %r", task.exception())
        self.halted = task.exception()
        self._settle(everyone=True)

    async def stop(self) -> None:
        """Stop the writer, sealing what is pending first (a clean shutdown loses nothing)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self.halted is None and self.ledger.pending_count:
            await self.seal()

    def check_running(self) -> None:
        """Raise :class:`NodeHaltedError` if the writer has stopped on a storage failure."""
        if self.halted is not None:
            raise NodeHaltedError("the node could not write a block and has stopped accepting")

    def submitted(self) -> None:
        """Tell the writer one more transaction is pending."""
        if self.ledger.pending_count >= self.max_txs:
            self._wake.set()

    async def wait_settled(self, tx_hash: str, timeout_s: float) -> None:
        """Wait until ``tx_hash`` is committed or dropped, or ``timeout_s`` passes."""
        if not self.ledger.is_pending(tx_hash) or timeout_s <= 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(tx_hash, []).append(future)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(future), timeout_s)

    async def _run(self) -> None:
        while self.halted is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            await self.seal()

    async def seal(self) -> Block | None:
        """Produce one block from what is pending now (if anything) and wake its waiters."""
        if not self.ledger.pending_count:
            return None
        try:
            block = await asyncio.to_thread(self.ledger.produce_block, self.clock(), self.max_txs)
        except (SQLAlchemyError, OSError) as exc:
            log.critical("could not commit a block; halting the writer: %r", exc)
            self.halted = exc
            self._settle(everyone=True)
            return None
        if self.ledger.pending_count >= self.max_txs:
            self._wake.set()
        self._settle(everyone=False)
        return block

    def _settle(self, *, everyone: bool) -> None:
        for tx_hash in list(self._waiters):
            if everyone or not self.ledger.is_pending(tx_hash):
                for future in self._waiters.pop(tx_hash):
                    if not future.done():
                        future.set_result(None)
