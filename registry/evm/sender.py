"""Signing and sending raw EVM transactions, one nonce counter per account.

Besu has no unlocked accounts, so every transaction is signed here (eth-account) and sent with
``eth_sendRawTransaction``. Concurrent senders that each ask the node for the next nonce reuse
nonces (a common failure in peer systems, DESIGN §7), so each account has ONE counter in this
process, shared by every :class:`Sender` of that account and guarded by a lock that is held from
taking the nonce until the node has accepted the signed bytes. A send that fails in a way that
leaves the nonce's use unknown resets the counter, so the next send asks the node again
(``eth_getTransactionCount(…, "pending")``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.evm.chain import EvmChain
from registry.evm.codes import EvmCode, EvmError

# Gas for an append: the transaction's base cost, the contract's fixed work (the counter's
# SSTORE, the LOG2), and per byte of data its calldata (≤ 16) plus log data (8) plus memory and
# copying, with margin. Measured use is in docs/adr/0002-evm-backend.md; unused gas is refunded
# at the gas price, which a permissioned chain sets to 0.
APPEND_BASE_GAS = 60_000
APPEND_GAS_PER_BYTE = 32


def append_gas(size: int) -> int:
    return APPEND_BASE_GAS + APPEND_GAS_PER_BYTE * (size + 64)


@dataclass
class _Counter:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_nonce: int | None = None


_COUNTERS: dict[tuple[str, int, str], _Counter] = {}
_COUNTERS_LOCK = threading.Lock()


def _counter(chain: EvmChain, address: str) -> _Counter:
    key = (chain.rpc_url, chain.chain_id or 0, address)
    with _COUNTERS_LOCK:
        return _COUNTERS.setdefault(key, _Counter())


def forget_nonces(rpc_url: str) -> None:
    """Drop every cached nonce of the node at ``rpc_url`` (after a dev chain was reverted)."""
    with _COUNTERS_LOCK:
        for key, counter in _COUNTERS.items():
            if key[0] == rpc_url:
                counter.next_nonce = None


class Sender:
    """Sends transactions from one account; safe to share between threads."""

    def __init__(
        self,
        chain: EvmChain,
        account: LocalAccount,
        *,
        gas_price_wei: int | None = None,
        gas_price_ttl_s: float = 5.0,
    ) -> None:
        self.chain = chain
        self.account = account
        # A fixed price (a permissioned Besu network usually sets 0), or the node's, asked at
        # most every ``gas_price_ttl_s`` (one round trip less per transaction).
        self.gas_price_wei = gas_price_wei
        self.gas_price_ttl_s = gas_price_ttl_s
        self._asked: tuple[float, int] | None = None
        self._counter = _counter(chain, account.address)

    def _gas_price(self) -> int:
        if self.gas_price_wei is not None:
            return self.gas_price_wei
        now = time.monotonic()
        if self._asked is None or now - self._asked[0] > self.gas_price_ttl_s:
            price = self.chain.call("eth_gasPrice", lambda: int(self.chain.web3.eth.gas_price))
            # Twice the node's price, so a base fee that rises within the TTL still clears it
            # (EIP-1559 lets it rise 12.5% per block); unused fee is never charged above it.
            self._asked = (now, 2 * price)
        return self._asked[1]

    def send(self, data: bytes, *, to: str | None, gas: int) -> tuple[str, bytes]:
        """Sign and send one transaction; returns its EVM hash (hex, no 0x) and signed bytes.

        Raises:
            EvmError: the node refused it (``EVM_SEND_REFUSED``) or could not be reached.
        """
        gas_price = self._gas_price()
        with self._counter.lock:
            if self._counter.next_nonce is None:
                self._counter.next_nonce = self.chain.call(
                    "eth_getTransactionCount",
                    lambda: int(
                        self.chain.web3.eth.get_transaction_count(self.account.address, "pending")
                    ),
                )
            nonce = self._counter.next_nonce
            tx: dict[str, Any] = {
                "nonce": nonce,
                "gas": gas,
                "gasPrice": gas_price,
                "data": data,
                "value": 0,
                "chainId": self.chain.chain_id,
            }
            if to is not None:
                tx["to"] = to
            raw = self.account.sign_transaction(tx).raw_transaction
            try:
                sent = self.chain.call(
                    "eth_sendRawTransaction", lambda: self.chain.web3.eth.send_raw_transaction(raw)
                )
            except EvmError as exc:
                # Whether the node kept the nonce is unknown: ask it again next time.
                self._counter.next_nonce = None
                if "nonce" in str(exc).lower() or "underpriced" in str(exc).lower():
                    raise EvmError(str(exc), code=EvmCode.SEND_REFUSED) from exc
                raise
            self._counter.next_nonce = nonce + 1
            return bytes(sent).hex(), bytes(raw)

    def rebroadcast(self, raw: bytes) -> None:
        """Send already signed bytes again (same nonce, same hash); a refusal is ignored,
        because it means the node has them or has mined them."""
        try:
            self.chain.call(
                "eth_sendRawTransaction", lambda: self.chain.web3.eth.send_raw_transaction(raw)
            )
        except EvmError:
            return

    def receipt(self, evm_tx_hash: str) -> dict[str, Any] | None:
        """The transaction's receipt, or ``None`` while it is not mined."""
        from web3.exceptions import TransactionNotFound

        try:
            return dict(self.chain.web3.eth.get_transaction_receipt("0x" + evm_tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        except Exception as exc:
            raise EvmError(f"could not read the receipt of {evm_tx_hash}: {exc}") from exc
