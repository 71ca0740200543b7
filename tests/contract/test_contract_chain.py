"""Ledger contract: blocks, checkpoints, audit replay and the derived DID document (DESIGN §2-4)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from vc_core.errors import NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    Block,
    ChainError,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    did_document,
    replay,
    verify_block,
    verify_checkpoint,
)
from vc_core.transparency import hash_leaf, verify_inclusion
from vc_core.transparency.merkle import MerkleTree

if TYPE_CHECKING:
    from conftest import Harness  # annotations only: helpers come through the fixture


def _busy_chain(chain: Harness, office: str, office_key: KeyPair) -> None:
    for i in range(3):
        chain.submit(
            chain.anchor_tx(office, office_key, [chain.digest(f"busy{i}-{j}") for j in range(3)])
        )
    chain.commit()


def _blocks(chain: Harness) -> list[Block]:
    return [chain.ledger.block(h) for h in range(chain.ledger.head().height + 1)]


def test_blocks_chain_by_hash_and_verify(chain: Harness, office: str, office_key: KeyPair) -> None:
    _busy_chain(chain, office, office_key)
    blocks = _blocks(chain)
    assert [b.height for b in blocks] == list(range(len(blocks)))
    verify_block(None, blocks[0], chain.producer.public)
    for prev, block in itertools.pairwise(blocks):
        assert block.header.prev_hash == prev.hash
        verify_block(prev.header, block, chain.producer.public)
    assert chain.ledger.head() == blocks[-1].header


def test_a_transaction_is_provably_in_its_block(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    _busy_chain(chain, office, office_key)
    block = chain.ledger.block(chain.ledger.head().height)
    tx = block.transactions[1]
    found, height = chain.ledger.transaction(tx.hash)
    assert found == tx and height == block.height
    tree = MerkleTree([bytes.fromhex(t.hash) for t in block.transactions])
    verify_inclusion(hash_leaf(bytes.fromhex(tx.hash)), 1, tree.size, tree.inclusion_proof(1),
                     bytes.fromhex(block.header.tx_root))  # fmt: skip
    with pytest.raises(NotFoundError):
        chain.ledger.transaction("0" * 64)
    with pytest.raises(NotFoundError):
        chain.ledger.block(block.height + 1)


def test_replay_from_genesis_rebuilds_what_the_ledger_answers(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    _busy_chain(chain, office, office_key)
    blocks = _blocks(chain)
    state = replay(blocks[0], blocks[1:], expected_genesis_hash=blocks[0].hash)
    assert state.head is not None and state.head.hash == chain.ledger.head().hash
    assert state.genesis_hash == blocks[0].hash
    leaf = chain.digest("busy1-2")
    assert state.leaf_anchor(leaf) == chain.ledger.leaf_anchor(leaf)
    assert state.office_keys(office) == chain.ledger.office_keys(office)
    assert state.next_seq(office) == chain.ledger.next_seq(office)


def test_replay_names_the_first_bad_block(chain: Harness, office: str, office_key: KeyPair) -> None:
    _busy_chain(chain, office, office_key)
    blocks = _blocks(chain)
    forged = blocks[2].model_copy(update={"transactions": blocks[2].transactions[:-1]})
    with pytest.raises(ChainError) as info:
        replay(blocks[0], [blocks[1], forged, *blocks[3:]])
    assert info.value.height == 2 and info.value.code == "TX_ROOT_MISMATCH"
    with pytest.raises(ChainError) as info:
        replay(blocks[0], [blocks[2]])  # block 1 is missing: the chain breaks at height 1
    assert info.value.height == 1 and info.value.code == "BAD_HEIGHT"


def test_the_checkpoint_is_signed_by_the_producer(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    _busy_chain(chain, office, office_key)
    cp = chain.ledger.checkpoint(chain.now)
    assert cp.height == chain.ledger.head().height and cp.head_hash == chain.ledger.head().hash
    assert cp.chain_id == chain.chain_id and cp.time == chain.now
    verify_checkpoint(cp, chain.producer.public)
    with pytest.raises(ChainError):
        verify_checkpoint(cp.model_copy(update={"height": cp.height + 1}), chain.producer.public)
    with pytest.raises(ChainError):
        verify_checkpoint(cp, chain.key(77).public)


def test_produce_block_with_nothing_pending_makes_no_block(chain: Harness) -> None:
    height = chain.ledger.head().height
    assert chain.commit() is None
    assert chain.ledger.head().height == height


def test_queries_read_committed_blocks_only(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    leaf = chain.digest("pending")
    chain.submit(chain.anchor_tx(office, office_key, [leaf]))
    assert chain.ledger.leaf_anchor(leaf) is None
    chain.commit()
    assert chain.ledger.leaf_anchor(leaf) is not None


def test_the_did_document_shows_keys_with_windows_and_version_time(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    first_version = chain.now
    chain.tick()
    new = chain.key(21)
    chain.submit(chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), office_key))
    chain.commit()
    chain.submit(
        chain.office(office, "key.retire", KeyRetireBody(key=office_key.public_multibase), new)
    )
    chain.commit()
    since = chain.now - timedelta(seconds=1)
    body = KeyCompromisedBody(office=office, key=new.public_multibase, since=since)
    chain.submit(chain.council("key.compromised", body))
    chain.commit()

    doc = did_document(chain.ledger, office)
    assert doc["id"] == office
    old_vm, new_vm = doc["verificationMethod"]
    assert old_vm["id"] == f"{office}#{office_key.public_multibase}"
    assert old_vm["type"] == "Multikey" and old_vm["controller"] == office
    assert "expires" in old_vm and "revoked" not in old_vm
    assert new_vm["publicKeyMultibase"] == new.public_multibase and "revoked" in new_vm
    assert doc["assertionMethod"] == [old_vm["id"], new_vm["id"]]

    then = did_document(chain.ledger, office, version_time=first_version)
    (only,) = then["verificationMethod"]
    assert only["publicKeyMultibase"] == office_key.public_multibase and "expires" not in only
    with pytest.raises(NotFoundError):
        did_document(chain.ledger, office, version_time=chain.t0 - timedelta(days=1))
    with pytest.raises(NotFoundError):
        did_document(chain.ledger, "did:ecert:test-chain:nobody")
