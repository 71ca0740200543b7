"""The fold: pure, whole-or-nothing, and the finer rule semantics (DESIGN §2, §3, §5)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from vc_core.keys import KeyPair
from vc_core.ledger import (
    CouncilUpdateBody,
    KeyCompromisedBody,
    LedgerRuleError,
    LedgerState,
    ReinstateEvent,
    RevokeEvent,
    RuleCode,
    StatusRecord,
    SuspendEvent,
    apply,
    council_tx,
    genesis_tx,
    office_tx,
)
from vc_core.ledger.rules import LedgerParams, check_council_shape
from vc_core.ledger.status import fold_status

if TYPE_CHECKING:
    from conftest import World


def test_apply_returns_a_new_state_and_leaves_the_old_one(world: World) -> None:
    before = world.state
    after = apply(before, world.anchor(1, "11" * 32), world.t0)
    assert before.batch("11" * 32) is None and before.next_seq(world.office) == 1
    assert after.batch("11" * 32) is not None and after.next_seq(world.office) == 2
    assert after.tx_count == before.tx_count + 1


def test_a_failing_transaction_changes_nothing(world: World) -> None:
    before = world.state
    bad = world.anchor(1, "22" * 32, key=KeyPair.from_seed(b"\x77" * 32))
    with pytest.raises(LedgerRuleError):
        apply(before, bad, world.t0)
    assert before.batch("22" * 32) is None and before.next_seq(world.office) == 1


def test_only_genesis_applies_to_an_empty_state(world: World) -> None:
    with pytest.raises(LedgerRuleError) as info:
        apply(LedgerState.empty(world.chain_id), world.accredit, world.t0)
    assert info.value.code == RuleCode.GENESIS_REQUIRED


def test_the_genesis_needs_its_own_council_threshold(world: World) -> None:
    lone = genesis_tx(world.chain_id, [world.a], 2, world.producer.public, world.t0,
                      members=[world.a.public_multibase, world.b.public_multibase])  # fmt: skip
    with pytest.raises(LedgerRuleError) as info:
        apply(LedgerState.empty(world.chain_id), lone, world.t0)
    assert info.value.code == RuleCode.INSUFFICIENT_COUNCIL_SIGNATURES


def test_time_bounds_are_parameters(world: World) -> None:
    tx = world.anchor(1, "33" * 32)
    tight = LedgerParams(max_future_skew=timedelta(0), max_age=timedelta(seconds=1))
    with pytest.raises(LedgerRuleError) as info:
        apply(world.state, tx, world.t0 - timedelta(milliseconds=1), tight)
    assert info.value.code == RuleCode.TIME_IN_FUTURE
    with pytest.raises(LedgerRuleError) as info:
        apply(world.state, tx, world.t0 + timedelta(seconds=2), tight)
    assert info.value.code == RuleCode.TIME_TOO_OLD
    apply(world.state, tx, world.t0, tight)


def test_a_council_update_can_replace_the_producer(world: World) -> None:
    new_producer = KeyPair.from_seed(b"\x0a" * 32)
    body = CouncilUpdateBody(council=(world.a.public_multibase,), threshold=1,
                             producer=new_producer.public_multibase)  # fmt: skip
    tx = council_tx(world.chain_id, "council.update", body, proposer=world.a, seq=3,
                    time=world.t0, signers=[world.b])  # fmt: skip
    state = apply(world.state, tx, world.t0)
    assert state.council is not None
    assert state.council.producer == new_producer.public_multibase
    assert state.council.members == (world.a.public_multibase,) and state.council.threshold == 1


def test_an_earlier_compromise_time_wins(world: World) -> None:
    key = world.office_key.public_multibase
    late = KeyCompromisedBody(office=world.office, key=key, since=world.t0 + timedelta(seconds=30))
    early = KeyCompromisedBody(office=world.office, key=key, since=world.t0 + timedelta(seconds=10))
    s = world.state
    for seq, body in ((1, late), (2, early), (3, late)):
        s = apply(s, office_tx(world.chain_id, "key.compromised", body, office=world.office,
                               seq=seq, time=world.t0, key=world.office_key), world.t0)  # fmt: skip
    record = s.key(key)
    assert record is not None and record.compromised_since == world.t0 + timedelta(seconds=10)
    assert record.compromise_declared_at == world.t0


@pytest.mark.parametrize(("members", "threshold"), [((), 1), (("k1", "k1"), 1), (("k1",), 0)])
def test_council_shape(members: tuple[str, ...], threshold: int) -> None:
    with pytest.raises(LedgerRuleError) as info:
        check_council_shape(members, threshold)
    assert info.value.code == RuleCode.INVALID_COUNCIL


def test_status_fold_semantics(world: World) -> None:
    t = world.t0
    suspend = SuspendEvent.model_validate({"from": t + timedelta(days=1), "reason": "pending"})
    history = (
        StatusRecord(time=t, tx_hash="a" * 64, event=suspend),
        StatusRecord(time=t + timedelta(days=2), tx_hash="b" * 64, event=ReinstateEvent()),
        StatusRecord(time=t + timedelta(days=3), tx_hash="c" * 64, event=RevokeEvent(reason="r")),
    )
    at = [fold_status(world.office, "c", None, history, t + timedelta(days=d, hours=1))
          for d in range(4)]  # fmt: skip
    assert [s.suspended for s in at] == [False, True, False, False]
    assert [s.revoked for s in at] == [False, False, False, True]
    assert [len(s.history) for s in at] == [1, 1, 2, 3]
