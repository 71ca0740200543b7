"""Signatures checked in worker processes: they only save work, a bad one still fails its height."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.ledger import Block, ChainError, RuleCode, Transaction, extend, make_block, replay
from vc_core.ledger.sigpool import BAD_BYTES, BAD_SIGNATURE, OK, check_jobs, preverified
from vc_core.ledger.sigs import encode_signature
from vc_core.ledger.tx import TxSignature

if TYPE_CHECKING:
    from conftest import World

BAD_HEIGHT = 7


def _forged(tx: Transaction, key: KeyPair) -> Transaction:
    """``tx`` with a well-formed signature by its own signer over other bytes."""
    sig = TxSignature(signer=key.public_multibase, signature=encode_signature(key.sign(b"x")))
    return tx.model_copy(update={"signatures": (sig,)})


def _chain(world: World, *, bad_at: int | None = None, heights: int = 9) -> list[Block]:
    """Genesis, accreditation, then blocks of 3 anchors; one forged signature at ``bad_at``."""
    t = world.t0
    blocks = [make_block(None, [world.genesis], t, world.producer)]
    blocks.append(make_block(blocks[0].header, [world.accredit], t, world.producer))
    seq = 1
    for h in range(2, heights + 1):
        txs = [world.anchor(seq + i, f"{h:02x}{i:02x}" * 16) for i in range(3)]
        if h == bad_at:
            txs[2] = _forged(txs[2], world.office_key)
        seq += 3
        blocks.append(make_block(blocks[-1].header, txs, t + timedelta(seconds=h), world.producer))
    # Fresh objects, as an audit or a replica parses them: no cached signature result.
    return [Block.from_json(b.to_json()) for b in blocks]


def _marked(tx: Transaction) -> bool:
    return "_bad_signer" in tx.__dict__


def test_the_pool_marks_good_transactions_and_leaves_a_forged_one(world: World) -> None:
    blocks = _chain(world, bad_at=BAD_HEIGHT)
    out = list(preverified(blocks, chunk_txs=1, workers=2))
    assert [b.height for b in out] == list(range(len(blocks)))
    marks = {(b.height, i): _marked(tx) for b in out for i, tx in enumerate(b.transactions)}
    assert marks.pop((BAD_HEIGHT, 2)) is False
    assert all(marks.values())


@pytest.mark.parametrize("chunk_txs", [1, 4, 1000], ids=["pool-1", "pool-4", "no-pool"])
def test_a_forged_signature_in_a_late_block_fails_replay_at_its_height(
    world: World, chunk_txs: int
) -> None:
    blocks = _chain(world, bad_at=BAD_HEIGHT)
    with pytest.raises(ChainError) as info:
        replay(blocks[0], preverified(blocks[1:], chunk_txs=chunk_txs, workers=2))
    assert info.value.height == BAD_HEIGHT
    assert info.value.code == RuleCode.BAD_SIGNATURE
    assert info.value.tx_index == 2


def test_a_good_chain_replays_through_the_pool(world: World) -> None:
    blocks = _chain(world)
    state = replay(blocks[0], preverified(blocks[1:], chunk_txs=2, workers=2, ahead=1))
    assert state.head is not None and state.head.height == len(blocks) - 1
    assert all(_marked(tx) for b in blocks[1:] for tx in b.transactions)


def test_a_read_error_waits_for_the_blocks_before_it(world: World) -> None:
    """A later block that fails to read must not hide an earlier block that fails its fold."""
    blocks = _chain(world, bad_at=3)

    def source() -> Iterator[Block]:
        yield from blocks[1:6]
        raise MalformedError("block 6 does not parse", code="MALFORMED_BLOCK")

    state = replay(blocks[0], [])
    with pytest.raises(ChainError) as info:
        extend(state, preverified(source(), chunk_txs=1, workers=2, ahead=8))
    assert info.value.height == 3 and info.value.code == RuleCode.BAD_SIGNATURE
    good = _chain(world)
    seen: list[int] = []

    def good_source() -> Iterator[Block]:
        yield from good[1:6]
        raise MalformedError("block 6 does not parse", code="MALFORMED_BLOCK")

    with pytest.raises(MalformedError):
        for block in preverified(good_source(), chunk_txs=1, workers=2, ahead=8):
            seen.append(block.height)
    assert seen == [1, 2, 3, 4, 5]


def test_check_jobs_needs_every_signature_to_verify(world: World) -> None:
    good = world.anchor(1, "aa" * 32)
    forged = _forged(world.anchor(2, "bb" * 32), world.office_key)
    unsigned = good.model_copy(update={"signatures": ()})
    council = world.accredit  # two signatures
    one_forged = council.model_copy(
        update={
            "signatures": (
                council.signatures[0],
                TxSignature(
                    signer=council.signatures[1].signer,
                    signature=encode_signature(world.b.sign(b"other")),
                ),
            )
        }
    )
    jobs = [
        good.canonical_bytes,
        council.canonical_bytes,
        forged.canonical_bytes,
        unsigned.canonical_bytes,
        one_forged.canonical_bytes,
        good.canonical_bytes.replace(b'"signer"', b'"signer2"'),
    ]
    assert check_jobs([(j, None) for j in jobs]) == bytes([OK, OK] + [BAD_SIGNATURE] * 4)
    assert check_jobs([(b"not json", None), (b"[]", None)]) == bytes([BAD_BYTES] * 2)


def test_stored_bytes_must_be_canonical_and_hash_to_the_stored_hash(world: World) -> None:
    good = world.anchor(1, "aa" * 32)
    data = good.canonical_bytes
    spaced = data.replace(b'","', b'", "', 1)  # the same value, not its JCS
    reordered = json.dumps(json.loads(data)).encode()  # keys unsorted, spaces
    assert check_jobs([(data, good.hash)]) == bytes([OK])
    assert check_jobs([(data, "00" * 32)]) == bytes([BAD_BYTES])
    for other in (spaced, reordered):
        assert check_jobs([(other, _sha(other))]) == bytes([BAD_BYTES])
    forged = _forged(world.anchor(2, "bb" * 32), world.office_key)
    assert check_jobs([(forged.canonical_bytes, forged.hash)]) == bytes([BAD_SIGNATURE])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_worker_derives_exactly_the_signing_bytes(world: World) -> None:
    """The worker's message is the JCS of the canonical bytes' value without ``signatures``."""
    txs = [tx for b in _chain(world) for tx in b.transactions]
    for tx in txs:
        value = json.loads(tx.canonical_bytes)
        del value["signatures"]
        assert jcs(value) == tx.signing_bytes
