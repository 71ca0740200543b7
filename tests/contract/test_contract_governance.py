"""Ledger contract: the envelope rules, genesis, the council and accreditation (DESIGN §3)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from vc_core.keys import KeyPair
from vc_core.ledger import (
    CouncilUpdateBody,
    IssuerSuspendBody,
    IssuerWithdrawBody,
    RuleCode,
    Transaction,
    add_signature,
    genesis_tx,
    sign_tx,
    unsigned_tx,
)
from vc_core.ledger.bodies import KeyAddBody

if TYPE_CHECKING:
    from conftest import Harness  # annotations only: helpers come through the fixture


def test_genesis_sets_council_and_head(chain: Harness) -> None:
    council = chain.ledger.council()
    assert council.threshold == 2
    assert council.members == tuple(k.public_multibase for k in chain.council_keys)
    assert council.producer == chain.producer.public_multibase
    assert chain.ledger.head().height == 0
    assert chain.ledger.block(0).transactions[0].type == "genesis"


def test_a_second_genesis_is_rejected(chain: Harness) -> None:
    again = genesis_tx(chain.chain_id, chain.council_keys, 2, chain.producer.public, chain.now)
    with chain.rejects(RuleCode.GENESIS_ALREADY_APPLIED):
        chain.submit(again)


# Accreditation needs M of N ------------------------------------------------------------------


def test_accreditation_with_m_minus_1_signatures_is_rejected(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    with chain.rejects(RuleCode.INSUFFICIENT_COUNCIL_SIGNATURES):
        chain.submit(chain.council("issuer.accredit", body, signers=[]))
    assert chain.ledger.next_seq(chain.council_keys[0].public_multibase) == 2


def test_accreditation_with_m_signatures_is_accepted(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    chain.submit(chain.council("issuer.accredit", body, signers=[chain.council_keys[2]]))
    chain.commit()
    acc = chain.ledger.accreditation(body.office, chain.now)
    assert acc is not None and acc.state == "active"
    assert acc.covers(chain.credential_type, "510104")
    assert not acc.covers(chain.credential_type, "440300")
    assert not acc.covers("PropertyDeedCredential", "510104")
    assert chain.ledger.accreditation(body.office, chain.t0 - timedelta(seconds=1)) is None


def test_council_signatures_can_be_collected_one_at_a_time(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    tx = chain.council("issuer.accredit", body, signers=[])
    tx = add_signature(tx, chain.council_keys[2])
    chain.submit(tx)
    assert chain.commit() is not None


def test_a_stranger_signature_is_not_a_council_signature(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    with chain.rejects(RuleCode.NOT_A_COUNCIL_MEMBER):
        chain.submit(chain.council("issuer.accredit", body, signers=[chain.key(66)]))
    with chain.rejects(RuleCode.NOT_A_COUNCIL_MEMBER):
        chain.submit(
            chain.council(
                "issuer.accredit", body, proposer=chain.key(66), signers=chain.council_keys
            )
        )


def test_first_accreditation_must_carry_a_key(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", None)
    with chain.rejects(RuleCode.INITIAL_KEY_REQUIRED):
        chain.submit(chain.council("issuer.accredit", body))


def test_an_office_of_another_chain_is_rejected(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30)).model_copy(
        update={"office": "did:ecert:other-chain:land-registry"}
    )
    with chain.rejects(RuleCode.WRONG_CHAIN_ID):
        chain.submit(chain.council("issuer.accredit", body))


# Council changes -------------------------------------------------------------------------------


def _rotate_out_member_3(chain: Harness) -> KeyPair:
    new_member = chain.key(4)
    members = (chain.council_keys[0].public_multibase, chain.council_keys[1].public_multibase,
               new_member.public_multibase)  # fmt: skip
    chain.submit(chain.council("council.update", CouncilUpdateBody(council=members, threshold=2)))
    chain.commit()
    return new_member


def test_a_council_change_signed_by_a_removed_member_is_rejected(chain: Harness) -> None:
    _rotate_out_member_3(chain)
    removed = chain.council_keys[2]
    body = chain.accredit_body("land-registry", chain.key(30))
    with chain.rejects(RuleCode.NOT_A_COUNCIL_MEMBER):
        chain.submit(chain.council("issuer.accredit", body, signers=[removed]))
    update = CouncilUpdateBody(council=(removed.public_multibase,), threshold=1)
    with chain.rejects(RuleCode.NOT_A_COUNCIL_MEMBER):
        chain.submit(chain.council("council.update", update, proposer=removed, signers=[]))


def test_a_council_change_signed_by_current_members_is_accepted(chain: Harness) -> None:
    new_member = _rotate_out_member_3(chain)
    assert new_member.public_multibase in chain.ledger.council().members
    body = chain.accredit_body("land-registry", chain.key(30))
    chain.submit(chain.council("issuer.accredit", body, signers=[new_member]))
    assert chain.commit() is not None


def test_a_council_with_threshold_above_its_size_is_rejected(chain: Harness) -> None:
    update = CouncilUpdateBody(council=(chain.council_keys[0].public_multibase,), threshold=2)
    with chain.rejects(RuleCode.INVALID_COUNCIL):
        chain.submit(chain.council("council.update", update))


# Envelope rules ------------------------------------------------------------------------------


def test_wrong_chain_id_is_rejected_right_one_accepted(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    good = chain.council("issuer.accredit", body)
    fields = {n: getattr(good, n) for n in ("type", "author", "seq", "time", "body")}
    other = unsigned_tx(chain_id="other-chain", tx_type=fields.pop("type"), **fields)
    with chain.rejects(RuleCode.WRONG_CHAIN_ID):
        chain.submit(sign_tx(other, chain.council_keys[:2]))
    chain.submit(good)


def test_time_far_in_the_future_is_rejected(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    with chain.rejects(RuleCode.TIME_IN_FUTURE):
        chain.submit(chain.council("issuer.accredit", body, time=chain.now + timedelta(hours=1)))
    chain.submit(chain.council("issuer.accredit", body, time=chain.now + timedelta(seconds=30)))


def test_time_long_past_is_rejected(chain: Harness) -> None:
    body = chain.accredit_body("land-registry", chain.key(30))
    chain.tick(3600)
    with chain.rejects(RuleCode.TIME_TOO_OLD):
        chain.submit(chain.council("issuer.accredit", body, time=chain.now - timedelta(hours=1)))


def test_a_replayed_transaction_is_applied_once(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    leaf = chain.digest("replay")
    tx = chain.anchor_tx(office, office_key, [leaf])
    assert chain.submit(tx) == tx.hash
    with chain.rejects(RuleCode.REPLAYED_TRANSACTION):
        chain.submit(tx)
    block = chain.commit()
    assert block is not None and [t.hash for t in block.transactions] == [tx.hash]
    with chain.rejects(RuleCode.REPLAYED_TRANSACTION):
        chain.submit(tx)
    assert chain.commit() is None  # nothing pending
    assert chain.ledger.transaction(tx.hash)[1] == block.height


def test_a_skipped_sequence_number_is_rejected(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    ahead = chain.office(office, "key.add", KeyAddBody(key=chain.key(21).public_multibase),
                         office_key, seq=chain.ledger.next_seq(office) + 1)  # fmt: skip
    with chain.rejects(RuleCode.BAD_SEQUENCE):
        chain.submit(ahead)


def test_next_seq_counts_pending_transactions(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    assert chain.ledger.next_seq(office) == 1
    chain.submit(chain.anchor_tx(office, office_key, [chain.digest("a")]))
    assert chain.ledger.next_seq(office) == 2
    chain.submit(chain.anchor_tx(office, office_key, [chain.digest("b")]))
    chain.commit()
    assert chain.ledger.next_seq(office) == 3


def test_a_tampered_transaction_fails_its_signature(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    tx = chain.anchor_tx(office, office_key, [chain.digest("x")])
    data = tx.to_dict()
    data["body"]["batch_id"] = "another-id"
    with chain.rejects(RuleCode.BAD_SIGNATURE):
        chain.submit(Transaction.from_dict(data))
    with chain.rejects(RuleCode.MISSING_SIGNATURE):
        chain.submit(Transaction.from_dict({**data, "signatures": []}))
    chain.submit(tx)


def test_an_unknown_transaction_type_is_rejected(chain: Harness) -> None:
    data = chain.council("issuer.suspend", IssuerSuspendBody(office="did:ecert:test-chain:x",
                                                             reason="r")).to_dict()  # fmt: skip
    with chain.rejects(RuleCode.UNKNOWN_TRANSACTION_TYPE):
        Transaction.from_dict({**data, "type": "issuer.promote"})


# Suspension and withdrawal -------------------------------------------------------------------


def test_a_suspended_office_cannot_anchor_until_reaccredited(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    chain.submit(chain.council("issuer.suspend", IssuerSuspendBody(office=office, reason="audit")))
    chain.commit()
    acc = chain.ledger.accreditation(office, chain.now)
    assert acc is not None and acc.state == "suspended" and acc.reason == "audit"
    with chain.rejects(RuleCode.ISSUER_SUSPENDED):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("s")]))
    chain.submit(chain.council("issuer.accredit", chain.accredit_body("traffic-police", None)))
    chain.commit()
    chain.submit(chain.anchor_tx(office, office_key, [chain.digest("s")]))


def test_a_withdrawn_office_is_not_accredited(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    before = chain.now
    chain.tick()
    chain.submit(
        chain.council("issuer.withdraw", IssuerWithdrawBody(office=office, reason="merged"))
    )
    chain.commit()
    with chain.rejects(RuleCode.ISSUER_NOT_ACCREDITED):
        chain.submit(chain.anchor_tx(office, office_key, [chain.digest("w")]))
    with chain.rejects(RuleCode.ISSUER_NOT_ACCREDITED):
        chain.submit(
            chain.council("issuer.withdraw", IssuerWithdrawBody(office=office, reason="x"))
        )
    past = chain.ledger.accreditation(office, before)
    assert past is not None and past.state == "active"


def test_an_unknown_office_cannot_anchor(chain: Harness, office_key: KeyPair) -> None:
    with chain.rejects(RuleCode.ISSUER_NOT_ACCREDITED):
        chain.submit(
            chain.anchor_tx("did:ecert:test-chain:nobody", office_key, [chain.digest("n")])
        )
