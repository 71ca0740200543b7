"""Deep nesting is refused before the C decoder recurses: in a thread with a small stack and a
raised recursion limit, where json.loads itself crashes the process (a pytest-xdist worker did,
on 100,000 levels), and with the same depth rule as the parsed value's."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.jsonio import _nests_deeper_than, deeper_than, depth_of

SMALL_STACK_PARSE = """
import sys
import threading
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_json

threading.stack_size(256 * 1024)
# A library (or a test runner) may raise the recursion limit; the refusal must not depend on it.
sys.setrecursionlimit(1_000_000)
out = []

def run():
    try:
        parse_json({text}, max_bytes=10_000_000)
        out.append("parsed")
    except MalformedError as exc:
        out.append(str(exc.code))

worker = threading.Thread(target=run)
worker.start()
worker.join()
print(out[0])
"""


def test_deep_nesting_is_refused_in_a_thread_with_a_small_stack() -> None:
    # The texts are built in the child: as arguments they would pass the OS's limit.
    for text in ('"[" * 100_000 + "]" * 100_000', """'{"a":' * 50_000 + "1" + "}" * 50_000"""):
        done = subprocess.run(
            [sys.executable, "-c", SMALL_STACK_PARSE.format(text=text)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "TOO_DEEP"


# Strings full of brackets, quotes and backslashes must not count as nesting.
tricky = st.text(alphabet='[]{}"\\ab', max_size=8)
values = st.recursive(
    st.none() | st.integers() | tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
    max_leaves=20,
)


@given(value=values, limit=st.integers(min_value=0, max_value=8))
@settings(max_examples=300)
def test_the_scan_agrees_with_the_parsed_depth(value: Any, limit: int) -> None:
    assert _nests_deeper_than(json.dumps(value), limit) == (depth_of(value) > limit)


class _Dict(dict):  # type: ignore[type-arg]
    """A dict subclass: a container to both walks, as a Mapping caller may pass one."""


# Python values as a library caller may pass them: subclasses of dict count as containers,
# tuples and sets do not (for both walks alike).
odd_values = st.recursive(
    st.none() | st.integers() | tricky,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(tricky, inner, max_size=3)
        | st.dictionaries(tricky, inner, max_size=2).map(_Dict)
        | st.lists(inner, max_size=2).map(tuple)
    ),
    max_leaves=30,
)


@given(value=odd_values, limit=st.integers(min_value=-1, max_value=12))
@settings(max_examples=300)
def test_the_bounded_walk_agrees_with_depth_of(value: Any, limit: int) -> None:
    assert deeper_than(value, limit) == (depth_of(value) > limit)


def _nested(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"a": value}
    return value


def test_the_bounded_walk_on_deep_values_and_large_limits() -> None:
    deep = _nested(200_000)  # far beyond the recursion limit: the walk must stop at the limit
    assert deeper_than(deep, 32)
    assert deeper_than(deep, 150)  # past the recursive limit it walks without recursion
    for levels in (31, 32, 33, 150, 151):
        value = _nested(levels)
        for limit in (31, 32, 150):
            assert deeper_than(value, limit) == (levels > limit)
