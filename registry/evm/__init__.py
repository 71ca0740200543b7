"""The registry's EVM backend: ecert transactions ordered by an EcertLog contract.

See ``docs/adr/0002-evm-backend.md`` for the design and ``docs/besu.md`` for running it.
"""

from __future__ import annotations

from registry.evm.chain import EvmChain
from registry.evm.codes import EvmCode, EvmError, ReorgError, TxTooLargeError
from registry.evm.follower import EvmFollower
from registry.evm.ledger import EvmBlockSource, EvmLedger
from registry.evm.sender import Sender

__all__ = [
    "EvmBlockSource",
    "EvmChain",
    "EvmCode",
    "EvmError",
    "EvmFollower",
    "EvmLedger",
    "ReorgError",
    "Sender",
    "TxTooLargeError",
]
