"""Verify a credential against a chain reader or an offline bundle (DESIGN §5, steps 0–8).

(0) Parse and bound the input; its digest is the leaf the issuer anchored.
(1) Structure: VCDM 2.0, the type's JSON Schema, identifier check digits, the subject's region.
(2) Proof: every Data Integrity proof, keys resolved from the chain at the anchor time.
(3) Issuer key: each proof's key was an active key of the issuing office at the anchor time.
(4) Accreditation: for this type and region at the anchor time; not suspended at the check time.
(5) Anchor: the digest is in a batch anchored by the issuer (by the check time).
(6) Status: not revoked, suspended or superseded at the check time; encumbrances reported.
(7) Validity period: ``validFrom`` ≤ check time < ``validUntil``.
(8) Freshness: the chain view's head is no older than the policy accepts at ``now``.

The check time is ``as_of`` when given (a bank asking "was it valid on that day?"), else
``now``. Steps 2–4 need the anchor time, so step 5 runs first; a step whose input an earlier
step could not give is ``skipped``. Keys are judged with everything the chain knows now (a
compromise declared after ``as_of`` still counts: it is about who made the signature, not about
the credential's status). Verification reads no clock and opens no connection: the reader is
local (a replica, a memory ledger, the embedded ledger) or the bundle is in hand.

:func:`check_credential` and :func:`check_bundle` return a
:class:`~vc_core.verification.report.VerificationReport`; they raise only for a caller's
programming error (a naive ``now``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vc_core.anchoring import BundleError, OfflineBundle, ReceiptError, verify_bundle
from vc_core.errors import MalformedError
from vc_core.ledger import AnchorBody, LedgerReader
from vc_core.verification.chain import AnchorFact, BundleView, ChainView, ReaderView, ViewHead
from vc_core.verification.codes import Step, StepStatus
from vc_core.verification.document import Parsed, Subject, parse_step, structure_step, validity_step
from vc_core.verification.report import StepResult, VerificationReport
from vc_core.verification.steps import (
    FreshnessPolicy,
    accreditation_step,
    anchor_step,
    freshness_step,
    issuer_key_step,
    proof_step,
    status_step,
)

_ANCHOR_NEEDED = "needs the anchor time (step 5)"
DEFAULT_POLICY = FreshnessPolicy()


def _check_times(now: datetime, as_of: datetime | None) -> StepResult | None:
    if now.tzinfo is None or (as_of is not None and as_of.tzinfo is None):
        raise ValueError("now and as_of must be timezone-aware")
    if as_of is not None and as_of > now:
        message = f"as_of {as_of.isoformat()} is later than now ({now.isoformat()})"
        return StepResult.failed(Step.PARSE, "AS_OF_IN_FUTURE", message)
    return None


def _skip_all(first: StepResult, **about: Any) -> VerificationReport:
    rest = [
        StepResult.skipped(s, "the input was refused (step 0)") for s in Step if s != Step.PARSE
    ]
    return VerificationReport.of([first, *rest], **about)


def _chain_steps(
    view: ChainView,
    parsed: Parsed,
    subject: Subject | None,
    anchor: AnchorFact,
    *,
    now: datetime,
    at: datetime,
    head: ViewHead | None,
) -> list[StepResult]:
    key = issuer_key_step(view, parsed.document, anchor)
    if key.status is StepStatus.OK:
        proof = proof_step(view, parsed.document, anchor, now, unsecured_jcs=parsed.unsecured_jcs)
    else:
        proof = StepResult.skipped(Step.PROOF, "needs a key active at the anchor time (step 3)")
    if subject is None:
        return [
            key,
            proof,
            StepResult.skipped(Step.ACCREDITATION, "needs the credential's structure (step 1)"),
            StepResult.skipped(Step.STATUS, "needs the credential's structure (step 1)"),
        ]
    status_at = at if head is None else min(at, head.time)
    return [
        key,
        proof,
        accreditation_step(view, subject, anchor, at),
        status_step(view, subject, anchor.office, status_at),
    ]


def run_steps(
    credential: Mapping[str, Any] | str | bytes,
    view: ChainView,
    *,
    now: datetime,
    as_of: datetime | None = None,
    policy: FreshnessPolicy = DEFAULT_POLICY,
) -> VerificationReport:
    """Steps 0–8 over any :class:`~vc_core.verification.chain.ChainView` (module docstring)."""
    about: dict[str, Any] = {"checked_at": now, "as_of": as_of}
    refused = _check_times(now, as_of)
    parse, parsed = parse_step(credential)
    if refused is not None or parsed is None:
        return _skip_all(refused or parse, **about)
    at = as_of or now
    structure, subject = structure_step(parsed.document, at, canonical=parsed.canonical)
    fresh, head = freshness_step(view, policy, now)
    issuer = subject.issuer if subject is not None else None
    anchor_result, anchor = anchor_step(view, parsed.digest, issuer, at)
    results = [parse, structure, anchor_result, fresh]
    if anchor is None:
        results += [StepResult.skipped(Step(s), _ANCHOR_NEEDED) for s in (2, 3, 4, 6)]
    else:
        results += _chain_steps(view, parsed, subject, anchor, now=now, at=at, head=head)
    if subject is None:
        results.append(
            StepResult.skipped(Step.VALIDITY_PERIOD, "needs the credential's structure (step 1)")
        )
    else:
        results.append(validity_step(subject, at))
    about.update(_about(parsed, subject, head))
    return VerificationReport.of(results, **about)


def _about(parsed: Parsed, subject: Subject | None, head: ViewHead | None) -> dict[str, Any]:
    ident = parsed.document.get("id")
    chain: dict[str, Any] = {}
    if head is not None:
        chain = {"source": head.source, "height": head.height, "hash": head.hash, "time": head.time}
    return {
        "credential_id": ident if isinstance(ident, str) else None,
        "credential_type": subject.credential_type if subject is not None else None,
        "region": subject.region if subject is not None else None,
        "chain": chain,
    }


def check_credential(
    credential: Mapping[str, Any] | str | bytes,
    *,
    reader: LedgerReader,
    now: datetime,
    as_of: datetime | None = None,
    policy: FreshnessPolicy = DEFAULT_POLICY,
    source: str = "the chain reader",
) -> VerificationReport:
    """Verify a credential (a JSON object, or its JSON text) against a chain reader."""
    view = ReaderView(reader, source=source)
    return run_steps(credential, view, now=now, as_of=as_of, policy=policy)


def check_bundle(
    bundle: OfflineBundle | str | bytes,
    *,
    genesis_hash: str,
    now: datetime,
    as_of: datetime | None = None,
    policy: FreshnessPolicy = DEFAULT_POLICY,
) -> VerificationReport:
    """Verify an offline bundle's credential against the bundle's own chain facts, trusting only
    ``genesis_hash``; the answers are as of the bundle's checkpoint (see
    :mod:`vc_core.anchoring.bundle` for what a bundle cannot prove)."""
    about: dict[str, Any] = {"checked_at": now, "as_of": as_of}
    try:
        parsed = bundle if isinstance(bundle, OfflineBundle) else OfflineBundle.from_json(bundle)
    except MalformedError as exc:
        return _skip_all(StepResult.from_error(Step.PARSE, exc), **about)
    try:
        facts = verify_bundle(parsed, genesis_hash=genesis_hash)
    except (BundleError, ReceiptError) as exc:
        return _bundle_refused(parsed, exc, now=now, as_of=as_of)
    receipt = parsed.receipt
    body = receipt.anchor_tx.body
    anchor = AnchorFact(
        office=facts.office,
        time=facts.anchored_at,
        batch_id=body.batch_id if isinstance(body, AnchorBody) else "",
        batch_root=receipt.batch_root,
        tx_hash=receipt.anchor_tx.hash,
        leaf_index=receipt.leaf_index,
    )
    view = BundleView(facts, receipt.leaf, anchor=anchor)
    return run_steps(parsed.credential, view, now=now, as_of=as_of, policy=policy)


def _bundle_refused(
    bundle: OfflineBundle,
    error: BundleError | ReceiptError,
    *,
    now: datetime,
    as_of: datetime | None,
) -> VerificationReport:
    """The bundle's chain facts do not hold together, so they prove nothing about the
    credential either way (it may still stand on the real chain): the anchor step could not
    check, with the bundle's code; the credential's own steps still run and may fail it."""
    about: dict[str, Any] = {"checked_at": now, "as_of": as_of}
    parse, parsed = parse_step(bundle.credential)
    if parsed is None:
        return _skip_all(parse, **about)
    at = as_of or now
    structure, subject = structure_step(parsed.document, at)
    results = [parse, structure, StepResult.unchecked(Step.ANCHOR, error.code, error.message)]
    results += [
        StepResult.skipped(Step(s), "needs the bundle's chain facts") for s in (2, 3, 4, 6, 8)
    ]
    results.append(
        validity_step(subject, at)
        if subject is not None
        else StepResult.skipped(Step.VALIDITY_PERIOD, "needs the credential's structure (step 1)")
    )
    return VerificationReport.of(results, **about)
