"""The one verified replay of a chain (DESIGN §2): audit, node start, replica sync and import.

:func:`replay_steps` is the only place a sequence of blocks is verified and folded into a
:class:`~vc_core.ledger.state.LedgerState`. Each block is checked with
:func:`~vc_core.ledger.blocks.apply_block` (hash link, transaction root, producer signature, then
every transaction's rules at the block time); transaction signatures are checked ahead of the
fold in worker processes (:func:`~vc_core.ledger.sigpool.preverified`), which can only save
work, never accept what the fold would refuse. Starting from nothing, block 0 must be the trusted
genesis (``GENESIS_MISMATCH`` otherwise). The first failure raises
:class:`~vc_core.ledger.errors.ChainError` naming the height at which the chain breaks.

``ecert registry audit`` (``registry.audit``), the registry node's start, ``Replica`` sync and
open, and snapshot import (through ``Replica``) all call it; :func:`replay` and :func:`extend`
are its two common shapes.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.blocks import make_block
    >>> from vc_core.ledger.builders import genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> g = make_block(None, [genesis_tx("demo", [k], 1, k.public, t)], t, k)
    >>> [(b.height, s.head.height) for b, s in replay_steps([g], genesis_hash=g.hash)]
    [(0, 0)]
    >>> replay(g, []).head.height
    0
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime

from vc_core.errors import VCError
from vc_core.ledger.blocks import Block, apply_block
from vc_core.ledger.errors import ChainCode, ChainError
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.sigpool import preverified
from vc_core.ledger.state import LedgerState


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a replay (reference counting still runs).

    A replay allocates objects for every transaction and keeps many of them (the state's
    records), so the collector's full passes, which its growing heap keeps triggering, scan the
    whole state again and again: measured on a 40,000-transaction audit, that was about a third
    of the main process's time. A replay makes no reference cycles of its own, so pausing the
    collector frees the same memory, at the same moments.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def replay_steps(
    blocks: Iterable[Block],
    *,
    state: LedgerState | None = None,
    genesis_hash: str | None = None,
    params: LedgerParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    workers: int | None = None,
    chunk_txs: int = 1024,
    defer: tuple[type[BaseException], ...] = (VCError,),
) -> Generator[tuple[Block, LedgerState], None, None]:
    """Verify and fold ``blocks`` one by one, yielding each block with the state after it.

    Args:
        blocks: in chain order; from block 0 when ``state`` is None, else from the block after
            ``state``'s head. Read lazily.
        state: the verified state to extend, or None to start from the genesis.
        genesis_hash: the trusted genesis block's hash (checked when starting from nothing).
        params: the chain's time window rules.
        now: when given, blocks dated after it (plus the future skew) are refused.
        workers, chunk_txs: the signature pool's processes and chunk size
            (:func:`~vc_core.ledger.sigpool.preverified`; a chain shorter than one chunk starts
            no pool).
        defer: errors of ``blocks`` raised only after the blocks read before them are folded,
            so the first bad height is still met in chain order.

    Raises:
        ChainError: ``GENESIS_MISMATCH`` or the first bad block's error (``height`` names it;
            ``tx_index`` and the rule's code when a transaction broke a rule).
    """
    checked = preverified(blocks, workers=workers, chunk_txs=chunk_txs, defer=defer)
    with closing(checked):
        for block in checked:
            if state is None:
                if genesis_hash is not None and block.hash != genesis_hash:
                    raise ChainError(
                        "block 0 is not the trusted genesis",
                        code=ChainCode.GENESIS_MISMATCH,
                        height=0,
                    )
                state = LedgerState.empty(block.header.chain_id)
            state = apply_block(state, block, params, now=now)
            yield block, state


def replay(
    genesis_block: Block,
    blocks: Iterable[Block],
    *,
    expected_genesis_hash: str | None = None,
    params: LedgerParams = DEFAULT_PARAMS,
    now: datetime | None = None,
) -> LedgerState:
    """Re-verify a chain from its genesis block and return its state.

    Raises:
        ChainError: ``GENESIS_MISMATCH`` when the genesis is not the trusted one, else the first
            bad block's error (its ``height`` names it).
    """
    steps = replay_steps(
        _chain(genesis_block, blocks),
        genesis_hash=expected_genesis_hash,
        params=params,
        now=now,
    )
    state = _last(steps)
    assert state is not None  # the genesis block was folded (or raised)
    return state


def extend(
    state: LedgerState,
    blocks: Iterable[Block],
    params: LedgerParams = DEFAULT_PARAMS,
    *,
    now: datetime | None = None,
) -> LedgerState:
    """Fold more blocks onto a verified state; each must extend the head before it.

    Raises:
        ChainError: the first block that does not extend the chain or does not verify.
    """
    return _last(replay_steps(blocks, state=state, params=params, now=now)) or state


def _chain(first: Block, rest: Iterable[Block]) -> Generator[Block, None, None]:
    yield first
    yield from rest


def _last(steps: Generator[tuple[Block, LedgerState], None, None]) -> LedgerState | None:
    state = None
    with closing(steps):
        for _, after in steps:
            state = after
    return state
