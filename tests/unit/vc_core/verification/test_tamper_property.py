"""No change to an anchored, valid deed is ever "valid": whatever value hypothesis alters,
adds or removes, some step fails (usually the anchor, whose digest covers every byte)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vc_core.verification import Verdict


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a scalar in a JSON value."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _set(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(document)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return out


_SCALARS = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none(), st.just(""))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_altered_value_is_never_valid(memory_world: Any, data: st.DataObject) -> None:
    if not hasattr(memory_world, "credential"):
        memory_world.credential = memory_world.issued(suite="eddsa-jcs-2022")
        assert memory_world.check(memory_world.credential).verdict is Verdict.VALID
    original = memory_world.credential
    path = data.draw(st.sampled_from(_paths(original)))
    new = data.draw(_SCALARS.filter(lambda v: v != _get(original, path)))
    altered = _set(original, path, new)
    report = memory_world.check(altered)
    assert report.verdict is not Verdict.VALID, (path, new)
    assert report.codes, "a verdict other than valid names what failed"


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_added_or_removed_property_is_never_valid(
    memory_world: Any, data: st.DataObject
) -> None:
    if not hasattr(memory_world, "credential"):
        memory_world.credential = memory_world.issued(suite="eddsa-rdfc-2022")
    original = memory_world.credential
    altered = copy.deepcopy(original)
    if data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(k for k in original if k != "@context")))
        del altered[key]
    else:
        name = data.draw(st.text(min_size=1, max_size=6).filter(lambda k: k not in original))
        altered[name] = data.draw(_SCALARS)
    assert memory_world.check(altered).verdict is not Verdict.VALID


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document
