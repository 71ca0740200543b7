"""Each verdict and failure code of DESIGN §5, reproduced by building the situation on a real
chain (council, office keys, anchors, status events) and read through each backend."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from vc_core.replica import BlockPage
from vc_core.verification import Step, StepCode, StepStatus, Verdict, VerificationReport


def failed(report: VerificationReport) -> dict[int, str | None]:
    """Step number → code, for every step that failed."""
    return {int(r.step): r.code for r in report.steps if r.status is StepStatus.FAILED}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_an_anchored_deed_of_an_accredited_office_is_valid(world: Any, suite: str) -> None:
    credential = world.issued(suite=suite)
    report = world.check(credential)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert [r.step for r in report.steps] == list(Step)
    assert all(r.status is StepStatus.OK for r in report.steps)
    assert report.exit_code == 0 and bool(report)
    assert report.credential_type == "PropertyDeedCredential"
    anchor = report.step(Step.ANCHOR).details
    assert anchor["office"] == world.office


def test_a_deed_not_anchored_yet_is_invalid(world: Any) -> None:
    world.accredit()
    credential = world.deed()
    report = world.check(credential)
    assert report.verdict is Verdict.INVALID
    assert failed(report) == {5: StepCode.ANCHOR_NOT_FOUND}
    skipped = {int(r.step) for r in report.steps if r.status is StepStatus.SKIPPED}
    assert skipped == {2, 3, 4, 6}


def test_a_deed_altered_after_anchoring_is_not_found_on_chain(world: Any) -> None:
    credential = world.issued()
    altered = {**credential, "name": "不动产权证书（副本）"}
    report = world.check(altered)
    assert report.verdict is Verdict.INVALID
    assert failed(report)[5] == StepCode.ANCHOR_NOT_FOUND


def test_an_anchored_deed_with_a_bad_signature_fails_the_proof(world: Any) -> None:
    world.accredit()
    credential = world.deed()
    value = credential["proof"]["proofValue"]
    forged = {**credential, "proof": {**credential["proof"], "proofValue": value[:-2] + "11"}}
    world.anchor(forged)
    report = world.check(forged)
    assert report.verdict is Verdict.INVALID
    assert set(failed(report)) == {2}, report.to_dict()


def test_revoked(world: Any) -> None:
    credential = world.issued()
    before = world.now
    world.tick(60)
    world.revoke(credential, "court order")
    report = world.check(credential)
    assert failed(report) == {6: StepCode.REVOKED}
    assert "court order" in report.step(Step.STATUS).message
    assert world.check(credential, as_of=before).verdict is Verdict.VALID


def test_suspended_then_checked_before_during_and_after(world: Any) -> None:
    credential = world.issued()
    start = world.now + timedelta(hours=1)
    until = start + timedelta(hours=2)
    world.suspend(credential, start, until)
    # The checks run at a later "now", with a chain whose head is fresh for that now.
    world.tick(4 * 3600)
    world.encumber(credential)
    verdicts = {
        label: world.check(credential, as_of=at)
        for label, at in {
            "before": start - timedelta(minutes=1),
            "during": start + timedelta(minutes=30),
            "after": until + timedelta(minutes=1),
        }.items()
    }
    assert verdicts["before"].verdict is Verdict.VALID
    assert verdicts["during"].verdict is Verdict.INVALID
    assert failed(verdicts["during"]) == {6: StepCode.SUSPENDED}
    assert verdicts["during"].step(Step.STATUS).details["suspended_until"] == until
    assert verdicts["after"].verdict is Verdict.VALID
    assert world.check(credential).verdict is Verdict.VALID


def test_superseded_names_the_successor(world: Any) -> None:
    credential = world.issued()
    world.tick(60)
    successor = world.deed(number=2)
    world.anchor(successor)
    world.supersede(credential, successor["id"])
    report = world.check(credential)
    assert failed(report) == {6: StepCode.SUPERSEDED}
    status = report.step(Step.STATUS)
    assert status.details["successor"] == successor["id"] == "urn:ecert:deed:2"
    assert successor["id"] in status.message
    assert world.check(successor).verdict is Verdict.VALID


def test_encumbrances_are_reported_on_a_valid_deed(world: Any) -> None:
    credential = world.issued()
    world.encumber(credential, "seizure")
    report = world.check(credential)
    assert report.verdict is Verdict.VALID
    [encumbrance] = report.step(Step.STATUS).details["encumbrances"]
    assert encumbrance["kind"] == "seizure"


def test_key_retired_before_the_anchor(world: Any) -> None:
    world.accredit()
    world.add_key(world.k2)
    credential = world.deed(world.k1)
    world.retire_key(world.k1, signer=world.k2)
    world.anchor(credential, key=world.k2)
    report = world.check(credential)
    assert report.verdict is Verdict.INVALID
    assert failed(report) == {3: StepCode.KEY_NOT_ACTIVE_AT_ANCHOR_TIME}
    assert report.step(Step.ISSUER_KEY).details["state"] == "retired"
    assert report.step(Step.PROOF).status is StepStatus.SKIPPED


def test_key_retired_after_the_anchor_leaves_the_deed_valid(world: Any) -> None:
    world.accredit()
    world.add_key(world.k2)
    credential = world.deed(world.k1)
    world.anchor(credential)
    world.retire_key(world.k1, signer=world.k2)
    assert world.check(credential).verdict is Verdict.VALID


def test_key_compromised_before_the_anchor(world: Any) -> None:
    world.accredit()
    world.add_key(world.k2)
    credential = world.deed(world.k1)
    since = world.now
    world.anchor(credential, key=world.k2)
    # Declared later, effective since before the anchor: the deed falls.
    world.tick(3600)
    world.compromise(world.k1, since)
    report = world.check(credential)
    assert failed(report) == {3: StepCode.KEY_NOT_ACTIVE_AT_ANCHOR_TIME}
    assert report.step(Step.ISSUER_KEY).details["state"] == "compromised"


def test_key_compromised_after_the_anchor_leaves_the_deed_valid(world: Any) -> None:
    world.accredit()
    credential = world.deed()
    world.anchor(credential)
    world.add_key(world.k2)
    world.tick(60)
    world.compromise(world.k1, world.now - timedelta(seconds=30))
    assert world.check(credential).verdict is Verdict.VALID


def test_office_suspended(world: Any) -> None:
    credential = world.issued()
    before = world.now
    world.tick(60)
    world.suspend_office("fraud inquiry")
    report = world.check(credential)
    assert failed(report) == {4: StepCode.ISSUER_SUSPENDED}
    assert "fraud inquiry" in report.step(Step.ACCREDITATION).message
    assert world.check(credential, as_of=before).verdict is Verdict.VALID


def test_out_of_region(world: Any) -> None:
    world.accredit(prefixes=("3501",))
    credential = world.deed()
    world.anchor(credential)
    report = world.check(credential)
    assert failed(report) == {4: StepCode.ISSUER_OUT_OF_JURISDICTION}
    assert report.step(Step.ACCREDITATION).details["region"] == "510104"


def test_not_accredited_for_the_type(world: Any) -> None:
    world.accredit(credential_type="DriverLicenceCredential")
    credential = world.deed()
    world.anchor(credential)
    report = world.check(credential)
    assert failed(report) == {4: StepCode.ISSUER_NOT_ACCREDITED_FOR_TYPE}


def test_expired_and_not_yet_valid(world: Any) -> None:
    world.accredit()
    credential = world.deed(validFrom="2025-03-01T09:00:00Z", validUntil="2025-03-01T10:00:00Z")
    world.anchor(credential)
    early = world.check(credential, as_of=world.t0 - timedelta(days=1))
    assert failed(early)[7] == StepCode.NOT_YET_VALID
    world.tick(2 * 3600)
    world.encumber(credential)  # the chain moves on, so its head is fresh at the later now
    assert failed(world.check(credential)) == {7: StepCode.EXPIRED}


def test_as_of_before_the_anchor_is_not_yet_anchored(world: Any) -> None:
    credential = world.issued()
    report = world.check(credential, as_of=world.t0)
    assert failed(report)[5] == StepCode.ANCHORED_AFTER_AS_OF


def test_a_replica_older_than_the_policy_could_not_check(world: Any) -> None:
    credential = world.issued()
    later = world.now + timedelta(hours=1)
    report = world.check(credential, now=later, max_age=timedelta(minutes=15))
    assert report.verdict is Verdict.COULD_NOT_CHECK and report.exit_code == 3
    fresh = report.step(Step.FRESHNESS)
    assert fresh.status is StepStatus.COULD_NOT_CHECK and fresh.code == StepCode.REPLICA_TOO_OLD
    assert world.check(credential, now=later, max_age=timedelta(hours=2)).verdict is Verdict.VALID


def test_a_stale_chain_never_calls_a_fresh_deed_invalid(world: Any) -> None:
    """Not anchored as far as an old view knows: "could not check", not "invalid"."""
    world.accredit()
    credential = world.deed()
    world.anchor(credential)
    stale_now = world.now + timedelta(hours=1)
    # A credential anchored after what the view holds looks "not found" to it.
    other = world.deed(number=3)
    report = world.check(other, now=stale_now)
    assert failed(report) == {5: StepCode.ANCHOR_NOT_FOUND}
    assert report.verdict is Verdict.COULD_NOT_CHECK


def test_a_stale_chain_still_reports_a_final_document_failure(world: Any) -> None:
    credential = world.issued()
    report = world.check(b"[1]", now=world.now + timedelta(hours=1))
    assert report.verdict is Verdict.INVALID and report.exit_code == 2
    altered = {**credential, "validUntil": "not a date"}
    report = world.check(altered, now=world.now + timedelta(hours=1))
    assert report.verdict is Verdict.INVALID and 1 in failed(report)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{", "NOT_JSON"),
        (b"[]", "NOT_AN_OBJECT"),
        (b'{"a": 1, "a": 2}', "DUPLICATE_KEY"),
        (b"[" * 40 + b"]" * 40, "TOO_DEEP"),
    ],
)
def test_malformed_input_is_refused_at_step_0(memory_world: Any, payload: bytes, code: str) -> None:
    report = memory_world.check(payload)
    assert report.malformed and report.exit_code == 2 and report.verdict is Verdict.INVALID
    assert report.codes[0] == code
    assert all(r.status is StepStatus.SKIPPED for r in report.steps[1:])


def test_as_of_after_now_is_refused(memory_world: Any) -> None:
    report = memory_world.check(b"{}", as_of=memory_world.now + timedelta(days=1))
    assert report.malformed and report.codes[0] == "AS_OF_IN_FUTURE"


def test_a_did_key_credential_is_not_on_chain(memory_world: Any) -> None:
    from vc_core.issuance import issue_credential
    from vc_core.keys import KeyPair

    memory_world.accredit()
    draft = memory_world.deed()
    draft.pop("proof")
    draft.pop("issuer")
    signed = issue_credential(
        draft, KeyPair.from_seed(b"\x50" * 32), suite="eddsa-jcs-2022", now=memory_world.now
    )
    report = memory_world.check(signed)
    assert report.verdict is Verdict.INVALID and failed(report) == {5: StepCode.ANCHOR_NOT_FOUND}


def test_raise_for_verdict_raises_with_the_first_code(memory_world: Any) -> None:
    from vc_core.errors import RegistryError, VerificationError
    from vc_core.verification import raise_for_verdict

    credential = memory_world.issued()
    assert raise_for_verdict(memory_world.check(credential)).verdict is Verdict.VALID
    memory_world.revoke(credential)
    with pytest.raises(VerificationError) as invalid:
        raise_for_verdict(memory_world.check(credential))
    assert invalid.value.code == StepCode.REVOKED and invalid.value.exit_code == 1
    stale = memory_world.check(credential, now=memory_world.now + timedelta(days=1))
    with pytest.raises(RegistryError) as unchecked:
        raise_for_verdict(stale)
    assert unchecked.value.code == StepCode.REPLICA_TOO_OLD and unchecked.value.exit_code == 3


def test_a_credential_of_another_chain_could_not_check(world: Any) -> None:
    """The same office name on another chain: this verifier follows one chain only."""
    credential = world.issued()
    report = world.check(
        {**credential, "issuer": credential["issuer"].replace(world.chain_id, "another-chain")}
    )
    assert report.verdict is Verdict.COULD_NOT_CHECK, report.to_dict()
    assert report.step(Step.ANCHOR).code == StepCode.ISSUER_ON_OTHER_CHAIN


def test_a_key_the_office_never_held(world: Any) -> None:
    world.accredit()
    credential = world.deed(world.k2)  # K2 was never added to the office
    world.anchor(credential)
    report = world.check(credential)
    assert failed(report) == {3: StepCode.KEY_NOT_OF_ISSUER}
    assert report.step(Step.PROOF).status is StepStatus.SKIPPED


def test_an_office_withdrawn_after_the_anchor_leaves_its_deeds_standing(world: Any) -> None:
    from vc_core.ledger import IssuerWithdrawBody

    credential = world.issued()
    world.council("issuer.withdraw", IssuerWithdrawBody(office=world.office, reason="merged"))
    assert world.check(credential).verdict is Verdict.VALID


class _CheckpointAt:
    """The node as seen at a later time: same blocks, a checkpoint it signs at that time."""

    name = "in-process, later"

    def __init__(self, world: Any, at: datetime) -> None:
        self.world, self.at = world, at

    def blocks(self, start: int, limit: int) -> BlockPage:
        ledger = self.world.ledger
        head = ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[ledger.block(h) for h in heights])

    def checkpoint(self) -> Any:
        return self.world.ledger.checkpoint(self.at)


def test_an_idle_chain_is_fresh_for_a_replica_that_just_synced(make_world: Any) -> None:
    # No transactions, no new blocks: the head block grows old while the chain is current. The
    # producer's signed checkpoint at the replica's sync time says so (DESIGN §3 freshness).
    world = make_world("replica")
    credential = world.issued()
    day_later = world.now + timedelta(days=1)
    stale = world.check(credential, now=day_later)
    assert stale.step(Step.FRESHNESS).code == StepCode.REPLICA_TOO_OLD
    world.replica.sync([_CheckpointAt(world, day_later)], now=day_later)
    report = world.check(credential, now=day_later + timedelta(minutes=5))
    assert report.verdict is Verdict.VALID, report.to_dict()
    # The checkpoint counts only for the head it names; a week on it is too old again.
    assert world.check(credential, now=day_later + timedelta(days=7)).verdict is (
        Verdict.COULD_NOT_CHECK
    )
