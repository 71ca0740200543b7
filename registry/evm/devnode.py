"""A local anvil for development, tests and benchmarks (never for production: see docs/besu.md).

The binary comes from the pinned npm package in ``tools/node`` (installed by
``tools/setup/30-anvil.sh``); :class:`DevNode` runs it on 127.0.0.1 on a free port with a fixed
mnemonic, ``--prune-history`` (without it anvil keeps every block's state and fills the disk),
a chain id and the hardfork matching the compiled contract's ``evmVersion``.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry.evm.artifact import ecert_log
from registry.evm.chain import EvmChain
from registry.evm.codes import EvmError

REPO = Path(__file__).resolve().parents[2]
MNEMONIC = "test test test test test test test test test test test junk"  # anvil's well-known one
CHAIN_ID = 31337
GENESIS_TIMESTAMP = 1_577_836_800  # 2020-01-01: before every clock the tests use
ACCOUNTS = 20


def anvil_binary() -> Path | None:
    """The pinned anvil binary in a source checkout, if installed."""
    found = sorted((REPO / "tools/node/node_modules/@foundry-rs").glob("anvil-*/bin/anvil"))
    return found[0] if found else None


_DERIVED: dict[int, LocalAccount] = {}


def dev_account(i: int) -> LocalAccount:
    """The mnemonic's account ``i`` (funded by anvil; its key is public knowledge)."""
    if i not in _DERIVED:
        Account.enable_unaudited_hdwallet_features()
        _DERIVED[i] = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
    return _DERIVED[i]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DevNode:
    """A running anvil process."""

    def __init__(self, binary: Path, *extra: str, chain_id: int = CHAIN_ID) -> None:
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
        # A fixed binary from the pinned package and arguments built here, never user input.
        self.process = subprocess.Popen(  # noqa: S603
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        chain = EvmChain(self.url, timeout_s=1.0)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise EvmError(f"anvil exited: {err[-2000:]}")
            try:
                chain.head_number()
                return
            except EvmError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def chain(self, timeout_s: float = 10.0) -> EvmChain:
        chain = EvmChain(self.url, timeout_s=timeout_s)
        chain.check_chain_id(self.chain_id)
        return chain

    def rpc(self, method: str, params: list[Any]) -> Any:
        return EvmChain(self.url).rpc(method, params)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
