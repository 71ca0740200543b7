"""Blocks, replay and checkpoints: every tampering is named, with its height (DESIGN §2, §3)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    Block,
    ChainError,
    Checkpoint,
    LedgerState,
    apply_block,
    extend,
    make_block,
    make_checkpoint,
    replay,
    verify_block,
    verify_checkpoint,
)
from vc_core.ledger.sigs import encode_signature

if TYPE_CHECKING:
    from conftest import World


def _chain(world: World) -> list[Block]:
    """Genesis, accreditation, then two blocks of anchors, one second apart."""
    t = world.t0
    g = make_block(None, [world.genesis], t, world.producer)
    b1 = make_block(g.header, [world.accredit], t + timedelta(seconds=1), world.producer)
    b2 = make_block(b1.header, [world.anchor(1, "01" * 32), world.anchor(2, "02" * 32)],
                    t + timedelta(seconds=2), world.producer)  # fmt: skip
    b3 = make_block(b2.header, [world.anchor(3, "03" * 32)], t + timedelta(seconds=3),
                    world.producer)  # fmt: skip
    return [g, b1, b2, b3]


def _resign(block: Block, key: KeyPair, **header: object) -> Block:
    h = block.header.model_validate({**block.header.to_dict(), **header})
    return Block(header=h, transactions=block.transactions,
                 signature=encode_signature(key.sign(h.signing_bytes)))  # fmt: skip


def _code(blocks: list[Block], **kw: object) -> tuple[str, int | None]:
    with pytest.raises(ChainError) as info:
        replay(blocks[0], blocks[1:], **kw)  # type: ignore[arg-type]
    return info.value.code, info.value.height


def test_a_good_chain_replays(world: World) -> None:
    blocks = _chain(world)
    state = replay(blocks[0], blocks[1:], expected_genesis_hash=blocks[0].hash)
    assert state.head is not None and state.head.height == 3 and state.tx_count == 5
    assert state.batch("03" * 32) is not None


def test_block_json_round_trip(world: World) -> None:
    block = _chain(world)[2]
    again = Block.from_json(block.to_json())
    assert again == block and again.hash == block.hash
    with pytest.raises(MalformedError):
        Block.from_json('{"header": {}}')


def test_a_foreign_genesis_is_refused(world: World) -> None:
    blocks = _chain(world)
    assert _code(blocks, expected_genesis_hash="ff" * 32) == ("GENESIS_MISMATCH", 0)


def test_a_forged_producer_signature_names_its_height(world: World) -> None:
    forger = KeyPair.from_seed(b"\x66" * 32)
    blocks = _chain(world)
    blocks[2] = _resign(blocks[2], forger, producer=forger.public_multibase)
    assert _code(blocks) == ("WRONG_PRODUCER", 2)
    blocks = _chain(world)
    blocks[2] = _resign(blocks[2], forger)
    assert _code(blocks) == ("BAD_BLOCK_SIGNATURE", 2)
    blocks = _chain(world)
    blocks[2] = blocks[2].model_copy(update={"signature": blocks[1].signature})
    assert _code(blocks) == ("BAD_BLOCK_SIGNATURE", 2)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"prev_hash": "00" * 32}, "BAD_PREV_HASH"),
        ({"height": 5}, "BAD_HEIGHT"),
        ({"tx_root": "00" * 32}, "TX_ROOT_MISMATCH"),
        ({"tx_count": 1}, "TX_ROOT_MISMATCH"),
        ({"chain_id": "other"}, "WRONG_CHAIN_ID"),
    ],
)
def test_a_tampered_header_names_its_height(
    world: World, change: dict[str, object], code: str
) -> None:
    blocks = _chain(world)
    blocks[2] = _resign(blocks[2], world.producer, **change)
    assert _code(blocks) == (code, 2)


def test_time_cannot_go_backwards_or_into_the_future(world: World) -> None:
    blocks = _chain(world)
    blocks[3] = _resign(blocks[3], world.producer, time=world.t0)
    assert _code(blocks) == ("BLOCK_TIME_REGRESSION", 3)
    blocks = _chain(world)
    assert _code(blocks, now=world.t0 - timedelta(hours=1)) == ("BLOCK_IN_FUTURE", 0)


def test_a_rule_breaking_transaction_is_named_by_height_and_index(world: World) -> None:
    blocks = _chain(world)
    replayed = [world.anchor(3, "04" * 32), world.anchor(3, "05" * 32)]
    blocks[3] = make_block(blocks[2].header, replayed, blocks[3].time, world.producer)
    with pytest.raises(ChainError) as info:
        replay(blocks[0], blocks[1:])
    err = info.value
    assert (err.code, err.height, err.tx_index) == ("REPLAYED_TRANSACTION", 3, 1)
    assert "block 3, transaction 1" in err.message and err.__cause__ is not None


def test_a_replica_refuses_blocks_that_do_not_extend_its_head(world: World) -> None:
    blocks = _chain(world)
    state = replay(blocks[0], blocks[1:3])
    fork = make_block(
        blocks[1].header, [world.anchor(1, "09" * 32)], blocks[3].time, world.producer
    )
    with pytest.raises(ChainError) as info:
        extend(state, [fork])
    assert info.value.code == "BAD_HEIGHT"
    sibling = _resign(blocks[3], world.producer, prev_hash=blocks[1].hash)
    with pytest.raises(ChainError) as info:
        extend(state, [sibling])
    assert info.value.code == "BAD_PREV_HASH"
    assert extend(state, [blocks[3]]).head == blocks[3].header.head


def test_block_zero_holds_exactly_the_genesis(world: World) -> None:
    g = make_block(None, [world.genesis, world.accredit], world.t0, world.producer)
    with pytest.raises(ChainError) as info:
        apply_block(LedgerState.empty(world.chain_id), g)
    assert info.value.code == "BAD_GENESIS"


def test_verify_block_alone(world: World) -> None:
    blocks = _chain(world)
    verify_block(blocks[1].header, blocks[2], world.producer.public)
    with pytest.raises(ChainError):
        verify_block(blocks[0].header, blocks[2], world.producer.public)


def test_checkpoints_sign_the_head(world: World) -> None:
    blocks = _chain(world)
    state = replay(blocks[0], blocks[1:])
    cp = make_checkpoint(state, world.producer, world.t0 + timedelta(minutes=5))
    again = Checkpoint.from_json(cp.to_json())
    verify_checkpoint(again, world.producer.public_multibase)
    assert again.head_hash == blocks[3].hash and again.height == 3
    with pytest.raises(ChainError) as info:
        verify_checkpoint(again.model_copy(update={"head_hash": "00" * 32}), world.producer.public)
    assert info.value.code == "BAD_CHECKPOINT"
    with pytest.raises(ChainError):
        make_checkpoint(LedgerState.empty("x"), world.producer, world.t0)
