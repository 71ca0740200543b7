"""A verifier's own copy of a registry chain, trusted from one genesis hash (DESIGN §2).

:meth:`Replica.sync` pulls blocks from one or more sources, in order of preference. Each block
is verified and folded by the core's one verified replay, :func:`~vc_core.ledger.replay_steps`
(producer signature, hash link, transaction root, every transaction's rules) before it is
stored. Steps:

0. Ask the source for its signed checkpoint; it must be signed by the chain's producer.
1. Re-read the block at this replica's head: a different hash there means the source rewrote
   history — :class:`ChainRewrittenError`, and nothing is taken from it.
2. A source whose head is below this replica's head does not extend it either: refused.
3. Fetch and fold the new blocks page by page, storing each verified page atomically. A page
   of many transactions has their signatures checked in worker processes while it is folded
   (:func:`~vc_core.ledger.sigpool.preverified`; a bad one still fails at its height).
4. Keep the checkpoint once the replica holds its height with the same hash.
5. Store the folded state with its height and head hash (after the first sync, then every
   :data:`SAVE_EVERY_TXS` transactions, and on :meth:`Replica.close`), so that
   :meth:`Replica.open` need not fold the chain again (:mod:`vc_core.replica.reopen` says when
   the stored state is used and when it is refused and rebuilt).

Transport failures move on to the next source; if every source fails the sync raises
:class:`~vc_core.errors.RegistryError` ("could not check"). A verification failure is never
skipped over: it raises at once.

Example:
    >>> import tempfile, pathlib
    >>> r = Replica.open(pathlib.Path(tempfile.mkdtemp()) / "replica.sqlite", genesis_hash="0" * 64)
    >>> r.head is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from vc_core.errors import NotFoundError, RegistryError, VerificationError
from vc_core.ledger import (
    DEFAULT_PARAMS,
    Block,
    BlockSource,
    ChainCode,
    ChainError,
    ChainHead,
    Checkpoint,
    LedgerParams,
    LedgerState,
    replay_steps,
    verify_checkpoint,
)
from vc_core.ledger.errors import LookupCode
from vc_core.ledger.queries import StateQueries
from vc_core.ledger.statefile import decode_state, encode_state
from vc_core.replica import reopen
from vc_core.replica.store import ReplicaStore

PAGE = 100
SAVE_EVERY_TXS = 4096
"""A sync stores the folded state once this many transactions were added since it last did
(and always after the first sync), bounding what an open after a crash must fold again."""
SIG_CHUNK_TXS = 1024
"""Transactions per chunk sent to the signature workers; a page with fewer starts none."""


class ChainRewrittenError(VerificationError):
    """A source's chain does not extend what this replica holds (a fork or a rewrite)."""

    default_code = "CHAIN_REWRITTEN"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: which source answered, blocks added, and the head now."""

    source: str
    added_blocks: int
    added_transactions: int
    head: ChainHead


class Replica(StateQueries):
    """A verified chain in its own SQLite file, folded into a :class:`LedgerState`.

    It is a :class:`~vc_core.ledger.LedgerReader`: the same queries, with the same answers, as
    the node it replicates (before the first sync every query raises ``NO_CHAIN``).

    The folded state is stored beside the blocks (after the first sync, then every
    :data:`SAVE_EVERY_TXS` transactions and on :meth:`close`), so :meth:`open` need not fold the
    chain again; :mod:`vc_core.replica.reopen` says when the stored state may be used.
    """

    def __init__(
        self, store: ReplicaStore, genesis_hash: str, params: LedgerParams, key: bytes
    ) -> None:
        self._store = store
        self._genesis_hash = genesis_hash
        self._params = params
        self._key = key
        self._state: LedgerState | None = None
        self._checkpoint = store.checkpoint()
        self._unsaved_txs = 0
        self._saved = False
        self.opened_from: Literal["empty", "stored state", "genesis"] = "empty"
        """How :meth:`open` got its state: none held, the stored state, or a replay."""
        self.state_refused: str | None = None
        """Why the stored state was not used (a ``reopen.StateRefused`` code), if it was not."""

    @classmethod
    def open(
        cls, path: Path, *, genesis_hash: str, params: LedgerParams = DEFAULT_PARAMS
    ) -> Replica:
        """Open (or create) a replica file: from its stored state if that passes every check of
        :mod:`vc_core.replica.reopen`, else by re-verifying its blocks from the genesis.

        Raises:
            ChainError: the file holds blocks that do not verify from ``genesis_hash``.
        """
        replica = cls(ReplicaStore(path), genesis_hash, params, reopen.replica_key(path))
        replica._open()
        return replica

    def _open(self) -> None:
        try:
            state = reopen.restore(self._store, self._key, self._genesis_hash)
        except reopen.StateRefused as exc:
            self.state_refused = exc.code
            self._replay(self._store.blocks(), None, self._count)
            if self._state is not None:
                self.opened_from = "genesis"
                self.save_state()
            return
        self._state, self.opened_from, self._saved = state, "stored state", True
        height = state.head.height if state.head is not None else 0
        # Blocks stored after the state (a sync that stopped before saving) fold on top.
        self._replay(self._store.blocks(height + 1), None, self._count)

    def _count(self, block: Block) -> None:
        self._unsaved_txs += len(block.transactions)

    def save_state(self) -> None:
        """Store the folded state with its height and head hash (one fsync'd transaction).

        The state in memory becomes the stored one decoded, so it answers exactly as a reopened
        replica will, with its leaf index in the compact sorted form.
        """
        state = self._state
        if state is None or state.head is None:
            return
        encoded = encode_state(state)
        self._store.save_state(reopen.stored_state(self._key, self._genesis_hash, state, encoded))
        self._state = decode_state(*encoded)
        self._unsaved_txs, self._saved = 0, True

    def close(self) -> None:
        """Store the state if blocks were added since it was last stored, and close the file."""
        if self._unsaved_txs:
            self.save_state()
        self._store.close()

    # Syncing --------------------------------------------------------------------------------

    @property
    def head(self) -> ChainHead | None:
        return None if self._state is None else self._state.head

    def _committed(self) -> LedgerState:
        """The folded state (raises NotFoundError before the first sync)."""
        if self._state is None:
            raise NotFoundError(
                "the replica holds no block yet; sync first", code=LookupCode.NO_CHAIN
            )
        return self._state

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The newest verified checkpoint this replica holds (its freshness)."""
        return self._checkpoint

    def sync(self, sources: Sequence[BlockSource], *, now: datetime) -> SyncResult:
        """Bring the replica up to the first source that answers (see the module's steps).

        Raises:
            ChainRewrittenError: a source's chain does not extend this replica's.
            ChainError: a block does not verify.
            RegistryError: no source could be reached.
        """
        failures = []
        for source in sources:
            try:
                return self._sync_from(source, now)
            except RegistryError as exc:
                failures.append(f"{source.name}: {exc.message}")
        raise RegistryError("no registry could be reached: " + "; ".join(failures))

    def _sync_from(self, source: BlockSource, now: datetime) -> SyncResult:
        checkpoint = source.checkpoint()
        start = 0 if self.head is None else self.head.height
        added_blocks = added_txs = 0
        while True:
            page = source.blocks(start, PAGE)
            blocks = self._new_blocks(source, page.head, start, page.blocks)
            self._extend(blocks, now)
            added_blocks += len(blocks)
            added_txs += sum(len(b.transactions) for b in blocks)
            if self.head is None or self.head.height >= page.head or not page.blocks:
                break
            start = self.head.height + 1
        self._accept_checkpoint(checkpoint)
        if self.head is None:
            raise RegistryError(f"{source.name} served no block")
        if self._unsaved_txs and (not self._saved or self._unsaved_txs >= SAVE_EVERY_TXS):
            self.save_state()
        return SyncResult(source.name, added_blocks, added_txs, self.head)

    def _new_blocks(
        self, source: BlockSource, remote_head: int, start: int, blocks: list[Block]
    ) -> list[Block]:
        head = self.head
        if head is None:
            return blocks
        if remote_head < head.height:
            raise ChainRewrittenError(
                f"{source.name} reports head {remote_head}, below this replica's {head.height}:"
                " its chain does not extend the one held here",
                details={"height": remote_head},
            )
        if start == head.height:
            if not blocks or blocks[0].hash != head.hash:
                raise ChainRewrittenError(
                    f"{source.name} serves a different block {head.height} than the one held"
                    " here: its history was rewritten",
                    details={"height": head.height},
                )
            return blocks[1:]
        return blocks

    def _extend(self, blocks: Iterable[Block], now: datetime | None) -> None:
        """Verify and fold ``blocks`` (the core's one replay) and store those that passed."""
        verified: list[Block] = []
        try:
            self._replay(blocks, now, verified.append)
        finally:
            self._store.append(verified)
            self._unsaved_txs += sum(len(b.transactions) for b in verified)

    def _replay(
        self, blocks: Iterable[Block], now: datetime | None, keep: Callable[[Block], None]
    ) -> None:
        steps = replay_steps(
            blocks,
            state=self._state,
            genesis_hash=self._genesis_hash,
            params=self._params,
            now=now,
            chunk_txs=SIG_CHUNK_TXS,
        )
        try:
            with closing(steps):
                for block, state in steps:
                    self._state = state
                    keep(block)
        except ChainError as exc:
            if exc.code == ChainCode.BAD_PREV_HASH:
                raise ChainRewrittenError(
                    f"block {exc.height} does not extend this replica's head",
                    details={"height": exc.height},
                ) from exc
            raise

    def _accept_checkpoint(self, checkpoint: Checkpoint) -> None:
        state = self._committed()
        if state.council is None:
            return
        verify_checkpoint(checkpoint, state.council.producer)
        if state.head is None or checkpoint.height > state.head.height:
            return
        held = self._block_hash(checkpoint.height)
        if held != checkpoint.head_hash:
            raise ChainRewrittenError(
                f"the checkpoint names a different block {checkpoint.height} than the one held",
                details={"height": checkpoint.height},
            )
        if self._checkpoint is None or checkpoint.time >= self._checkpoint.time:
            self._checkpoint = checkpoint
            self._store.save_checkpoint(checkpoint)

    def _block_hash(self, height: int) -> str | None:
        head = self.head
        if head is not None and head.height == height:
            return head.hash
        return self._store.block_hash(height)
