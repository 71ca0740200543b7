"""The verification report: one typed result per step and the overall verdict (DESIGN §5).

A :class:`StepResult` says how one step ended (``ok``, ``failed``, ``could_not_check`` or
``skipped``), with a stable ``code`` when it did not end ``ok``, a plain-language message and
JSON-ready details. :func:`verdict_of` folds the steps into the verdict:

- any final failure → ``invalid``;
- otherwise any step that could not check, or was skipped → ``could_not_check``;
- otherwise (every step ``ok``) → ``valid``.

A failure of a chain step (:data:`~vc_core.verification.codes.CHAIN_STEPS`) is final only when
the freshness step passed: an older chain view than the policy accepts may lack the very fact
(an anchor, a key, a reinstatement) that would change it, so the answer is "could not check".

Example:
    >>> steps = (StepResult.ok(Step.PARSE, "a JSON object"),)
    >>> verdict_of(steps).value
    'valid'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from vc_core.errors import RegistryError, VCError, VerificationError
from vc_core.verification.codes import CHAIN_STEPS, Step, StepCode, StepStatus, Verdict
from vc_core.verification.records import step_record, trusted

_EXIT_CODES = {Verdict.VALID: 0, Verdict.INVALID: 1, Verdict.COULD_NOT_CHECK: 3}
_TITLES = {step: step.title for step in Step}
# Enum members read once: looking one up on its class costs as much as the rest of a test.
_OK, _FAILED, _SKIPPED = StepStatus.OK, StepStatus.FAILED, StepStatus.SKIPPED
_FRESHNESS = Step.FRESHNESS


_Model = TypeVar("_Model", bound=BaseModel)


def _trusted(cls: type[_Model], values: dict[str, Any], fields_set: set[str]) -> _Model:
    """What ``cls.model_construct(**values)`` makes when ``values`` names every field (see
    :func:`.records.trusted`, compiled)."""
    model: _Model = trusted(cls, values, fields_set)
    return model


class StepResult(BaseModel):
    """How one numbered step ended."""

    model_config = ConfigDict(frozen=True)

    step: Step
    name: str
    status: StepStatus
    code: str | None = None
    message: str
    details: dict[str, Any] = {}

    @classmethod
    def _built(
        cls,
        step: Step,
        status: StepStatus,
        message: str,
        details: dict[str, Any],
        code: str | None = None,
    ) -> StepResult:
        # Every constructor below passes values of the declared types (a Step, a StepStatus,
        # str), so pydantic's validation of them would only cost time: .records builds the
        # record as model_construct would (tests/unit/vc_core/verification/test_report_fast.py).
        # ok, failed and skipped, the common ones, call it directly: one Python frame less each.
        built: StepResult = step_record(
            cls, step, _TITLES[step], status, message=message, details=details, code=code
        )
        return built

    @classmethod
    def ok(cls, step: Step, message: str, **details: Any) -> StepResult:
        built: StepResult = step_record(
            cls, step, _TITLES[step], _OK, message=message, details=details, code=None
        )
        return built

    @classmethod
    def failed(cls, step: Step, code: str, message: str, **details: Any) -> StepResult:
        built: StepResult = step_record(
            cls, step, _TITLES[step], _FAILED, message=message, details=details, code=code
        )
        return built

    @classmethod
    def from_error(cls, step: Step, error: VCError) -> StepResult:
        """A failed step from a verification error, keeping its code, field and details."""
        details = dict(error.details)
        if error.field:
            details["field"] = error.field
        return cls.failed(step, error.code, error.message, **details)

    @classmethod
    def could_not_check(cls, step: Step, error: VCError) -> StepResult:
        """The step could not run: its source failed (a RegistryError, "could not check")."""
        return cls._built(
            step, StepStatus.COULD_NOT_CHECK, error.message, dict(error.details), error.code
        )

    @classmethod
    def unchecked(cls, step: Step, code: str, message: str, **details: Any) -> StepResult:
        """The step could not reach a definite answer for a reason of its own (e.g. a stale
        chain view)."""
        return cls._built(step, StepStatus.COULD_NOT_CHECK, message, details, code)

    @classmethod
    def skipped(cls, step: Step, because: str) -> StepResult:
        """The step needs what an earlier step could not give."""
        built: StepResult = step_record(
            cls, step, _TITLES[step], _SKIPPED, message=because, details={}, code=None
        )
        return built


def verdict_of(steps: Sequence[StepResult]) -> Verdict:
    """The overall verdict of the steps (rules: module docstring)."""
    fresh = True
    all_ok = True
    for r in steps:
        if r.status is not _OK:
            all_ok = False
            if r.step is _FRESHNESS:
                fresh = False
    for r in steps:
        if r.status is _FAILED and (fresh or r.step not in CHAIN_STEPS):
            return Verdict.INVALID
    return Verdict.VALID if all_ok else Verdict.COULD_NOT_CHECK


class VerificationReport(BaseModel):
    """The report of one verification: every step, the verdict, and what it was checked against.

    True only when the verdict is ``valid``.
    """

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    steps: tuple[StepResult, ...]
    checked_at: datetime
    as_of: datetime | None = None
    credential_id: str | None = None
    credential_type: str | None = None
    # The subject's administrative division code (GB/T 2260), so a reader can name the region.
    region: str | None = None
    chain: dict[str, Any] = {}

    @classmethod
    def of(cls, steps: Sequence[StepResult], **about: Any) -> VerificationReport:
        """The report of ``steps``; ``about`` holds the other fields, of their declared types
        (the verification functions build them), so they are not validated again."""
        ordered = tuple(sorted(steps, key=_STEP_OF))
        if about.keys() - _ABOUT or not isinstance(about.get("checked_at"), datetime):
            # Not what the verification functions pass: let pydantic judge (and refuse) it.
            return cls(verdict=verdict_of(ordered), steps=ordered, **about)
        values = {
            "verdict": verdict_of(ordered),
            "steps": ordered,
            "as_of": None,
            "credential_id": None,
            "credential_type": None,
            "region": None,
            "chain": {},
            **about,
        }
        return _trusted(cls, values, {"verdict", "steps", *about})

    def __bool__(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def malformed(self) -> bool:
        """The input was refused at step 0 (a CLI exits 2, an HTTP edge answers 400)."""
        return any(r.step is Step.PARSE and r.status is StepStatus.FAILED for r in self.steps)

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid, 2 malformed, 3 could not check (the CLI's contract)."""
        return 2 if self.malformed else _EXIT_CODES[self.verdict]

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of every step that did not end ``ok``, in step order."""
        return tuple(r.code for r in self.steps if r.code is not None)

    def step(self, step: Step) -> StepResult:
        """The result of one step."""
        return next(r for r in self.steps if r.step is step)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return out


_STEP_OF = attrgetter("step")
# The report's fields besides the verdict and the steps.
_ABOUT = frozenset(VerificationReport.model_fields) - {"verdict", "steps"}


class CredentialInvalidError(VerificationError):
    """A credential's verification ended ``invalid``; ``report`` holds every step."""

    default_code = "CREDENTIAL_INVALID"

    def __init__(self, report: VerificationReport) -> None:
        first = next(r for r in report.steps if r.status is StepStatus.FAILED)
        super().__init__(
            f"step {int(first.step)} ({first.name}): {first.message}",
            code=first.code,
            details={"report": report.to_dict()},
        )
        self.report = report


class CouldNotCheckError(RegistryError):
    """A credential's verification could not reach an answer; ``report`` holds every step."""

    default_code = "COULD_NOT_CHECK"

    def __init__(self, report: VerificationReport) -> None:
        # What could not be checked explains the verdict better than a failure it made not final.
        unchecked = [r for r in report.steps if r.status is StepStatus.COULD_NOT_CHECK]
        first = (unchecked or [r for r in report.steps if r.status is not StepStatus.OK])[0]
        super().__init__(
            f"step {int(first.step)} ({first.name}): {first.message}",
            code=first.code,
            details={"report": report.to_dict()},
        )
        self.report = report


def raise_for_verdict(report: VerificationReport) -> VerificationReport:
    """Return a ``valid`` report; raise :class:`CredentialInvalidError` (a malformed input's
    step 0 failure included) or :class:`CouldNotCheckError` otherwise — the "verify raises,
    never returns a bool" flavour (STYLE 3)."""
    if report.verdict is Verdict.INVALID:
        raise CredentialInvalidError(report)
    if report.verdict is Verdict.COULD_NOT_CHECK:
        raise CouldNotCheckError(report)
    return report


__all__ = [
    "CouldNotCheckError",
    "CredentialInvalidError",
    "StepCode",
    "StepResult",
    "VerificationReport",
    "raise_for_verdict",
    "verdict_of",
]
