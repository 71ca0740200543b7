"""anvil for the EVM backend's tests: one process per test session, reset between users.

The binary comes from the pinned npm package (``tools/node``, installed by
``tools/setup/30-anvil.sh``); it runs on 127.0.0.1 on a free port with a fixed mnemonic,
``--prune-history`` (without it anvil keeps every block's state), a chain id and the hardfork
that matches the compiled contract's ``evmVersion``. Under ``CI`` a missing binary fails the
test that needs it; elsewhere it skips.

Tests share one anvil (:func:`shared_anvil`): :meth:`Anvil.fresh` reverts it to the state it
started in (``evm_snapshot`` / ``evm_revert``), so every user starts from the same empty chain
dated 2020 and may date its blocks from there on (the contract suite's clock starts in 2025).
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry.evm.artifact import ecert_log
from registry.evm.chain import EvmChain
from registry.evm.sender import forget_nonces

REPO = Path(__file__).resolve().parents[2]
MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 31337
GENESIS_TIMESTAMP = 1_577_836_800  # 2020-01-01: before every clock the tests use
ACCOUNTS = 20


def anvil_binary() -> Path | None:
    found = sorted((REPO / "tools/node/node_modules/@foundry-rs").glob("anvil-*/bin/anvil"))
    return found[0] if found else None


def require_anvil() -> Path:
    binary = anvil_binary()
    if binary is None:
        reason = "anvil is not installed (run tools/setup/30-anvil.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI requires it")
        pytest.skip(reason)
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_DERIVED: dict[int, LocalAccount] = {}


def account(i: int) -> LocalAccount:
    """The mnemonic's account ``i`` (funded by anvil)."""
    if i not in _DERIVED:
        Account.enable_unaudited_hdwallet_features()
        _DERIVED[i] = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
    return _DERIVED[i]


class Anvil:
    """A running anvil process (see the module)."""

    def __init__(self, *extra: str, chain_id: int = CHAIN_ID) -> None:
        binary = require_anvil()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.chain_id = chain_id
        args = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(chain_id),
            "--hardfork", ecert_log().evm_version,
            "--mnemonic", MNEMONIC,
            "--accounts", str(ACCOUNTS),
            "--prune-history",
            "--timestamp", str(GENESIS_TIMESTAMP),
            "--silent",
            *extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        self._base: str | None = self.rpc("evm_snapshot", [])

    def _wait_ready(self) -> None:
        chain = EvmChain(self.url, timeout_s=1.0)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"anvil exited: {err[-2000:]}")
            try:
                chain.web3.eth.block_number  # noqa: B018 - a probe
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def chain(self, timeout_s: float = 10.0) -> EvmChain:
        chain = EvmChain(self.url, timeout_s=timeout_s)
        chain.check_chain_id(self.chain_id)
        return chain

    def rpc(self, method: str, params: list[Any]) -> Any:
        return EvmChain(self.url).rpc(method, params)

    def fresh(self, *, automine: bool, real_time: bool = False) -> Anvil:
        """Back to the empty chain this process started with (every earlier deployment gone)."""
        assert self._base is not None
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
