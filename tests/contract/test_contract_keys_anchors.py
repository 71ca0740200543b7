"""Ledger contract: office keys with validity windows, and anchors (DESIGN §3, §5 steps 3–5)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AnchorBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    RuleCode,
)

if TYPE_CHECKING:
    from conftest import Harness  # annotations only: helpers come through the fixture


def _add_key(chain: Harness, office: str, signer: KeyPair, new: KeyPair) -> None:
    chain.submit(chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), signer))
    chain.commit()


def _retire(chain: Harness, office: str, signer: KeyPair, old: KeyPair) -> None:
    chain.submit(
        chain.office(office, "key.retire", KeyRetireBody(key=old.public_multibase), signer)
    )
    chain.commit()


# Keys ----------------------------------------------------------------------------------------


def test_the_first_key_comes_with_the_accreditation(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    (record,) = chain.ledger.office_keys(office)
    assert record.key == office_key.public_multibase
    assert record.state_at(chain.now) == "active"
    assert record.state_at(chain.t0 - timedelta(seconds=1)) == "not_yet"


def test_key_add_needs_an_active_office_key(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    stranger, new = chain.key(40), chain.key(21)
    with chain.rejects(RuleCode.NOT_AN_OFFICE_KEY):
        chain.submit(
            chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), stranger)
        )
    _add_key(chain, office, office_key, new)
    assert [k.key for k in chain.ledger.office_keys(office)] == [
        office_key.public_multibase, new.public_multibase]  # fmt: skip


def test_a_key_belongs_to_one_office_once(chain: Harness, office: str, office_key: KeyPair) -> None:
    with chain.rejects(RuleCode.KEY_IN_USE):
        chain.submit(chain.office(office, "key.add", KeyAddBody(key=office_key.public_multibase),
                                  office_key))  # fmt: skip
    body = chain.accredit_body("land-registry", office_key)
    with chain.rejects(RuleCode.KEY_IN_USE):
        chain.submit(chain.council("issuer.accredit", body))


def test_an_anchor_signed_with_a_retired_key_is_rejected(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    new = chain.key(21)
    _add_key(chain, office, office_key, new)
    _retire(chain, office, new, office_key)
    with chain.rejects(RuleCode.KEY_NOT_ACTIVE):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("r1")]))
    with chain.rejects(RuleCode.KEY_NOT_ACTIVE):
        chain.submit(chain.office(office, "key.add", KeyAddBody(key=chain.key(22).public_multibase),
                                  office_key))  # fmt: skip
    chain.submit(chain.anchor_tx(office, new, [chain.digest("r1")]))
    retired = chain.ledger.key(office_key.public_multibase)
    assert retired is not None and retired.retired_at is not None
    assert retired.state_at(retired.retired_at - timedelta(microseconds=1)) == "active"


def test_a_key_compromised_since_t_rejects_anchors_at_or_after_t_only(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    spare = chain.key(21)
    _add_key(chain, office, office_key, spare)
    early = chain.anchor_tx(office, office_key, [chain.digest("early")])
    chain.submit(early)
    chain.commit()
    since = chain.tick(10)
    chain.submit(chain.office(office, "key.compromised", KeyCompromisedBody(
        office=office, key=office_key.public_multibase, since=since, reason="laptop stolen"),
        spare))  # fmt: skip
    chain.commit()
    with chain.rejects(RuleCode.KEY_COMPROMISED):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("late")]))
    with chain.rejects(RuleCode.KEY_COMPROMISED):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("at-t")], time=since))
    earlier = chain.ledger.leaf_anchor(chain.digest("early"))
    record = chain.ledger.key(office_key.public_multibase)
    assert earlier is not None and record is not None
    assert earlier.batch.tx_hash == early.hash and earlier.batch.signer == record.key
    assert record.state_at(earlier.batch.time) == "active"
    assert record.state_at(since) == "compromised"
    assert record.compromise_reason == "laptop stolen"
    chain.submit(chain.anchor_tx(office, spare, [chain.digest("late")]))


def test_the_council_can_declare_an_office_key_compromised(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    body = KeyCompromisedBody(office=office, key=office_key.public_multibase, since=chain.now)
    with chain.rejects(RuleCode.INSUFFICIENT_COUNCIL_SIGNATURES):
        chain.submit(chain.council("key.compromised", body, signers=[]))
    chain.submit(chain.council("key.compromised", body))
    chain.commit()
    with chain.rejects(RuleCode.KEY_COMPROMISED):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("c")]))


def test_an_office_may_declare_its_only_key_compromised_with_that_key(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    body = KeyCompromisedBody(office=office, key=office_key.public_multibase,
                              since=chain.now - timedelta(seconds=5))  # fmt: skip
    chain.submit(chain.office(office, "key.compromised", body, office_key))
    chain.commit()
    record = chain.ledger.key(office_key.public_multibase)
    assert record is not None and record.compromise_declared_at is not None


def test_an_office_cannot_declare_another_offices_key(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    other_key = chain.key(30)
    other = chain.accredit("land-registry", other_key)
    body = KeyCompromisedBody(office=other, key=other_key.public_multibase, since=chain.now)
    with chain.rejects(RuleCode.AUTHOR_MISMATCH):
        chain.submit(chain.office(office, "key.compromised", body, office_key))


# Anchors -------------------------------------------------------------------------------------


def test_an_anchor_outside_the_accreditation_window_is_rejected(
    chain: Harness, office_key: KeyPair
) -> None:
    start = chain.now + timedelta(seconds=30)
    office = chain.accredit("land-registry", office_key, valid_from=start,
                            valid_until=start + timedelta(seconds=60))  # fmt: skip
    with chain.rejects(RuleCode.OUTSIDE_ACCREDITATION_WINDOW):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("too-early")]))
    chain.tick(40)
    chain.submit(chain.anchor_tx(office, office_key, [chain.digest("inside")]))
    chain.commit()
    chain.tick(60)
    with chain.rejects(RuleCode.OUTSIDE_ACCREDITATION_WINDOW):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("too-late")]))
    assert chain.ledger.leaf_anchor(chain.digest("inside")) is not None


def test_a_batch_whose_leaves_do_not_match_the_root_is_rejected(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    leaves = [chain.digest(f"m{i}") for i in range(5)]
    wrong = chain.batch_root(leaves[:4])
    with chain.rejects(RuleCode.BATCH_ROOT_MISMATCH):
        chain.submit(chain.anchor_tx(office, office_key, leaves, root=wrong))
    chain.submit(chain.anchor_tx(office, office_key, leaves))
    chain.commit()
    found = chain.ledger.leaf_anchor(leaves[3])
    assert found is not None and found.index == 3
    assert found.batch.batch_root == chain.batch_root(leaves) and found.batch.leaf_count == 5
    assert found.batch.office == office and found.batch.leaves_published


def test_a_leaf_is_anchored_once_chain_wide(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    leaf = chain.digest("once")
    chain.submit(chain.anchor_tx(office, office_key, [leaf]))
    chain.commit()
    other_key = chain.key(30)
    other = chain.accredit("land-registry", other_key)
    with chain.rejects(RuleCode.LEAF_ALREADY_ANCHORED):
        chain.submit(chain.anchor_tx(other, other_key, [chain.digest("new"), leaf]))
    with chain.rejects(RuleCode.LEAF_ALREADY_ANCHORED):
        chain.submit(chain.anchor_tx(other, other_key, [chain.digest("twice")] * 2))
    chain.submit(chain.anchor_tx(other, other_key, [chain.digest("new")]))
    chain.commit()
    assert chain.ledger.leaf_anchor(leaf).batch.office == office  # type: ignore[union-attr]


def test_a_failed_anchor_leaves_no_trace(chain: Harness, office: str, office_key: KeyPair) -> None:
    taken = chain.digest("taken")
    chain.submit(chain.anchor_tx(office, office_key, [taken]))
    chain.commit()
    fresh = chain.digest("fresh")
    with chain.rejects(RuleCode.LEAF_ALREADY_ANCHORED):
        chain.submit(chain.anchor_tx(office, office_key, [fresh, taken]))
    chain.commit()
    assert chain.ledger.leaf_anchor(fresh) is None
    assert chain.ledger.next_seq(office) == 2


def test_a_batch_root_is_anchored_once(chain: Harness, office: str, office_key: KeyPair) -> None:
    leaves = [chain.digest("b1"), chain.digest("b2")]
    chain.submit(chain.anchor_tx(office, office_key, leaves, publish=False, batch_id="2025-03-01"))
    chain.commit()
    with chain.rejects(RuleCode.BATCH_ALREADY_ANCHORED):
        chain.submit(chain.anchor_tx(office, office_key, leaves, publish=False, batch_id="again"))
    with chain.rejects(RuleCode.BATCH_ALREADY_ANCHORED):
        chain.submit(
            chain.anchor_tx(office, office_key, [chain.digest("b3")], batch_id="2025-03-01")
        )
    record = chain.ledger.batch(chain.batch_root(leaves))
    assert record is not None and not record.leaves_published and record.batch_id == "2025-03-01"
    assert chain.ledger.leaf_anchor(leaves[0]) is None


def test_published_leaves_must_match_the_leaf_count(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    leaves = [chain.digest("c1"), chain.digest("c2")]
    body = AnchorBody(batch_id="x", batch_root=chain.batch_root(leaves), leaf_count=3,
                      leaves=tuple(leaves))  # fmt: skip
    with chain.rejects(RuleCode.LEAF_COUNT_MISMATCH):
        chain.submit(chain.office(office, "anchor", body, office_key))


def test_an_office_anchor_by_a_council_key_is_rejected(chain: Harness, office: str) -> None:
    with chain.rejects(RuleCode.NOT_AN_OFFICE_KEY):
        chain.submit(chain.anchor_tx(office, chain.council_keys[0], [chain.digest("k")]))
