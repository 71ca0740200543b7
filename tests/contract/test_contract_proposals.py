"""Ledger contract: council proposals signed over days (``expires``), and proof of possession of
a new office key (DESIGN §3, issue 7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from vc_core.keys import KeyPair
from vc_core.ledger import (
    IssuerSuspendBody,
    KeyAddBody,
    KeyCompromisedBody,
    RuleCode,
    Transaction,
    add_signature,
    sign_tx,
    unsigned_tx,
)
from vc_core.ledger.bodies import TxBody

if TYPE_CHECKING:
    from conftest import Harness

DAY = timedelta(days=1)


def _proposal(
    chain: Harness, tx_type: str, body: TxBody, *, time: datetime, expires: datetime | None
) -> Transaction:
    """Proposed by member 1 at ``time`` (signed by it only), to be signed later by others."""
    proposer = chain.council_keys[0]
    tx = unsigned_tx(
        chain_id=chain.chain_id,
        tx_type=tx_type,
        author=proposer.public_multibase,
        seq=chain.ledger.next_seq(proposer.public_multibase),
        time=time,
        body=body,
        expires=expires,
    )
    return add_signature(tx, proposer)


def test_a_proposal_signed_days_later_takes_effect_at_its_block(
    chain: Harness, office_key: KeyPair
) -> None:
    proposed = chain.now
    body = chain.accredit_body("late", office_key, valid_from=proposed - DAY)
    tx = _proposal(chain, "issuer.accredit", body, time=proposed, expires=proposed + 7 * DAY)
    chain.tick(3 * 86400)  # member 2 signs three days later
    chain.submit(add_signature(tx, chain.council_keys[1]))
    block = chain.commit()
    assert (
        block is not None
        and block.transactions[0].hash == add_signature(tx, chain.council_keys[1]).hash
    )
    # Its effect is dated at the block, never back at the proposal: no history is rewritten.
    assert chain.ledger.accreditation(body.office, proposed + DAY) is None
    acc = chain.ledger.accreditation(body.office, block.time)
    assert acc is not None and acc.state == "active"
    record = chain.ledger.key(office_key.public_multibase)
    assert record is not None and record.added_at == block.time


def test_without_expires_a_council_act_must_still_be_signed_within_minutes(
    chain: Harness, office_key: KeyPair
) -> None:
    body = chain.accredit_body("slow", office_key)
    tx = _proposal(chain, "issuer.accredit", body, time=chain.now, expires=None)
    chain.tick(3 * 86400)
    with chain.rejects(RuleCode.TIME_TOO_OLD):
        chain.submit(add_signature(tx, chain.council_keys[1]))


def test_an_expired_proposal_is_rejected(chain: Harness, office_key: KeyPair) -> None:
    body = chain.accredit_body("expired", office_key)
    proposed = chain.now
    tx = _proposal(chain, "issuer.accredit", body, time=proposed, expires=proposed + 7 * DAY)
    chain.tick(7 * 86400 + 1)
    with chain.rejects(RuleCode.PROPOSAL_EXPIRED):
        chain.submit(add_signature(tx, chain.council_keys[1]))


@pytest.mark.parametrize("life", [timedelta(0), -DAY, timedelta(days=31)])
def test_an_expiry_not_after_the_proposal_or_too_far_is_invalid(
    chain: Harness, office_key: KeyPair, life: timedelta
) -> None:
    body = chain.accredit_body("odd", office_key)
    tx = _proposal(chain, "issuer.accredit", body, time=chain.now, expires=chain.now + life)
    with chain.rejects(RuleCode.INVALID_EXPIRY):
        chain.submit(add_signature(tx, chain.council_keys[1]))


def test_an_office_transaction_cannot_carry_an_expiry(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    tx = unsigned_tx(
        chain_id=chain.chain_id,
        tx_type="key.add",
        author=office,
        seq=chain.ledger.next_seq(office),
        time=chain.now,
        body=KeyAddBody(key=chain.key(40).public_multibase),
        expires=chain.now + DAY,
    )
    with chain.rejects(RuleCode.INVALID_EXPIRY):
        chain.submit(sign_tx(tx, [office_key]))


def test_a_suspension_signed_later_does_not_reach_back(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    proposed = chain.now
    body = IssuerSuspendBody(office=office, reason="audit")
    tx = _proposal(chain, "issuer.suspend", body, time=proposed, expires=proposed + 2 * DAY)
    chain.tick(86400)
    chain.submit(add_signature(tx, chain.council_keys[2]))
    block = chain.commit()
    assert block is not None
    before = chain.ledger.accreditation(office, proposed + timedelta(hours=12))
    after = chain.ledger.accreditation(office, block.time)
    assert before is not None and before.state == "active"
    assert after is not None and after.state == "suspended"


def test_a_council_compromise_declaration_is_dated_at_its_block(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    proposed = chain.now
    since = proposed - timedelta(hours=1)
    body = KeyCompromisedBody(office=office, key=office_key.public_multibase, since=since)
    tx = _proposal(chain, "key.compromised", body, time=proposed, expires=proposed + DAY)
    chain.tick(3600)
    chain.submit(add_signature(tx, chain.council_keys[1]))
    block = chain.commit()
    assert block is not None
    record = chain.ledger.key(office_key.public_multibase)
    assert record is not None
    assert record.compromised_since == since
    assert record.compromise_declared_at == block.time


def test_a_new_key_may_prove_possession_by_signing(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    new = chain.key(41)
    tx = chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), office_key)
    chain.submit(add_signature(tx, new))
    chain.commit()
    record = chain.ledger.key(new.public_multibase)
    assert record is not None and record.office == office


def test_a_new_key_cannot_add_itself(chain: Harness, office: str) -> None:
    new = chain.key(42)
    tx = chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), new)
    with chain.rejects(RuleCode.MISSING_SIGNATURE):
        chain.submit(tx)


def test_a_stranger_cosigning_a_key_add_is_refused(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    new, stranger = chain.key(43), chain.key(44)
    tx = chain.office(office, "key.add", KeyAddBody(key=new.public_multibase), office_key)
    with chain.rejects(RuleCode.NOT_AN_OFFICE_KEY):
        chain.submit(add_signature(tx, stranger))
