"""The fold over random histories: all-or-nothing, and replay equals the live chain."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AnchorBody,
    KeyAddBody,
    KeyRetireBody,
    LedgerRuleError,
    MemoryLedger,
    RevokeEvent,
    StatusBody,
    office_tx,
    replay,
)
from vc_core.ledger.bodies import TxBody
from vc_core.transparency import MerkleTree

if TYPE_CHECKING:
    from conftest import World

KEYS = [KeyPair.from_seed(bytes([40 + i]) * 32) for i in range(4)]

ops = st.lists(
    st.tuples(
        st.sampled_from(["anchor", "add", "retire", "revoke", "commit"]),
        st.integers(0, 3),  # which key signs / is the subject
        st.integers(0, 6),  # which leaf / credential
    ),
    max_size=25,
)


def _body(kind: str, k: int, n: int) -> tuple[str, TxBody]:
    if kind == "anchor":
        leaves = (hashlib.sha256(f"leaf{n}".encode()).hexdigest(),)
        root = MerkleTree([bytes.fromhex(leaves[0])]).root.hex()
        return "anchor", AnchorBody(batch_id=f"b{n}", batch_root=root, leaf_count=1, leaves=leaves)
    if kind == "add":
        return "key.add", KeyAddBody(key=KEYS[k].public_multibase)
    if kind == "retire":
        return "key.retire", KeyRetireBody(key=KEYS[k].public_multibase)
    return "status", StatusBody(credential_id=f"urn:c:{n}", event=RevokeEvent(reason="r"))


@settings(max_examples=40, deadline=None)
@given(history=ops)
def test_random_histories_replay_to_the_same_state(
    world: World, history: list[tuple[str, int, int]]
) -> None:
    ledger = MemoryLedger.create(world.genesis, world.producer, world.t0)
    now = world.t0
    ledger.submit(world.accredit, now)
    signers = [world.office_key, *KEYS]
    for kind, k, n in history:
        now += timedelta(seconds=1)
        if kind == "commit":
            ledger.produce_block(now)
            continue
        tx_type, body = _body(kind, k, n)
        seq = ledger.next_seq(world.office)
        tx = office_tx(world.chain_id, tx_type, body, office=world.office, seq=seq, time=now,
                       key=signers[(k + n) % len(signers)])  # fmt: skip
        try:
            ledger.submit(tx, now)
        except LedgerRuleError:
            assert ledger.next_seq(world.office) == seq  # nothing of it was kept
    ledger.produce_block(now + timedelta(seconds=1))
    blocks = list(ledger.blocks)
    state = replay(blocks[0], blocks[1:])
    live = ledger.state
    assert state.head == live.head and state.tx_count == live.tx_count
    assert state.office_keys(world.office) == live.office_keys(world.office)
    assert dict(state.leaves.items()) == dict(live.leaves.items())
    assert dict(state.statuses.items()) == dict(live.statuses.items())
