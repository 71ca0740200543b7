"""Bad input and bad days on the EVM backend: a wrong chain id or address, a node that is down,
slow or leaves events out, a reverting transaction, a reorganisation, hostile appends.

Each ends in a clear error or "could not check", never a lost anchor, never an answer from a
block the chain has not confirmed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.evm import EvmChain, EvmCode, EvmError, EvmFollower, EvmLedger, ReorgError, Sender
from registry.evm.chain import TxLog
from registry.evm.codes import TxTooLargeError
from tests.evm.anvil import Anvil, account
from tests.evm.chains import (
    CHAIN,
    accredit,
    anchor_tx,
    genesis,
    leaves,
    story_genesis,
    story_office,
    wall,
)
from vc_core.errors import RegistryError
from vc_core.ledger import office_did
from vc_core.verification import check_credential
from vc_core.verification.chain import ReaderView
from vc_core.verification.codes import Verdict


def _deploy(anvil: Anvil, *, confirmations: int = 0, **kwargs: object) -> EvmLedger:
    tx, producer = genesis()
    return EvmLedger.deploy(
        anvil.chain(),
        account(2),
        tx,
        confirmations=confirmations,
        producer_key=producer,
        **kwargs,  # type: ignore[arg-type]
    )


def _follower(anvil: Anvil, ledger: EvmLedger, *, confirmations: int = 0) -> EvmFollower:
    chain = EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=ledger.chain.address or "")
    return EvmFollower(chain, confirmations=confirmations, genesis_hash=ledger.block(0).hash)


# Wrong chain, wrong contract -----------------------------------------------------------------


def test_a_wrong_chain_id_or_contract_address_is_refused_before_anything_is_read(
    anvil: Anvil,
) -> None:
    ledger = _deploy(anvil)
    address = ledger.chain.address or ""
    with pytest.raises(EvmError) as info:
        EvmChain.connect(anvil.url, chain_id=1, address=address)
    assert info.value.code == EvmCode.WRONG_CHAIN_ID
    for wrong in (account(5).address, "0x" + "00" * 20, "not an address", address[:-2]):
        with pytest.raises(EvmError) as info:
            EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=wrong)
        assert info.value.code == EvmCode.NOT_THE_CONTRACT, wrong


def test_another_ecert_chain_at_the_address_fails_the_trusted_genesis(anvil: Anvil) -> None:
    ours = _deploy(anvil)
    other, _ = genesis(wall() - timedelta(seconds=5))
    theirs = EvmLedger.deploy(anvil.chain(), account(3), other, confirmations=0)
    chain = EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=theirs.chain.address or "")
    reader = EvmFollower(chain, confirmations=0, genesis_hash=ours.block(0).hash)
    with pytest.raises(EvmError) as info:
        reader.sync()
    assert info.value.code == EvmCode.GENESIS_MISMATCH
    with pytest.raises(RegistryError):  # what verification reports as "could not check"
        ReaderView(reader).head()


# A node that is down, slow, or leaves events out ---------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung node)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_down_or_hung_node_is_a_clear_registry_error(anvil: Anvil, silent_port: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for url in (f"http://127.0.0.1:{closed}", f"http://127.0.0.1:{silent_port}"):
        with pytest.raises(EvmError) as info:
            EvmChain.connect(
                url, chain_id=anvil.chain_id, address=account(1).address, timeout_s=0.5
            )
        assert info.value.code == EvmCode.NODE_UNREACHABLE


def test_a_writer_whose_node_goes_down_keeps_nothing_half_sent(anvil: Anvil) -> None:
    ledger = _deploy(anvil)
    keys = accredit(ledger, ["office-a"], wall())
    office = office_did(CHAIN, "office-a")
    seq = ledger.next_seq(office)
    url = ledger.chain.rpc_url
    ledger.chain.rpc_url = "http://127.0.0.1:9"  # the node's address now refuses (port 9)
    from web3 import Web3

    ledger.chain.web3 = Web3(Web3.HTTPProvider("http://127.0.0.1:9"))
    tx = anchor_tx(office, keys[office], leaves("down", 3), seq, wall(), "b-down")
    with pytest.raises(EvmError):
        ledger.submit(tx, wall())
    assert ledger.pending_count == 0 and ledger.next_seq(office) == seq
    ledger.chain.rpc_url = url
    ledger.chain.web3 = Web3(Web3.HTTPProvider(url))
    ledger.submit(tx, wall())  # the same transaction, once the node is back
    assert ledger.wait_included(tx.hash, timeout_s=30) is not None


class _LeavesOut(EvmChain):
    """A node that drops the event with seq 2 from its eth_getLogs answers."""

    def logs(self, start: int, stop: int) -> list[TxLog]:
        return [entry for entry in super().logs(start, stop) if entry.seq != 2]


def test_a_node_that_leaves_an_event_out_is_caught(anvil: Anvil) -> None:
    ledger = _deploy(anvil)
    accredit(ledger, ["office-a", "office-b", "office-c"], wall())
    chain = _LeavesOut(anvil.url)
    chain.check_chain_id(anvil.chain_id)
    chain.attach(ledger.chain.address or "")
    with pytest.raises(EvmError) as info:
        EvmFollower(chain, confirmations=0).sync()
    assert info.value.code == EvmCode.LOG_GAP


# Reverts and size ----------------------------------------------------------------------------


def test_a_reverted_append_is_reported_and_the_anchor_can_be_sent_again(anvil: Anvil) -> None:
    # Enough gas for the transaction's intrinsic cost, not for the contract's work: it reverts.
    starved = _deploy(anvil, gas_for=lambda n: 21_000 + 16 * (n + 100) + 1_000)
    good = EvmLedger(starved.follower, starved.sender, producer_key=starved.producer_key)
    keys = accredit(good, ["office-a"], wall())
    office = office_did(CHAIN, "office-a")
    tx = anchor_tx(office, keys[office], leaves("revert", 4), good.next_seq(office), wall(), "b1")
    starved.submit(tx, wall())
    with pytest.raises(EvmError) as info:
        starved.wait_included(tx.hash, timeout_s=30)
    assert info.value.code == EvmCode.TX_REVERTED
    assert starved.failed[tx.hash] == EvmCode.TX_REVERTED and not starved.is_pending(tx.hash)
    assert starved.leaf_anchor(leaves("revert", 4)[0]) is None
    good.submit(tx, wall())  # nothing was lost: the same signed transaction goes again
    assert good.wait_included(tx.hash, timeout_s=30) is not None
    assert good.leaf_anchor(leaves("revert", 4)[0]) is not None


def test_a_transaction_over_the_contracts_limit_is_refused_unsent(anvil: Anvil) -> None:
    ledger = _deploy(anvil)
    keys = accredit(ledger, ["office-a"], wall())
    office = office_did(CHAIN, "office-a")
    before = ledger.chain.count()
    big = anchor_tx(office, keys[office], leaves("big", 2000), 1, wall(), "huge")
    with pytest.raises(TxTooLargeError):
        ledger.submit(big, wall())
    assert ledger.chain.count() == before and ledger.pending_count == 0


# Confirmations and reorganisations -----------------------------------------------------------


def _mine(anvil: Anvil, n: int = 1) -> None:
    for _ in range(n):
        anvil.rpc("evm_mine", [])


def test_nothing_is_answered_before_its_confirmations(anvil: Anvil) -> None:
    ledger = _deploy(anvil)
    keys = accredit(ledger, ["office-a"], wall())
    office = office_did(CHAIN, "office-a")
    reader = _follower(anvil, ledger, confirmations=2)
    anvil.rpc("evm_setAutomine", [False])
    tx = anchor_tx(office, keys[office], leaves("conf", 2), ledger.next_seq(office), wall(), "b")
    ledger.submit(tx, wall())
    leaf = leaves("conf", 2)[0]
    for _ in range(2):  # mined, then one confirmation: still not answered
        _mine(anvil)
        reader.sync()
        assert reader.leaf_anchor(leaf) is None and reader.inclusion(tx.hash) is None
    _mine(anvil)
    reader.sync()
    assert reader.leaf_anchor(leaf) is not None


def test_a_reorg_within_the_confirmations_is_absorbed_and_the_anchor_resent(
    anvil: Anvil,
) -> None:
    ledger = _deploy(anvil, confirmations=1, resend_after_s=0.0)
    _mine(anvil)  # the genesis's confirmation
    ledger.refresh()
    anvil.rpc("evm_setIntervalMining", [1])
    keys = accredit(ledger, ["office-a"], wall())
    anvil.rpc("evm_setIntervalMining", [0])  # no more blocks but those mined here
    office = office_did(CHAIN, "office-a")
    ledger.refresh()
    snapshot = anvil.rpc("evm_snapshot", [])
    tx = anchor_tx(office, keys[office], leaves("shallow", 2), ledger.next_seq(office), wall(), "b")
    ledger.submit(tx, wall())
    _mine(anvil)  # mined, not yet confirmed
    ledger.refresh()
    assert ledger.inclusion(tx.hash) is None
    anvil.rpc("anvil_dropAllTransactions", [])
    anvil.rpc("evm_revert", [snapshot])  # that block is gone, and the mempool forgot the tx
    _mine(anvil, 2)
    ledger.refresh()  # no error: nothing it had answered from changed; the tx is sent again
    assert ledger.is_pending(tx.hash)
    _mine(anvil, 2)
    ledger.refresh()
    assert ledger.inclusion(tx.hash) is not None


def test_a_reorg_deeper_than_the_confirmations_is_reported_never_absorbed(anvil: Anvil) -> None:
    tx, producer = story_genesis()
    ledger = EvmLedger.deploy(anvil.chain(), account(2), tx, confirmations=1, producer_key=producer)
    anvil.rpc("evm_setIntervalMining", [1])  # blocks keep coming, so facts get confirmed
    ledger.wait_for_genesis(timeout_s=30)
    registry, office, credential = story_office(ledger)
    snapshot = anvil.rpc("evm_snapshot", [])
    anchor = ledger.submit(office.anchor(registry, [credential], "b1", wall()), wall())
    assert ledger.wait_included(anchor, timeout_s=30) is not None
    assert check_credential(credential, reader=ledger, now=wall()).verdict is Verdict.VALID
    anvil.rpc("evm_setIntervalMining", [0])
    anvil.rpc("anvil_dropAllTransactions", [])
    anvil.rpc("evm_revert", [snapshot])  # the anchor's block and its confirmations are gone
    _mine(anvil, 6)  # a longer chain without the anchor
    with pytest.raises(ReorgError) as info:
        ledger.refresh()
    assert info.value.code == EvmCode.REORG_BEYOND_CONFIRMATIONS
    with pytest.raises(ReorgError):  # sticky: nothing more is answered from that state
        ledger.refresh()
    report = check_credential(credential, reader=ledger, now=wall())
    assert report.verdict is Verdict.COULD_NOT_CHECK


def test_a_chain_shorter_than_what_was_folded_is_reported(anvil: Anvil) -> None:
    ledger = _deploy(anvil)
    snapshot = anvil.rpc("evm_snapshot", [])
    accredit(ledger, ["office-a", "office-b"], wall())
    anvil.rpc("evm_revert", [snapshot])  # the node lost its last blocks (a reset, a restore)
    with pytest.raises(ReorgError):
        ledger.refresh()
    with pytest.raises(ReorgError):
        ledger.chain_head()


# Hostile appends -----------------------------------------------------------------------------


@pytest.fixture
def hostile(anvil: Anvil) -> tuple[EvmLedger, Sender]:
    ledger = _deploy(anvil)
    accredit(ledger, ["office-a"], wall())
    return ledger, Sender(ledger.chain, account(7))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(min_size=1, max_size=300),
        st.text(min_size=1, max_size=200).map(str.encode),
        st.sampled_from([b"{}", b"[]", b'{"type":"genesis"}', b"null", b"\xff\xfe"]),
    )
)
def test_anything_appended_by_anyone_is_skipped_alike_by_every_reader(
    anvil: Anvil, hostile: tuple[EvmLedger, Sender], data: bytes
) -> None:
    ledger, stranger = hostile
    ledger.refresh()
    head = ledger.chain_head()
    evm_hash, _ = stranger.send(
        ledger.chain.append_data(data), to=ledger.chain.address, gas=200_000
    )
    deadline = time.monotonic() + 10
    while (receipt := stranger.receipt(evm_hash)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receipt is not None and receipt["status"] == 1
    ledger.refresh()
    fresh = _follower(anvil, ledger)
    fresh.sync()
    assert ledger.chain_head() == fresh.chain_head() == head
    assert ledger.follower.rejected == fresh.rejected
    assert ledger.follower.rejected[-1].evm_tx_hash == evm_hash
