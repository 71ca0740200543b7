"""anvil for the EVM backend's tests: one process per test session, reset between users.

:class:`registry.evm.devnode.DevNode` runs the pinned binary (``tools/node``, installed by
``tools/setup/30-anvil.sh``). Under ``CI`` a missing binary fails the test that needs it;
elsewhere it skips.

Tests share one anvil (:func:`shared_anvil`): :meth:`Anvil.fresh` reverts it to the state it
started in (``evm_snapshot`` / ``evm_revert``), so every user starts from the same empty chain
dated 2020 and may date its blocks from there on (the contract suite's clock starts in 2025).
"""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.evm.devnode import DevNode, anvil_binary, dev_account
from registry.evm.sender import forget_nonces

account = dev_account


def require_anvil() -> Path:
    binary = anvil_binary()
    if binary is None:
        reason = "anvil is not installed (run tools/setup/30-anvil.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI requires it")
        pytest.skip(reason)
    return binary


class Anvil(DevNode):
    """A test's anvil: skips (fails under CI) when the binary is missing; can be reset."""

    def __init__(self, *extra: str) -> None:
        super().__init__(require_anvil(), *extra)
        self._base: str = self.rpc("evm_snapshot", [])

    def fresh(self, *, automine: bool, real_time: bool = False) -> Anvil:
        """Back to the empty chain this process started with (every earlier deployment gone)."""
        # A revert keeps the mempool: drop what an earlier user left pending there.
        self.rpc("anvil_dropAllTransactions", [])
        self.rpc("evm_revert", [self._base])
        self._base = self.rpc("evm_snapshot", [])
        forget_nonces(self.url)
        self.rpc("evm_setIntervalMining", [0])  # (this turns automine off too: set it after)
        self.rpc("evm_setAutomine", [automine])
        if real_time:
            self.rpc("anvil_setTime", [int(time.time())])
        return self


_SHARED: Anvil | None = None


def shared_anvil() -> Anvil:
    """The session's one anvil (started on first use, stopped at exit)."""
    global _SHARED  # noqa: PLW0603 - one process per test session
    if _SHARED is None or _SHARED.process.poll() is not None:
        _SHARED = Anvil()
        atexit.register(_SHARED.stop)
    return _SHARED


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """The shared anvil, reset, automining, its clock set to now."""
    yield shared_anvil().fresh(automine=True, real_time=True)
