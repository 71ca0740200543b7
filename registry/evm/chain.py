"""JSON-RPC access to an EVM node holding an ``EcertLog`` contract (web3.py).

:class:`EvmChain` is the one place that talks to the node. Every transport failure, timeout or
malformed answer becomes :class:`~registry.evm.codes.EvmError` (a ``RegistryError``: "could not
check" for a verifier, "try again" for a writer). :meth:`EvmChain.connect` refuses a node on
another chain id (EIP-155) and an address that does not hold the committed contract, before
anything is read or sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception

from registry.evm.artifact import APPEND_SELECTOR, TX_TOPIC, Artifact, ecert_log
from registry.evm.codes import EvmCode, EvmError

T = TypeVar("T")
# eth_getLogs answers are capped by most nodes (Besu: 1000 blocks by default in some setups);
# a reader asks for at most this many blocks at a time.
DEFAULT_PAGE_BLOCKS = 1000


@dataclass(frozen=True)
class EvmHeader:
    """The few fields of an EVM block a reader needs."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True)
class TxLog:
    """One ``Tx(seq, data)`` event, where it sits."""

    seq: int
    data: bytes
    block_number: int
    block_hash: str
    tx_index: int
    log_index: int
    evm_tx_hash: str


class EvmChain:
    """A node's JSON-RPC endpoint and the contract address (checked by :meth:`connect`)."""

    def __init__(self, rpc_url: str, *, timeout_s: float = 10.0) -> None:
        self.rpc_url = rpc_url
        # No retries inside web3: a failure surfaces at once as EvmError and the caller (the
        # issuer worker, a verifier's sync) decides when to try again.
        provider = Web3.HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
        )
        self.web3 = Web3(provider)
        self.artifact: Artifact = ecert_log()
        self.address: str | None = None
        self.chain_id: int | None = None
        self.deployed_at = 0

    @classmethod
    def connect(
        cls, rpc_url: str, *, chain_id: int, address: str, timeout_s: float = 10.0
    ) -> EvmChain:
        """Check the node's chain id and the contract at ``address``; raises EvmError."""
        chain = cls(rpc_url, timeout_s=timeout_s)
        chain.check_chain_id(chain_id)
        chain.attach(address)
        return chain

    # Calls --------------------------------------------------------------------------------

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one JSON-RPC call, turning every failure into EvmError naming ``what``."""
        try:
            return fn()
        except EvmError:
            raise
        except (requests.RequestException, OSError, Web3Exception, ValueError, KeyError) as exc:
            raise EvmError(f"the EVM node at {self.rpc_url} failed on {what}: {exc}") from exc

    def rpc(self, method: str, params: list[Any]) -> Any:
        """A raw JSON-RPC request (anvil's dev methods); an error answer raises EvmError."""
        answer = self.call(method, lambda: self.web3.provider.make_request(method, params))  # type: ignore[arg-type]
        if "error" in answer:
            raise EvmError(f"{method} failed: {answer['error']}", code=EvmCode.SEND_REFUSED)
        return answer.get("result")

    def check_chain_id(self, expected: int) -> None:
        got = self.call("eth_chainId", lambda: int(self.web3.eth.chain_id))
        if got != expected:
            raise EvmError(
                f"the node is on chain id {got}, not {expected}", code=EvmCode.WRONG_CHAIN_ID
            )
        self.chain_id = got

    def attach(self, address: str) -> None:
        """Use the contract at ``address``, after checking its code is EcertLog's."""
        try:
            checksum = to_checksum_address(address)
        except ValueError as exc:
            raise EvmError(f"not an address: {address!r}", code=EvmCode.NOT_THE_CONTRACT) from exc
        code = self.call("eth_getCode", lambda: bytes(self.web3.eth.get_code(checksum)))
        if not self.artifact.runtime_matches(code):
            raise EvmError(
                f"{checksum} does not hold the EcertLog contract", code=EvmCode.NOT_THE_CONTRACT
            )
        self.address = checksum
        self.deployed_at = self._uint_call("deployedAt()")

    def _uint_call(self, signature: str) -> int:
        selector = Web3.keccak(text=signature)[:4]
        address = self._address()
        out = self.call(signature, lambda: self.web3.eth.call({"to": address, "data": selector}))
        return int(abi_decode(["uint256"], bytes(out))[0])

    def _address(self) -> str:
        if self.address is None:
            raise EvmError("no contract attached", code=EvmCode.NOT_THE_CONTRACT)
        return self.address

    def count(self) -> int:
        """How many transactions the contract holds (at the node's head)."""
        return self._uint_call("count()")

    def head_number(self) -> int:
        return self.call("eth_blockNumber", lambda: int(self.web3.eth.block_number))

    def header(self, number: int) -> EvmHeader:
        block = self.call(
            f"eth_getBlockByNumber({number})", lambda: self.web3.eth.get_block(number)
        )
        return EvmHeader(
            number=int(block["number"]),
            hash=bytes(block["hash"]).hex(),
            parent_hash=bytes(block["parentHash"]).hex(),
            timestamp=int(block["timestamp"]),
        )

    def logs(self, start: int, stop: int) -> list[TxLog]:
        """The ``Tx`` events of blocks ``start…stop`` (inclusive), in chain order."""
        flt = {
            "address": self.address,
            "fromBlock": start,
            "toBlock": stop,
            "topics": [TX_TOPIC],
        }
        raw = self.call(f"eth_getLogs({start}..{stop})", lambda: self.web3.eth.get_logs(flt))  # type: ignore[arg-type]
        out = []
        for entry in raw:
            try:
                (data,) = abi_decode(["bytes"], bytes(entry["data"]))
                seq = int.from_bytes(bytes(entry["topics"][1]), "big")
            except Exception as exc:
                raise EvmError("the node returned an undecodable Tx event") from exc
            out.append(
                TxLog(
                    seq=seq,
                    data=bytes(data),
                    block_number=int(entry["blockNumber"]),
                    block_hash=bytes(entry["blockHash"]).hex(),
                    tx_index=int(entry["transactionIndex"]),
                    log_index=int(entry["logIndex"]),
                    evm_tx_hash=bytes(entry["transactionHash"]).hex(),
                )
            )
        out.sort(key=lambda log: (log.block_number, log.tx_index, log.log_index))
        return out

    # Encoding -------------------------------------------------------------------------------

    def deploy_data(self, genesis: bytes) -> bytes:
        """Creation code plus the ABI-encoded constructor argument (the genesis tx)."""
        return self.artifact.bytecode + abi_encode(["bytes"], [genesis])

    @staticmethod
    def append_data(tx_bytes: bytes) -> bytes:
        return APPEND_SELECTOR + abi_encode(["bytes"], [tx_bytes])
