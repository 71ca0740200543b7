"""How fast the fold applies anchor transactions (the registry needs ≥ 2,000 tx/s).

Prints the measured rates (run with ``-s`` to see them). The floors asserted here are far below
what one core does, so a loaded CI machine does not make the test flaky; they only catch an
accidental O(n) per transaction (copying the state, re-scanning every leaf).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from vc_core.ledger import LedgerState, Transaction, apply, verify_signatures

if TYPE_CHECKING:
    from conftest import World

N = 2000


def _rate(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def _anchors(world: World, n: int) -> list[Transaction]:
    txs = [world.anchor(i + 1, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n)]
    return [Transaction.from_json(tx.to_json()) for tx in txs]  # fresh, as from the wire


def _fold(world: World, txs: list[Transaction]) -> LedgerState:
    state = world.state
    for tx in txs:
        state = apply(state, tx, world.t0)
    return state


def test_anchor_apply_throughput(world: World) -> None:
    wire = [tx.to_json() for tx in _anchors(world, N)]
    full = _rate(lambda: _fold(world, [Transaction.from_json(w) for w in wire]), N)
    checked = _anchors(world, N)
    for tx in checked:
        verify_signatures(tx)  # as after submit: the result is kept on the transaction
    fold_only = _rate(lambda: _fold(world, checked), N)
    print(f"\nanchors: parse+verify+apply {full:,.0f} tx/s; checked txs {fold_only:,.0f} tx/s")
    assert fold_only >= 2_000
    assert full >= 500


def test_the_fold_does_not_slow_down_as_the_state_grows(world: World) -> None:
    txs = _anchors(world, 4 * N)
    for tx in txs:
        verify_signatures(tx)
    state, rates = world.state, []
    for chunk in range(4):
        part = txs[chunk * N : (chunk + 1) * N]
        start = time.perf_counter()
        for tx in part:
            state = apply(state, tx, world.t0)
        rates.append(N / (time.perf_counter() - start))
    assert state.tx_count == world.state.tx_count + 4 * N
    assert min(rates[1:]) > rates[0] / 4, rates
