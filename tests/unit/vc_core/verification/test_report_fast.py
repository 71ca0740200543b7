"""The report's fast constructors build exactly what pydantic's validation builds.

``StepResult``'s constructors and ``VerificationReport.of`` skip validation for the values the
verification functions pass (report.py ``_trusted``); these tests compare the result with the
validated model and with ``model_construct``, field by field, the set fields and the JSON form
included, over every step, status and a spread of details and codes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.errors import RegistryError, StructureError
from vc_core.verification.codes import Step, StepCode, StepStatus, Verdict
from vc_core.verification.report import StepResult, VerificationReport, verdict_of

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _validated(result: StepResult) -> StepResult:
    return StepResult(**result.__dict__)


def _same(fast: Any, slow: Any) -> None:
    assert type(fast) is type(slow)
    assert fast == slow
    assert fast.__dict__ == slow.__dict__
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__


@pytest.mark.parametrize("step", list(Step), ids=lambda s: s.name)
def test_step_constructors_match_validation(step: Step) -> None:
    cases = [
        StepResult.ok(step, "fine", height=3, at=NOW),
        StepResult.failed(step, StepCode.REVOKED, "revoked: fraud", events=2),
        StepResult.failed(step, "SOME_CODE", "bad"),
        StepResult.from_error(step, StructureError("no", code="X_CODE", field="issuer")),
        StepResult.could_not_check(step, RegistryError("down", details={"url": "u"})),
        StepResult.unchecked(step, StepCode.REPLICA_TOO_OLD, "old", head_height=1),
        StepResult.skipped(step, "needs step 5"),
    ]
    for fast in cases:
        _same(fast, _validated(fast))
        _same(fast, StepResult.model_construct(**fast.__dict__))
        assert fast.name == step.title
        assert fast.code is None or type(fast.code) is str


def test_code_of_an_enum_is_a_plain_string() -> None:
    result = StepResult.failed(Step.STATUS, StepCode.REVOKED, "revoked")
    assert type(result.code) is str
    assert result.model_dump(mode="json")["code"] == "REVOKED"


def test_fresh_details_are_not_shared() -> None:
    first, second = StepResult.skipped(Step.PROOF, "a"), StepResult.skipped(Step.PROOF, "b")
    first.details["x"] = 1
    assert second.details == {}


_statuses = st.sampled_from(list(StepStatus))
_steps = st.lists(st.tuples(st.sampled_from(list(Step)), _statuses), max_size=12)


def _build(step: Step, status: StepStatus) -> StepResult:
    if status is StepStatus.OK:
        return StepResult.ok(step, "ok")
    if status is StepStatus.FAILED:
        return StepResult.failed(step, "F", "failed")
    if status is StepStatus.COULD_NOT_CHECK:
        return StepResult.unchecked(step, "U", "unchecked")
    return StepResult.skipped(step, "skipped")


def _reference_verdict(steps: tuple[StepResult, ...]) -> Verdict:
    # The rules of the module docstring, written as plainly as possible.
    from vc_core.verification.codes import CHAIN_STEPS

    fresh = all(r.status is StepStatus.OK for r in steps if r.step is Step.FRESHNESS)
    if any(r.status is StepStatus.FAILED and (fresh or r.step not in CHAIN_STEPS) for r in steps):
        return Verdict.INVALID
    if all(r.status is StepStatus.OK for r in steps):
        return Verdict.VALID
    return Verdict.COULD_NOT_CHECK


@given(_steps, st.booleans())
def test_report_of_matches_validation(pairs: list[tuple[Step, StepStatus]], full: bool) -> None:
    steps = [_build(step, status) for step, status in pairs]
    about: dict[str, Any] = {"checked_at": NOW, "as_of": NOW - timedelta(days=1)}
    if full:
        about |= {
            "credential_id": "urn:x",
            "credential_type": "PropertyDeedCredential",
            "region": "510104",
            "chain": {"source": "s", "height": 1, "hash": "ab", "time": NOW},
        }
    fast = VerificationReport.of(steps, **about)
    ordered = tuple(sorted(steps, key=lambda r: r.step))
    slow = VerificationReport(verdict=_reference_verdict(ordered), steps=ordered, **about)
    _same(fast, slow)
    assert verdict_of(ordered) is _reference_verdict(ordered)
    assert fast.to_dict() == slow.to_dict()


def test_report_defaults_are_not_shared() -> None:
    first = VerificationReport.of([], checked_at=NOW)
    second = VerificationReport.of([], checked_at=NOW)
    first.chain["x"] = 1
    assert second.chain == {}


def test_report_of_still_refuses_what_it_does_not_build() -> None:
    with pytest.raises(ValueError):
        VerificationReport.of([], checked_at="not a time", region=3)
    with pytest.raises(ValueError):
        VerificationReport.of([], as_of=NOW)  # checked_at is required
