"""Ledger contract: credential status events with reasons and "as of" (DESIGN §3, §5 step 6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from vc_core.keys import KeyPair
from vc_core.ledger import (
    EncumbranceAddEvent,
    EncumbranceReleaseEvent,
    IssuerWithdrawBody,
    ReinstateEvent,
    RevokeEvent,
    RuleCode,
    StatusBody,
    SupersedeEvent,
    SuspendEvent,
)
from vc_core.ledger.bodies import StatusEvent

if TYPE_CHECKING:
    from conftest import Harness  # annotations only: helpers come through the fixture

CRED = "urn:uuid:8c1a3f7e-0000-4000-8000-000000000001"


def _event(
    chain: Harness, office: str, key: KeyPair, event: StatusEvent, **ids: object
) -> datetime:
    body = StatusBody.model_validate({"credential_id": CRED, **ids, "event": event})
    chain.tick()
    chain.submit(chain.office(office, "status", body, key))
    at = chain.now
    chain.commit()
    return at


def test_a_credential_without_events_is_valid(chain: Harness, office: str) -> None:
    status = chain.ledger.credential_status(office, credential_id=CRED, as_of=chain.now)
    assert status.valid and status.history == ()


def test_suspend_then_reinstate_with_as_of(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    before = chain.now
    until = chain.now + timedelta(days=30)
    suspended_at = _event(chain, office, office_key,
                          SuspendEvent.model_validate({"from": chain.now, "until": until,
                                                       "reason": "points limit"}))  # fmt: skip
    chain.tick(5)
    reinstated_at = _event(chain, office, office_key, ReinstateEvent(reason="appeal upheld"))
    q = chain.ledger.credential_status
    assert q(office, credential_id=CRED, as_of=before).valid
    mid = q(office, credential_id=CRED, as_of=suspended_at)
    assert (
        mid.suspended and mid.suspension_reason == "points limit" and mid.suspended_until == until
    )
    now = q(office, credential_id=CRED, as_of=reinstated_at)
    assert not now.suspended and now.valid
    assert [r.event.event for r in now.history] == ["suspend", "reinstate"]
    assert q(office, credential_id=CRED, as_of=until + timedelta(days=1)).valid


def test_a_suspension_ends_by_itself_at_until(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    until = chain.now + timedelta(hours=1)
    suspension = SuspendEvent.model_validate({"from": chain.now, "until": until, "reason": "r"})
    _event(chain, office, office_key, suspension)
    q = chain.ledger.credential_status
    assert q(office, credential_id=CRED, as_of=until - timedelta(seconds=1)).suspended
    assert not q(office, credential_id=CRED, as_of=until).suspended


def test_reinstating_what_is_not_suspended_is_rejected(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    body = StatusBody(credential_id=CRED, event=ReinstateEvent())
    with chain.rejects(RuleCode.NOT_SUSPENDED):
        chain.submit(chain.office(office, "status", body, office_key))


def test_revocation_is_final_and_keeps_its_reason(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    before = chain.now
    at = _event(chain, office, office_key, RevokeEvent(reason="issued in error"), status_index=42)
    by_index = chain.ledger.credential_status(office, status_index=42, as_of=at)
    by_id = chain.ledger.credential_status(office, credential_id=CRED, as_of=at)
    assert by_index.revoked and by_id.revoked and by_id.revocation_reason == "issued in error"
    assert not chain.ledger.credential_status(office, credential_id=CRED, as_of=before).revoked
    for event in (RevokeEvent(reason="again"), SuspendEvent.model_validate(
            {"from": chain.now, "reason": "x"}), ReinstateEvent()):  # fmt: skip
        with chain.rejects(RuleCode.CREDENTIAL_REVOKED):
            chain.submit(chain.office(office, "status", StatusBody(credential_id=CRED, event=event),
                                      office_key))  # fmt: skip


def test_supersede_names_the_successor_once(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    at = _event(
        chain, office, office_key, SupersedeEvent(by="urn:uuid:new-deed", reason="transfer")
    )
    status = chain.ledger.credential_status(office, credential_id=CRED, as_of=at)
    assert status.superseded_by == "urn:uuid:new-deed" and not status.valid
    body = StatusBody(credential_id=CRED, event=SupersedeEvent(by="urn:uuid:other"))
    with chain.rejects(RuleCode.CREDENTIAL_SUPERSEDED):
        chain.submit(chain.office(office, "status", body, office_key))


def test_encumbrances_are_added_and_released(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    mortgage = EncumbranceAddEvent(encumbrance_id="m-1", kind="mortgage", holder="Bank of Chengdu")
    added = _event(chain, office, office_key, mortgage)
    with chain.rejects(RuleCode.DUPLICATE_ENCUMBRANCE):
        chain.submit(chain.office(office, "status", StatusBody(credential_id=CRED, event=mortgage),
                                  office_key))  # fmt: skip
    released = _event(chain, office, office_key, EncumbranceReleaseEvent(encumbrance_id="m-1"))
    q = chain.ledger.credential_status
    assert [e.encumbrance_id for e in q(office, credential_id=CRED, as_of=added).encumbrances] == [
        "m-1"
    ]
    assert q(office, credential_id=CRED, as_of=released).encumbrances == ()
    with chain.rejects(RuleCode.UNKNOWN_ENCUMBRANCE):
        body = StatusBody(credential_id=CRED, event=EncumbranceReleaseEvent(encumbrance_id="m-1"))
        chain.submit(chain.office(office, "status", body, office_key))


def test_status_events_need_an_active_office_key(chain: Harness, office: str) -> None:
    body = StatusBody(credential_id=CRED, event=RevokeEvent(reason="x"))
    with chain.rejects(RuleCode.NOT_AN_OFFICE_KEY):
        chain.submit(chain.office(office, "status", body, chain.key(50)))


def test_a_withdrawn_office_can_still_revoke(
    chain: Harness, office: str, office_key: KeyPair
) -> None:
    chain.submit(
        chain.council("issuer.withdraw", IssuerWithdrawBody(office=office, reason="closed"))
    )
    chain.commit()
    at = _event(chain, office, office_key, RevokeEvent(reason="office closed"))
    assert chain.ledger.credential_status(office, credential_id=CRED, as_of=at).revoked
