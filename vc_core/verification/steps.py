"""The chain steps: (2) proof, (3) issuer key, (4) accreditation, (5) anchor, (6) status and
(8) freshness, each a small function over a :class:`~vc_core.verification.chain.ChainView`.

Steps 2–4 are judged at the **anchor time** — the block time of the batch that holds the
credential's digest — because that is the latest moment the chain proves the credential existed
(DESIGN §5 step 3): a key retired or declared compromised after it does not undo the credential.
Status (6) is judged at the check time (``as_of``, else ``now``), but never later than the
view's head, which is as far as any chain view can speak; step 8 judges whether that head is
recent enough. A view that could not answer makes its step ``could_not_check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.dataintegrity import check_proofs
from vc_core.did_ecert import DID_ECERT_PREFIX
from vc_core.errors import RegistryError
from vc_core.ledger.records import Accreditation, KeyRecord
from vc_core.verification.chain import AnchorFact, ChainView, ViewHead
from vc_core.verification.codes import Step, StepCode
from vc_core.verification.document import Subject
from vc_core.verification.report import StepResult


@dataclass(frozen=True)
class FreshnessPolicy:
    """The oldest chain head this deployment accepts: ``max_age`` before ``now`` (step 8).

    A bank might accept 15 minutes; a wallet showing a credential offline, days.
    """

    max_age: timedelta = timedelta(minutes=15)

    def oldest(self, now: datetime) -> datetime:
        return now - self.max_age


def freshness_step(
    view: ChainView, policy: FreshnessPolicy, now: datetime
) -> tuple[StepResult, ViewHead | None]:
    """(8) The view's head is no older than the policy allows at ``now``."""
    try:
        head = view.head()
    except RegistryError as exc:
        return StepResult.could_not_check(Step.FRESHNESS, exc), None
    oldest = policy.oldest(now)
    about = {"head_time": head.time, "head_height": head.height, "oldest_accepted": oldest}
    if head.time < oldest:
        message = (
            f"{head.source} is as of {head.time.isoformat()}, older than this deployment accepts "
            f"({oldest.isoformat()}); sync it, or check again when the registry is reachable"
        )
        return StepResult.unchecked(
            Step.FRESHNESS, StepCode.REPLICA_TOO_OLD, message, **about
        ), head
    return StepResult.ok(
        Step.FRESHNESS, f"{head.source} is as of {head.time.isoformat()}", **about
    ), head


def anchor_step(
    view: ChainView, digest: str, issuer: str | None, at: datetime
) -> tuple[StepResult, AnchorFact | None]:
    """(5) The credential's digest is in a batch anchored on chain by its issuer, by ``at``.

    An issuer of another ecert chain is one this view cannot speak for: "could not check",
    never "invalid" (nor "valid").
    """
    try:
        other = _other_chain(view, issuer)
        found = None if other is not None else view.anchor(digest)
    except RegistryError as exc:
        return StepResult.could_not_check(Step.ANCHOR, exc), None
    if other is not None:
        message = (
            f"the issuer is an office of chain {other!r}; this check follows {view.chain_id!r}"
        )
        code = StepCode.ISSUER_ON_OTHER_CHAIN
        return StepResult.unchecked(Step.ANCHOR, code, message, issuer_chain=other), None
    if found is None:
        message = "no batch on the chain holds this credential's digest (not anchored, or altered)"
        return StepResult.failed(
            Step.ANCHOR, StepCode.ANCHOR_NOT_FOUND, message, digest=digest
        ), None
    about: dict[str, Any] = {
        "office": found.office,
        "anchored_at": found.time,
        "batch_id": found.batch_id,
        "batch_root": found.batch_root,
        "tx_hash": found.tx_hash,
        "leaf_index": found.leaf_index,
    }
    if issuer is not None and found.office != issuer:
        message = f"anchored by {found.office}, not by the issuer {issuer}"
        return StepResult.failed(Step.ANCHOR, StepCode.ANCHOR_NOT_BY_ISSUER, message, **about), None
    if found.time > at:
        message = f"anchored at {found.time.isoformat()}, after {at.isoformat()}"
        return StepResult.failed(
            Step.ANCHOR, StepCode.ANCHORED_AFTER_AS_OF, message, **about
        ), found
    message = f"anchored by {found.office} at {found.time.isoformat()} in batch {found.batch_id}"
    return StepResult.ok(Step.ANCHOR, message, **about), found


def _other_chain(view: ChainView, issuer: str | None) -> str | None:
    """The chain id a ``did:ecert`` issuer names, when it is not the view's."""
    if issuer is None or not issuer.startswith(DID_ECERT_PREFIX):
        return None
    chain = issuer[len(DID_ECERT_PREFIX) :].partition(":")[0]
    return chain if chain != view.chain_id else None


def _verification_methods(document: Mapping[str, Any]) -> list[str]:
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    return [
        p["verificationMethod"]
        for p in proofs
        if isinstance(p, dict) and isinstance(p.get("verificationMethod"), str)
    ]


def _key_window(record: KeyRecord) -> dict[str, Any]:
    return {
        "added_at": record.added_at,
        "retired_at": record.retired_at,
        "compromised_since": record.compromised_since,
    }


def _check_key(view: ChainView, vm: str, anchor: AnchorFact) -> StepResult | None:
    did, _, fragment = vm.partition("#")
    if not did.startswith(DID_ECERT_PREFIX) or not fragment:
        message = f"{vm} is not a did:ecert key, so the chain cannot vouch for it"
        return StepResult.failed(Step.ISSUER_KEY, StepCode.KEY_NOT_ON_CHAIN, message, key=vm)
    record = view.key(fragment)
    if record is None or record.office != anchor.office or did != anchor.office:
        message = f"{vm} is not a key the chain records for {anchor.office}"
        return StepResult.failed(Step.ISSUER_KEY, StepCode.KEY_NOT_OF_ISSUER, message, key=vm)
    state = record.state_at(anchor.time)
    if state != "active":
        message = (
            f"the signing key was {state.replace('_', ' ')} at the anchor time "
            f"{anchor.time.isoformat()}"
        )
        code = StepCode.KEY_NOT_ACTIVE_AT_ANCHOR_TIME
        return StepResult.failed(
            Step.ISSUER_KEY, code, message, key=vm, state=state, **_key_window(record)
        )
    return None


def issuer_key_step(view: ChainView, document: Mapping[str, Any], anchor: AnchorFact) -> StepResult:
    """(3) Every proof's verification method was an active key of the issuing office at the
    anchor time; a key compromised since T invalidates only credentials anchored at or after T."""
    methods = _verification_methods(document)
    if not methods:
        message = "no proof names a verification method"
        return StepResult.failed(Step.ISSUER_KEY, StepCode.KEY_NOT_ON_CHAIN, message)
    try:
        for vm in methods:
            failure = _check_key(view, vm, anchor)
            if failure is not None:
                return failure
    except RegistryError as exc:
        return StepResult.could_not_check(Step.ISSUER_KEY, exc)
    message = f"signed with a key of {anchor.office} active at {anchor.time.isoformat()}"
    return StepResult.ok(Step.ISSUER_KEY, message, keys=methods)


def proof_step(
    view: ChainView,
    document: Mapping[str, Any],
    anchor: AnchorFact,
    now: datetime,
    *,
    unsecured_jcs: bytes | None = None,
) -> StepResult:
    """(2) Every Data Integrity proof verifies (VC-DI 1.0 §4.4, fail closed at ``now``), each
    key resolved from the chain as it stood at the anchor time.

    ``unsecured_jcs`` is step 0's JCS of ``document`` without its proof
    (:attr:`~vc_core.verification.document.Parsed.unsecured_jcs`), if it made one.
    """
    report = check_proofs(
        document, now=now, resolver=view.resolver(anchor.time), unsecured_jcs=unsecured_jcs
    )
    proofs = [
        {"cryptosuite": r.cryptosuite, "verification_method": r.verification_method}
        for r in report.results
    ]
    if report:
        suites = ", ".join(sorted({str(p["cryptosuite"]) for p in proofs}))
        return StepResult.ok(Step.PROOF, f"{len(proofs)} proof(s) verify ({suites})", proofs=proofs)
    definite = [e for e in report.errors if not isinstance(e, RegistryError)]
    if definite:
        return StepResult.from_error(Step.PROOF, definite[0])
    return StepResult.could_not_check(Step.PROOF, report.errors[0])


def _scope_failure(terms: Accreditation, subject: Subject) -> StepResult | None:
    type_name, region = str(subject.credential_type), str(subject.region)
    prefixes = [
        p for s in terms.scopes if s.credential_type == type_name for p in s.division_prefixes
    ]
    if not prefixes:
        message = f"{terms.office} was not accredited for {type_name} at the anchor time"
        allowed = sorted({s.credential_type for s in terms.scopes})
        code = StepCode.ISSUER_NOT_ACCREDITED_FOR_TYPE
        return StepResult.failed(Step.ACCREDITATION, code, message, accredited_types=allowed)
    if not terms.covers(type_name, region):
        message = f"the subject's region {region} is outside {terms.office}'s jurisdiction"
        code = StepCode.ISSUER_OUT_OF_JURISDICTION
        return StepResult.failed(
            Step.ACCREDITATION, code, message, region=region, division_prefixes=prefixes
        )
    return None


def _at_anchor(found: Accreditation | None, office: str, anchor: AnchorFact) -> StepResult | None:
    when = anchor.time.isoformat()
    if found is None or found.state == "withdrawn" or not found.in_window(anchor.time):
        message = f"{office} was not accredited at the anchor time {when}"
        return StepResult.failed(Step.ACCREDITATION, StepCode.ISSUER_NOT_ACCREDITED, message)
    if found.state == "suspended":
        message = f"{office} was suspended at the anchor time {when}: {found.reason}"
        return StepResult.failed(Step.ACCREDITATION, StepCode.ISSUER_SUSPENDED, message)
    return None


def accreditation_step(
    view: ChainView, subject: Subject, anchor: AnchorFact, at: datetime
) -> StepResult:
    """(4) The office was accredited, active and in its window at the anchor time, for this
    credential type and a division prefix of the subject's region; and it is not suspended at
    the check time ``at``.

    A suspension means the council doubts the office, so its credentials are not accepted while
    it lasts (checked ``as_of`` a date before it, they are). A withdrawal ends the office's
    issuing but leaves what it issued while accredited standing.
    """
    if subject.credential_type is None or subject.region is None:
        return StepResult.skipped(
            Step.ACCREDITATION, "needs the credential's type and region (step 1)"
        )
    office = anchor.office
    try:
        then = view.accreditation(office, anchor.time)
        later = view.accreditation(office, at)
    except RegistryError as exc:
        return StepResult.could_not_check(Step.ACCREDITATION, exc)
    failure = _at_anchor(then, office, anchor)
    if failure is None and then is not None:
        failure = _scope_failure(then, subject)
    if failure is not None:
        return failure
    if later is not None and later.state == "suspended":
        message = f"{office} is suspended since {later.changed_at.isoformat()}: {later.reason}"
        return StepResult.failed(
            Step.ACCREDITATION,
            StepCode.ISSUER_SUSPENDED,
            message,
            suspended_at=later.changed_at,
            reason=later.reason,
        )
    message = (
        f"{office} was accredited for {subject.credential_type} in region {subject.region} "
        "at the anchor time"
    )
    return StepResult.ok(Step.ACCREDITATION, message, region=subject.region)


def status_step(view: ChainView, subject: Subject, office: str, at: datetime) -> StepResult:
    """(6) Not revoked, suspended or superseded as of ``at`` (the successor is named);
    encumbrances are reported whatever the outcome."""
    if subject.credential_id is None and subject.status_index is None:
        message = "the credential has no id and no status entry, so no status event can name it"
        return StepResult.ok(Step.STATUS, message)
    try:
        status = view.status(office, subject.credential_id, subject.status_index, at)
    except RegistryError as exc:
        return StepResult.could_not_check(Step.STATUS, exc)
    about: dict[str, Any] = {
        "as_of": at,
        "events": len(status.history),
        "encumbrances": [e.model_dump(mode="json") for e in status.encumbrances],
    }
    if status.revoked:
        message = f"revoked: {status.revocation_reason}"
        return StepResult.failed(Step.STATUS, StepCode.REVOKED, message, **about)
    if status.suspended:
        until = status.suspended_until.isoformat() if status.suspended_until else "further notice"
        message = f"suspended until {until}: {status.suspension_reason}"
        return StepResult.failed(
            Step.STATUS,
            StepCode.SUSPENDED,
            message,
            suspended_until=status.suspended_until,
            **about,
        )
    if status.superseded_by:
        message = f"superseded by {status.superseded_by}"
        return StepResult.failed(
            Step.STATUS, StepCode.SUPERSEDED, message, successor=status.superseded_by, **about
        )
    count = len(status.encumbrances)
    extra = f"; {count} encumbrance(s) recorded" if count else ""
    return StepResult.ok(Step.STATUS, f"in force as of {at.isoformat()}{extra}", **about)
