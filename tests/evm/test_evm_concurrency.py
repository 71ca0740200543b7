"""Concurrent anchoring on the EVM backend: 8 offices from their own accounts at once, and one
account shared by 4 threads (each with its own ledger object, so only the process-wide nonce
counter of :mod:`registry.evm.sender` keeps them apart). No nonce error, no lost anchor.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from registry.evm import EvmChain, EvmFollower, EvmLedger, Sender
from tests.evm.anvil import Anvil, account
from tests.evm.chains import CHAIN, accredit, anchor_tx, genesis, leaves, wall
from vc_core.ledger import office_did

BATCHES = 4
LEAVES = 3


def _writer(anvil: Anvil, address: str, account_index: int) -> EvmLedger:
    chain = EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=address)
    return EvmLedger(EvmFollower(chain, confirmations=0), Sender(chain, account(account_index)))


def test_eight_offices_and_one_shared_account_anchor_at_once(anvil: Anvil) -> None:
    anvil.rpc("evm_setAutomine", [False])
    anvil.rpc("evm_setIntervalMining", [1])
    tx, producer = genesis()
    setup = EvmLedger.deploy(anvil.chain(), account(1), tx, confirmations=0, producer_key=producer)
    setup.wait_for_genesis(timeout_s=30)
    own = [f"office-{i}" for i in range(8)]
    shared = [f"shared-{i}" for i in range(4)]
    keys = accredit(setup, own + shared, wall())
    address = setup.chain.address or ""
    # Accounts 2..9 for the eight offices; account 10 for the four threads that share one.
    jobs = [(name, 2 + i) for i, name in enumerate(own)] + [(name, 10) for name in shared]
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def anchor_all(name: str, account_index: int) -> list[str]:
        writer = _writer(anvil, address, account_index)
        writer.refresh()
        office = office_did(CHAIN, name)
        start.wait()
        sent = []
        for b in range(BATCHES):
            batch = leaves(f"{name}/{b}", LEAVES)
            tx = anchor_tx(office, keys[office], batch, writer.next_seq(office), wall(), f"b{b}")
            sent.append(writer.submit(tx, wall()))
        for tx_hash in sent:
            assert writer.wait_included(tx_hash, timeout_s=60) is not None
        return sent

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(anchor_all, name, i) for name, i in jobs]
        for future in futures:
            try:
                future.result()
            except BaseException as exc:  # collect every thread's failure, not only the first
                errors.append(exc)
    assert errors == []
    reader = EvmFollower(
        EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=address), confirmations=0
    )
    reader.sync()
    assert reader.rejected == []  # no writer sent anything the fold refused
    for name, _ in jobs:
        office = office_did(CHAIN, name)
        for b in range(BATCHES):
            for leaf in leaves(f"{name}/{b}", LEAVES):
                found = reader.leaf_anchor(leaf)
                assert found is not None and found.batch.office == office
    # Account 10 sent 16 transactions: nonces 0..15, none reused, none skipped.
    nonce = reader.chain.web3.eth.get_transaction_count(account(10).address)
    assert nonce == len(shared) * BATCHES
