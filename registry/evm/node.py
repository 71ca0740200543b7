"""A registry HTTP node backed by an EVM chain: ``ecert registry serve --backend evm``.

The node keeps serving the same HTTP API (submit, blocks, receipts, offices, status lists) from
its SQLite store, so the issuer's anchoring worker and the verifier's replica need no change.
What differs is where the order of transactions comes from:

- **Writes.** A submission is pre-checked with the vc_core fold (on the confirmed state plus
  this node's own pending transactions) and appended to the EcertLog contract by
  :class:`~registry.evm.ledger.EvmLedger`; nothing is stored yet.
- **Reads.** The node's writer task follows the chain (``EvmLedger.refresh``: the fold of
  *confirmed* EVM events) and writes every new derived ecert block into SQLite — signed with
  the producer key, exactly the header a single producer would make (ADR 0002) — so every
  read endpoint and every replica answer from confirmed facts only.

On start the stored blocks are re-verified from the genesis (as for the embedded chain) and
compared with the chain's derived blocks: a store that disagrees with the chain (another
contract, or a reorg deeper than the confirmation depth) stops the node with an error rather
than serve facts the chain no longer has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from datetime import datetime
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from registry import store
from registry.config import Settings
from registry.evm.codes import EvmCode, EvmError
from registry.evm.ledger import EvmLedger
from registry.ledger import EmbeddedLedger
from registry.node import Node
from vc_core.errors import MalformedError, NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import LedgerRuleError, Transaction


class EvmMirrorLedger(EmbeddedLedger):
    """An :class:`EmbeddedLedger` whose blocks come from the EVM chain, not from this node.

    Every reader method of the embedded ledger (SQLite blocks, committed state) is inherited
    unchanged; submission and block production are replaced (see the module).
    """

    # Submitting sends a JSON-RPC request (and holds the EVM ledger's lock while it waits), so
    # the routes call ``submit*`` and ``next_seq`` from a worker thread, never on the loop.
    blocking_io = True

    def __init__(self, engine: Engine, producer_key: KeyPair, evm: EvmLedger) -> None:
        evm.refresh()
        if not evm.follower.blocks:
            raise EvmError("the EVM chain holds no confirmed ecert genesis yet")
        stored = store.head_height(engine)
        if stored is None:
            block0 = evm.block(0)
            store.write_block(engine, block0)
        base = EmbeddedLedger.open(engine, producer_key, genesis_hash=evm.block(0).hash)
        super().__init__(engine, producer_key, base._state, base._head)
        self.evm = evm
        self._mine: set[str] = set()  # submitted here, not yet stored nor failed
        self._mirror_lock = threading.Lock()
        derived = evm.follower.blocks
        head = self._head
        if head.height >= len(derived) or derived[head.height].header.hash != head.hash:
            raise EvmError(
                f"the stored block {head.height} ({head.hash}) is not the chain's: another "
                "contract, or a reorganisation deeper than the confirmation depth",
                code=EvmCode.GENESIS_MISMATCH,
            )
        self.mirror()

    # Writing: pre-check with the fold, append to the contract --------------------------------

    def submit_many(self, txs: list[Transaction], now: datetime) -> list[str]:
        """Pre-check ``txs`` in order with the fold, then append each (none if one fails).

        Raises:
            LedgerRuleError: the first rule broken; ``details["index"]`` names it.
            EvmError: the EVM node could not be reached or refused the transaction.
        """
        hashes = self.evm.submit_many(txs, now)
        self._mine.update(hashes)
        for tx_hash in hashes:
            self._rejected.pop(tx_hash, None)
        return hashes

    def next_seq(self, author: str) -> int:
        return self.evm.next_seq(author)

    def is_pending(self, tx_hash: str) -> bool:
        return tx_hash in self._mine

    @property
    def pending_count(self) -> int:
        return len(self._mine)

    def produce_block(self, now: datetime, max_txs: int | None = None) -> None:
        """An EVM-backed node makes no blocks: the chain's validators do (see :meth:`mirror`)."""
        self.mirror()

    # Following the chain --------------------------------------------------------------------

    def mirror(self) -> int:
        """Fold newly confirmed EVM blocks and store the derived blocks; returns how many.

        Raises:
            EvmError / ReorgError: the EVM node failed (try again) or reorganised too deep.
        """
        with self._mirror_lock:
            self.evm.refresh()
            derived = self.evm.follower.blocks
            written = 0
            for height in range(self._head.height + 1, len(derived)):
                block = self.evm.block(height)
                store.write_block(self._engine, block)
                self._head = block.header
                written += 1
            if written:
                with self._lock:
                    self._state = self.evm.follower.state
            self._settle_mine()
            return written

    def _settle_mine(self) -> None:
        for tx_hash in list(self._mine):
            if self.evm.inclusion(tx_hash) is not None:
                self._mine.discard(tx_hash)
            elif tx_hash in self.evm.failed:
                code = self.evm.failed[tx_hash]
                self._reject(tx_hash, LedgerRuleError(f"not appended: {code}", code=code))
                self._mine.discard(tx_hash)


class EvmNode(Node):
    """The node's writer task, following the chain instead of producing blocks.

    It polls every ``interval_s`` (whether or not anything is pending: other writers' blocks
    arrive too) and wakes the submitters whose transactions are now stored. An EVM node that
    is down is "try again", not a halt; a store that cannot be written, or a reorganisation
    deeper than the confirmation depth, halts the node (it refuses submissions with 503).
    """

    ledger: EvmMirrorLedger

    async def seal(self) -> None:
        try:
            await asyncio.to_thread(self.ledger.mirror)
        except (SQLAlchemyError, OSError) as exc:
            self.halted = exc
            self._settle(everyone=True)
            return None
        except EvmError as exc:
            if exc.code == EvmCode.REORG_BEYOND_CONFIRMATIONS:
                self.halted = exc
                self._settle(everyone=True)
            return None
        self._settle(everyone=False)
        return None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def read_sender_key(path: Path, passphrase: str | None = None) -> LocalAccount:
    """The EVM account that signs this node's EVM transactions.

    The file is an encrypted Ethereum keystore (JSON, Web3 Secret Storage), opened with
    ``passphrase`` — the form to use in production — or, for development chains, the private
    key in hex on one line. Neither the key nor the passphrase is ever echoed.

    Raises:
        NotFoundError: the file is missing.
        MalformedError: it holds no key, or the passphrase does not open it.
    """
    if not path.is_file():
        raise NotFoundError(
            f"EVM sender key file {path} is missing", code=EvmCode.SENDER_KEY_MISSING
        )
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    try:
        if text.startswith("{"):
            if passphrase is None:
                raise MalformedError(
                    f"{path} is an encrypted keystore: give its passphrase "
                    "(REGISTRY_EVM_SENDER_PASSPHRASE)"
                )
            key: bytes | str = bytes(Account.decrypt(json.loads(text), passphrase))
        else:
            key = text
        account: LocalAccount = Account.from_key(key)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise MalformedError(
            f"{path} holds no EVM private key the passphrase opens (keystore or hex)"
        ) from None
    return account


def open_evm_ledger(settings: Settings) -> EvmMirrorLedger:
    """The node's EVM-backed ledger from its settings (``REGISTRY_EVM_*``).

    ``genesis.json`` holds block 0 as derived from the contract's deployment (docs/besu.md):
    its hash is checked against the chain, so a wrong contract address is refused.

    Raises:
        MalformedError: a setting is missing.
        EvmError: the node is unreachable, or the chain id, contract or genesis differ.
    """
    from registry.db import make_engine
    from registry.setup import read_genesis, read_key

    if not (settings.evm_rpc_url and settings.evm_contract and settings.evm_chain_id):
        raise MalformedError(
            "the evm backend needs --rpc-url, --contract and --chain-id",
            code=EvmCode.SETTINGS_MISSING,
        )
    if settings.evm_sender_key_file is None:
        raise MalformedError(
            "the evm backend needs --sender-key-file", code=EvmCode.SETTINGS_MISSING
        )
    genesis = read_genesis(settings.genesis_path)
    producer = read_key(settings.node_key_path)
    evm = EvmLedger.open(
        settings.evm_rpc_url,
        chain_id=settings.evm_chain_id,
        address=settings.evm_contract,
        account=read_sender_key(settings.evm_sender_key_file, _passphrase(settings)),
        confirmations=settings.evm_confirmations,
        genesis_hash=genesis.hash,
        timeout_s=settings.evm_timeout_s,
        producer_key=producer,
    )
    return EvmMirrorLedger(make_engine(settings.db_path), producer, evm)


def _passphrase(settings: Settings) -> str | None:
    secret = settings.evm_sender_passphrase
    return None if secret is None else secret.get_secret_value()
