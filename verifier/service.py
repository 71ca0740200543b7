"""Verify credentials and offline bundles for the HTTP edge: plain functions, no FastAPI.

The request bodies follow the W3C VC-API ``POST /credentials/verify`` convention:
``{"verifiableCredential": {...}, "options": {...}}``, or ``{"offlineBundle": {...}, ...}`` for
an offline bundle (:func:`~vc_core.verification.check_bundle`). Of the options only ``asOf``
(a date-time: "was it valid then?") is read; the others, ``checks`` included, are accepted and
ignored, because every step of DESIGN §5 always runs.

Verification reads only the local replica (:func:`~vc_core.verification.check_credential`):
no registry, no issuer, no JSON-LD context is fetched while a request is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vc_core.canon import jcs
from vc_core.errors import MalformedError
from vc_core.ledger import LedgerReader
from vc_core.times import parse_instant
from vc_core.verification import (
    FreshnessPolicy,
    StepStatus,
    Verdict,
    VerificationReport,
    check_bundle,
    check_credential,
)

CREDENTIAL = "verifiableCredential"
BUNDLE = "offlineBundle"
SOURCE = "the verifier's replica"


@dataclass(frozen=True)
class Checker:
    """What every verification of this service is judged against."""

    reader: LedgerReader
    genesis_hash: str
    policy: FreshnessPolicy

    def credential(
        self, credential: Mapping[str, Any], *, now: datetime, as_of: datetime | None
    ) -> VerificationReport:
        return check_credential(
            credential, reader=self.reader, now=now, as_of=as_of, policy=self.policy, source=SOURCE
        )

    def bundle(
        self, bundle: Mapping[str, Any], *, now: datetime, as_of: datetime | None
    ) -> VerificationReport:
        # A bundle is signed data read by its own parser, which accepts only its RFC 8785
        # serialization; the body it came from was already within the request's size limit.
        return check_bundle(
            jcs(bundle), genesis_hash=self.genesis_hash, now=now, as_of=as_of, policy=self.policy
        )


def options_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The request's ``options`` object (absent: none)."""
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise MalformedError(
            "options must be a JSON object", code="OPTIONS_INVALID", field="options"
        )
    return options


def as_of_of(options: Mapping[str, Any]) -> datetime | None:
    """``options.asOf`` as an aware instant, or ``None``."""
    value = options.get("asOf")
    return None if value is None else parse_instant(value, field="options.asOf")


def _object(body: Mapping[str, Any], member: str) -> Mapping[str, Any]:
    value = body[member]
    if not isinstance(value, dict):
        raise MalformedError(f"{member} must be a JSON object", code="NOT_AN_OBJECT", field=member)
    return value


def verify(checker: Checker, body: Mapping[str, Any], *, now: datetime) -> VerificationReport:
    """Verify the credential or offline bundle of a ``POST /credentials/verify`` body.

    Raises:
        MalformedError: neither or both members, a member that is not an object, bad options.
    """
    given = [m for m in (CREDENTIAL, BUNDLE) if m in body]
    if len(given) != 1:
        raise MalformedError(
            f"send exactly one of {CREDENTIAL} or {BUNDLE}", code="CREDENTIAL_MISSING"
        )
    as_of = as_of_of(options_of(body))
    if given == [BUNDLE]:
        return checker.bundle(_object(body, BUNDLE), now=now, as_of=as_of)
    return checker.credential(_object(body, CREDENTIAL), now=now, as_of=as_of)


def verify_batch(
    checker: Checker, body: Mapping[str, Any], *, now: datetime, max_items: int
) -> list[VerificationReport | MalformedError]:
    """One report per credential of ``{"verifiableCredentials": [...], "options": {...}}``; an
    item that is not an object gets its refusal instead, so one bad item spoils no other.

    Raises:
        MalformedError: no list, more than ``max_items`` items, bad options.
    """
    items = body.get("verifiableCredentials")
    if not isinstance(items, list):
        raise MalformedError(
            "verifiableCredentials must be a JSON array",
            code="CREDENTIALS_MISSING",
            field="verifiableCredentials",
        )
    if len(items) > max_items:
        raise MalformedError(
            f"at most {max_items} credentials per batch; got {len(items)}",
            code="BATCH_TOO_LARGE",
            field="verifiableCredentials",
        )
    as_of = as_of_of(options_of(body))
    return [_batch_item(checker, item, now=now, as_of=as_of) for item in items]


def _batch_item(
    checker: Checker, item: Any, *, now: datetime, as_of: datetime | None
) -> VerificationReport | MalformedError:
    if not isinstance(item, dict):
        return MalformedError("each credential must be a JSON object", code="NOT_AN_OBJECT")
    return checker.credential(item, now=now, as_of=as_of)


def report_json(report: VerificationReport) -> dict[str, Any]:
    """The report as JSON, with ``verified`` for clients that read only that."""
    return {"verified": bool(report), **report.to_dict()}


def headline(report: VerificationReport) -> tuple[str | None, str]:
    """The code and message that best explain a report that is not valid (for a problem)."""
    order = (StepStatus.FAILED, StepStatus.COULD_NOT_CHECK, StepStatus.SKIPPED)
    if report.verdict is Verdict.COULD_NOT_CHECK:
        order = (StepStatus.COULD_NOT_CHECK, StepStatus.FAILED, StepStatus.SKIPPED)
    for status in order:
        for step in report.steps:
            if step.status is status:
                return step.code, f"step {int(step.step)} ({step.name}): {step.message}"
    return None, "verified"
