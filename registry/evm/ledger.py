"""``EvmLedger``: the registry's EVM backend, a :class:`vc_core.ledger.Ledger` over EcertLog.

Reads come from an :class:`~registry.evm.follower.EvmFollower` (the vc_core fold over the
contract's confirmed events). Writes are pre-checked with the same fold on top of the committed
state plus this writer's own pending transactions — so a writer never pays for a transaction
every reader would skip — then appended to the contract by a raw transaction signed here
(:class:`~registry.evm.sender.Sender`, one nonce counter per account). A pending transaction
leaves the pending set when the follower folds it (``inclusion`` then answers), when the fold
rejects it, or when its EVM transaction reverts (:attr:`EvmLedger.failed` says why); until then
its signed EVM bytes are re-broadcast now and then (same nonce, same hash), so a node that
forgot its mempool loses nothing.

The producer's operations of :class:`~vc_core.ledger.Ledger` have two halves. ``block``,
``head``, ``checkpoint`` and ``transaction`` serve the derived ecert blocks, signed with the
genesis's producer key when this node holds it (so an ordinary :class:`vc_core.replica.Replica`
can follow an EVM-backed registry over :class:`EvmBlockSource`). ``produce_block(now)`` exists
for development chains only (anvil with automine off): it mines one EVM block dated ``now``.
On a real network (Besu QBFT) the validators make blocks on their own and writers wait.
"""

from __future__ import annotations

import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from eth_account.signers.local import LocalAccount

from registry.evm.chain import EvmChain
from registry.evm.codes import EvmCode, EvmError, TxTooLargeError
from registry.evm.follower import EvmFollower
from registry.evm.sender import Sender, append_gas
from vc_core.errors import NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    Block,
    BlockHeader,
    BlockPage,
    Checkpoint,
    LedgerRuleError,
    LedgerState,
    Transaction,
    apply,
)
from vc_core.ledger.blocks import make_checkpoint
from vc_core.ledger.errors import LookupCode, RuleCode
from vc_core.ledger.queries import StateQueries
from vc_core.ledger.records import Inclusion
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.sigs import encode_signature

DEPLOY_GAS = 1_500_000


@dataclass
class _Pending:
    tx: Transaction
    now: datetime
    evm_hash: str
    raw: bytes
    sent_at: float


class EvmLedger(StateQueries):
    """See the module. Thread-safe: submitters may share one instance."""

    def __init__(
        self,
        follower: EvmFollower,
        sender: Sender,
        *,
        producer_key: KeyPair | None = None,
        params: LedgerParams = DEFAULT_PARAMS,
        resend_after_s: float = 30.0,
        gas_for: Callable[[int], int] = append_gas,
        monotonic: Callable[[], float] = time_module.monotonic,
    ) -> None:
        self.follower = follower
        self.chain = follower.chain
        self.sender = sender
        self.producer_key = producer_key
        self.params = params
        self.resend_after_s = resend_after_s
        # Gas limit of an append of n bytes (a chain with another gas schedule may need more).
        self.gas_for = gas_for
        self.failed: dict[str, str] = {}
        self._monotonic = monotonic
        self._pending: dict[str, _Pending] = {}
        self._pending_state: LedgerState | None = None
        self._signatures: dict[str, str] = {}
        self._lock = threading.RLock()

    # Opening --------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        rpc_url: str,
        *,
        chain_id: int,
        address: str,
        account: LocalAccount,
        confirmations: int = 2,
        genesis_hash: str | None = None,
        producer_key: KeyPair | None = None,
        timeout_s: float = 10.0,
    ) -> EvmLedger:
        """Attach to a deployed EcertLog (chain id and contract checked) and sync."""
        chain = EvmChain.connect(rpc_url, chain_id=chain_id, address=address, timeout_s=timeout_s)
        follower = EvmFollower(chain, confirmations=confirmations, genesis_hash=genesis_hash)
        ledger = cls(follower, Sender(chain, account), producer_key=producer_key)
        ledger.refresh()
        return ledger

    @classmethod
    def deploy(
        cls,
        chain: EvmChain,
        account: LocalAccount,
        genesis: Transaction,
        *,
        confirmations: int = 2,
        producer_key: KeyPair | None = None,
        dev_time: datetime | None = None,
        wait_s: float = 60.0,
        resend_after_s: float = 30.0,
        gas_for: Callable[[int], int] = append_gas,
    ) -> EvmLedger:
        """Deploy EcertLog with ``genesis`` as its event 0; returns the ledger over it.

        ``dev_time``: on a development chain with automine off, mine the deployment at once in
        a block dated then (block 0's time, as ``MemoryLedger.create`` takes ``now``).
        """
        sender = Sender(chain, account)
        evm_hash, _ = sender.send(
            chain.deploy_data(genesis.to_json().encode()), to=None, gas=DEPLOY_GAS
        )
        if dev_time is not None:
            chain.rpc("evm_mine", [{"timestamp": int(dev_time.timestamp())}])
        receipt = _wait_receipt(sender, evm_hash, wait_s)
        if receipt.get("status") != 1 or not receipt.get("contractAddress"):
            raise EvmError("the EcertLog deployment reverted", code=EvmCode.TX_REVERTED)
        chain.attach(str(receipt["contractAddress"]))
        follower = EvmFollower(chain, confirmations=confirmations)
        ledger = cls(
            follower,
            sender,
            producer_key=producer_key,
            resend_after_s=resend_after_s,
            gas_for=gas_for,
        )
        ledger.refresh()
        return ledger

    def wait_for_genesis(self, *, timeout_s: float, poll_s: float = 0.2) -> None:
        """Refresh until block 0 (the deployment) is confirmed; raises EvmError on timeout."""
        deadline = self._monotonic() + timeout_s
        while not self.follower.blocks:
            self.refresh()
            if self.follower.blocks:
                return
            if self._monotonic() >= deadline:
                raise EvmError(f"the genesis was not confirmed within {timeout_s} s")
            time_module.sleep(poll_s)

    # LedgerReader (committed state only) ----------------------------------------------------

    def _committed(self) -> LedgerState:
        return self.follower.state

    # LedgerWriter ---------------------------------------------------------------------------

    def submit(self, tx: Transaction, now: datetime) -> str:
        """Pre-check ``tx`` with the fold, then append it to the contract (pending).

        Raises:
            LedgerRuleError: a rule is broken (nothing is sent).
            TxTooLargeError: over the contract's size limit (nothing is sent).
            EvmError: the node could not be reached or refused the EVM transaction.
        """
        data = tx.to_json().encode()
        if len(data) > self.chain.artifact.max_tx_bytes:
            raise TxTooLargeError(
                f"the transaction is {len(data)} bytes; the contract takes at most "
                f"{self.chain.artifact.max_tx_bytes} (anchor fewer leaves per batch)"
            )
        with self._lock:
            if self.follower.inclusion(tx.hash) is not None:
                raise LedgerRuleError(
                    f"transaction {tx.hash} is already on chain",
                    code=RuleCode.REPLAYED_TRANSACTION,
                )
            state = apply(self._pending_base(), tx, now, self.params)
            evm_hash, raw = self.sender.send(
                self.chain.append_data(data), to=self.chain.address, gas=self.gas_for(len(data))
            )
            self._pending[tx.hash] = _Pending(tx, now, evm_hash, raw, self._monotonic())
            self._pending_state = state
            self.failed.pop(tx.hash, None)
            return tx.hash

    def submit_many(self, txs: list[Transaction], now: datetime) -> list[str]:
        """Pre-check all of ``txs`` in order with the fold, then append each — or none.

        The lock is held throughout, so no other submitter's transaction comes between the
        check and the appends.

        Raises:
            LedgerRuleError: the first rule broken; ``details["index"]`` names it.
            EvmError: as :meth:`submit` (the transactions before it were sent).
        """
        with self._lock:
            working = self._pending_base()
            for i, tx in enumerate(txs):
                try:
                    if tx.hash in self._pending or self.follower.inclusion(tx.hash) is not None:
                        raise LedgerRuleError(
                            f"transaction {tx.hash} was submitted before",
                            code=RuleCode.REPLAYED_TRANSACTION,
                        )
                    working = apply(working, tx, now, self.params)
                except LedgerRuleError as exc:
                    if len(txs) > 1:
                        exc.details["index"] = i
                    raise
            return [self.submit(tx, now) for tx in txs]

    def next_seq(self, author: str) -> int:
        with self._lock:
            return self._pending_base().next_seq(author)

    def inclusion(self, tx_hash: str) -> Inclusion | None:
        return self.follower.inclusion(tx_hash)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def is_pending(self, tx_hash: str) -> bool:
        return tx_hash in self._pending

    def _pending_base(self) -> LedgerState:
        return self._pending_state if self._pending_state is not None else self.follower.state

    # Following the chain --------------------------------------------------------------------

    def refresh(self) -> int:
        """Sync the follower and settle pending transactions; returns new ecert blocks.

        Raises:
            EvmError / ReorgError: as :meth:`EvmFollower.sync`.
        """
        with self._lock:
            added = self.follower.sync()
            self._settle()
            return added

    def _settle(self) -> None:
        rejected = {r.tx_hash: r.code for r in self.follower.rejected if r.tx_hash}
        changed = False
        for tx_hash, item in list(self._pending.items()):
            if self.follower.inclusion(tx_hash) is not None:
                del self._pending[tx_hash]
                changed = True
            elif tx_hash in rejected:
                self.failed[tx_hash] = rejected[tx_hash]
                del self._pending[tx_hash]
                changed = True
            elif self._reverted(item):
                self.failed[tx_hash] = EvmCode.TX_REVERTED
                del self._pending[tx_hash]
                changed = True
        if changed or not self._pending:
            self._rebuild_pending_state()

    def _reverted(self, item: _Pending) -> bool:
        """Whether the append reverted (then every reader skips it: report, never wait).

        A transaction the node does not know after ``resend_after_s`` is broadcast again.
        """
        receipt = self.sender.receipt(item.evm_hash)
        if receipt is None and self._monotonic() - item.sent_at >= self.resend_after_s:
            self.sender.rebroadcast(item.raw)
            item.sent_at = self._monotonic()
        return receipt is not None and receipt.get("status") == 0

    def _rebuild_pending_state(self) -> None:
        if not self._pending:
            self._pending_state = None
            return
        state = self.follower.state
        for item in self._pending.values():
            try:
                state = apply(state, item.tx, item.now, self.params)
            except LedgerRuleError:
                continue  # it will be rejected by the fold; settle reports it then
        self._pending_state = state

    def wait_included(
        self, tx_hash: str, *, timeout_s: float, poll_s: float = 0.2
    ) -> Inclusion | None:
        """Refresh until ``tx_hash`` is confirmed (its inclusion) or ``timeout_s`` passes (None).

        Raises:
            EvmError: its EVM transaction reverted, or the fold rejected it (``code`` says
                which), or the node failed.
        """
        deadline = self._monotonic() + timeout_s
        while True:
            self.refresh()
            found = self.inclusion(tx_hash)
            if found is not None:
                return found
            if tx_hash in self.failed:
                raise EvmError(
                    f"transaction {tx_hash} was not appended: {self.failed[tx_hash]}",
                    code=EvmCode.TX_REVERTED,
                )
            if self._monotonic() >= deadline:
                return None
            time_module.sleep(poll_s)

    # The producer's side (Ledger) -----------------------------------------------------------

    def produce_block(self, now: datetime) -> Block | None:
        """Development chains only: mine one EVM block dated ``now`` and fold it."""
        with self._lock:
            if not self._pending:
                return None
            self.chain.rpc("evm_mine", [{"timestamp": int(now.timestamp())}])
            mined = self.chain.head_number()
            self.refresh()
            last = self.follower.blocks[-1]
            return self._signed(last.header.height) if last.evm_block == mined else None

    def head(self) -> BlockHeader:
        blocks = self.follower.blocks
        if not blocks:
            raise NotFoundError("no block yet", code=LookupCode.NO_CHAIN)
        return blocks[-1].header

    def block(self, height: int) -> Block:
        if not 0 <= height < len(self.follower.blocks):
            raise NotFoundError(f"no block at height {height}", code=LookupCode.BLOCK_NOT_FOUND)
        return self._signed(height)

    def _signed(self, height: int) -> Block:
        derived = self.follower.blocks[height]
        header = derived.header
        signature = self._signatures.get(header.hash)
        if signature is None:
            signature = encode_signature(self._producer().sign(header.signing_bytes))
            self._signatures[header.hash] = signature
        return Block(header=header, transactions=derived.transactions, signature=signature)

    def _producer(self) -> KeyPair:
        if self.producer_key is None:
            raise EvmError("this node holds no producer key to sign blocks with")
        return self.producer_key

    def checkpoint(self, now: datetime) -> Checkpoint:
        return make_checkpoint(self.follower.state, self._producer(), now)

    def transaction(self, tx_hash: str) -> tuple[Transaction, int]:
        found = self.follower.committed_tx(tx_hash)
        if found is None:
            raise NotFoundError(f"no committed transaction {tx_hash}", code=LookupCode.TX_NOT_FOUND)
        return found


class EvmBlockSource:
    """An EVM-backed registry's derived blocks, producer-signed, for a Replica (BlockSource)."""

    def __init__(self, ledger: EvmLedger, clock: Callable[[], datetime], name: str = "evm") -> None:
        self.ledger, self.clock, self.name = ledger, clock, name

    def blocks(self, start: int, limit: int) -> BlockPage:
        self.ledger.refresh()
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.clock())


def _wait_receipt(sender: Sender, evm_hash: str, wait_s: float) -> dict[str, object]:
    deadline = time_module.monotonic() + wait_s
    while True:
        receipt = sender.receipt(evm_hash)
        if receipt is not None:
            return receipt
        if time_module.monotonic() >= deadline:
            raise EvmError(f"EVM transaction {evm_hash} was not mined within {wait_s} s")
        time_module.sleep(0.1)
