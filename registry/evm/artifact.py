"""The compiled ``EcertLog`` contract, as committed (``artifacts/EcertLog.json``).

The artifact is produced by ``node registry/evm/compile.js`` with the pinned solc-js
(``tools/node/package-lock.json``); ``tests/evm/test_artifact.py`` recompiles and compares byte
for byte, so nothing here needs a compiler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

ARTIFACT_PATH = Path(__file__).parent / "artifacts" / "EcertLog.json"
# topic0 of ``event Tx(uint256 indexed seq, bytes data)``.
TX_TOPIC = "0x" + keccak(text="Tx(uint256,bytes)").hex()
APPEND_SELECTOR = keccak(text="append(bytes)")[:4]


@dataclass(frozen=True)
class Artifact:
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    immutable_ranges: tuple[tuple[int, int], ...]
    compiler_version: str
    evm_version: str
    max_tx_bytes: int

    def runtime_matches(self, code: bytes) -> bool:
        """Whether ``code`` (an address's runtime code) is this contract's, immutables masked."""
        if len(code) != len(self.deployed_bytecode):
            return False
        return _masked(code, self.immutable_ranges) == _masked(
            self.deployed_bytecode, self.immutable_ranges
        )


def _masked(code: bytes, ranges: tuple[tuple[int, int], ...]) -> bytes:
    out = bytearray(code)
    for start, length in ranges:
        out[start : start + length] = bytes(length)
    return bytes(out)


@cache
def ecert_log() -> Artifact:
    """The committed artifact (read once)."""
    data = json.loads(ARTIFACT_PATH.read_text())
    return Artifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"][2:]),
        immutable_ranges=tuple((r["start"], r["length"]) for r in data["immutableReferences"]),
        compiler_version=data["compiler"]["version"],
        evm_version=data["evmVersion"],
        # Must equal the contract's MAX_TX_BYTES (tests/evm/test_artifact.py reads it on chain).
        max_tx_bytes=120_000,
    )
