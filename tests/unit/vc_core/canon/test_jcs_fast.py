"""The fast JCS path against ``rfc8785``: the same bytes, or the same kind of error.

Differential: arbitrary JSON values (unicode incl. lone surrogates and control characters, big
integers, floats, non-ASCII and non-string keys, tuples, deep nesting) through
:func:`vc_core.canon.jcs.jcs` and through ``rfc8785.dumps``. CI runs 2,000 examples (``CI``
set); a developer run does 200.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon.jcs import (
    _dumps_orjson,
    _dumps_stdlib,
    _fast,
    _plain,
    jcs,
    jcs_secured,
    plain_within,
)
from vc_core.errors import MalformedError
from vc_core.jsonio import deeper_than

EXAMPLES = 2000 if os.environ.get("CI") else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None)

# Every code point, surrogates included, and extra weight on what JSON escapes.
ANY_CHAR = st.characters(codec=None, categories=None)
TRICKY_CHAR = st.sampled_from(['"', "\\", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f"])
TEXT = st.text(st.one_of(ANY_CHAR, TRICKY_CHAR, st.sampled_from(["é", "€", "😀", "\ud800"])))
ASCII_TEXT = st.text(st.characters(max_codepoint=127))
KEYS = st.one_of(ASCII_TEXT, TEXT)
ODD_KEYS = st.one_of(st.integers(), st.booleans(), st.none(), st.floats())
SAFE = 2**53 - 1
INTS = st.one_of(
    st.integers(),
    st.integers(min_value=-SAFE - 2, max_value=-SAFE + 2),
    st.integers(min_value=SAFE - 2, max_value=SAFE + 2),
    st.integers(min_value=2**63, max_value=2**70),
)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, st.floats(), TEXT, ASCII_TEXT)


def _nest(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(KEYS, children, max_size=5),
        st.dictionaries(ASCII_TEXT, children, max_size=5),
        st.dictionaries(ODD_KEYS, children, max_size=2),  # type: ignore[arg-type]
    )


VALUES = st.recursive(SCALARS, _nest, max_leaves=30)
# Names within the Basic Multilingual Plane (surrogates included, which the fast path hands
# back), with weight on where UTF-16 order and code-point order would part: U+E000–U+FFFF.
BMP_TEXT = st.text(
    st.one_of(
        st.characters(max_codepoint=0xFFFF, codec=None, categories=None),
        st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF, codec=None, categories=None),
    )
)
# Values that hold only what the fast path takes (so most examples exercise it).
PLAIN = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-SAFE, max_value=SAFE),
        TEXT,
        ASCII_TEXT,
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=5),
        st.dictionaries(ASCII_TEXT, c, max_size=5),
        st.dictionaries(BMP_TEXT, c, max_size=5),
    ),
    max_leaves=40,
)


class _NoDouble(Exception):
    pass


def _doubles(value: Any) -> Any:
    """RFC 8785 §3.2.2.3: a JSON number is a double; an integer is the double equal to it."""
    if type(value) is dict:
        return {k: _doubles(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [_doubles(v) for v in value]
    if type(value) is int and abs(value) > SAFE:
        try:
            if int(float(value)) == value:
                return float(value)
        except OverflowError:
            pass
        raise _NoDouble
    return value


def _reference(value: Any) -> bytes | type[BaseException]:
    try:
        return bytes(rfc8785.dumps(_doubles(value)))
    except (rfc8785.CanonicalizationError, TypeError, ValueError, _NoDouble):
        return MalformedError


def _ours(value: Any) -> bytes | type[BaseException]:
    try:
        return jcs(value)
    except MalformedError:
        return MalformedError


@SETTINGS
@given(VALUES)
def test_arbitrary_values_give_the_reference_outcome(value: Any) -> None:
    assert _ours(value) == _reference(value)


@SETTINGS
@given(PLAIN)
def test_plain_values_take_the_fast_path_with_the_reference_bytes(value: Any) -> None:
    fast = _fast(value)
    expected = _reference(value)
    if fast is None:
        # Only a lone surrogate sends a plain value to rfc8785, which refuses it.
        assert expected is MalformedError
    else:
        assert fast == expected


@pytest.mark.parametrize(
    "value",
    [
        "\ud800",
        {"a": "x\udfff"},
        {"\ud800": 1},
        2**53 + 1,
        -(2**53) - 1,
        [float("nan")],
        {"a": float("inf")},
        {1: "non-string key"},
        {None: 1},
        {"a": object()},
        b"bytes",
    ],
    # An object's repr holds its address, which differs between test processes (pytest -n).
    ids=lambda value: repr(value).split(" at 0x")[0],
)
def test_what_jcs_cannot_carry_raises_malformed(value: Any) -> None:
    with pytest.raises(MalformedError):
        jcs(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, False, None]}, b'{"a":[true,false,null],"b":1}'),
        ("\u2028\x7f\x1f", '"\u2028\x7f\\u001f"'.encode()),
        ({"é": 1, "z": 2, "\U0001f600": 3, "\ufb01": 4}, None),
        ([1.0, 1e21, 5e-7, -0.0], b"[1,1e+21,5e-7,0]"),
        ((1, "t"), b'[1,"t"]'),
        (SAFE, b"9007199254740991"),
    ],
    ids=repr,
)
def test_known_values(value: Any, expected: bytes | None) -> None:
    assert jcs(value) == (expected if expected is not None else rfc8785.dumps(value))


@SETTINGS
@given(st.dictionaries(st.one_of(BMP_TEXT, KEYS), VALUES, max_size=6))
def test_bmp_names_sort_as_the_reference_sorts_them(value: dict[Any, Any]) -> None:
    # Names from U+E000–U+FFFF beside astral ones are where code-point order and UTF-16 order
    # part; the fast path takes only names within the BMP, and must agree with rfc8785.
    assert _ours(value) == _reference(value)


# Names around "proof" in both orders, and ones that could be mistaken for its member.
NEAR_PROOF = st.sampled_from(
    ["proof", "proofs", "proo", "proof\x00", "pro\uffff", "", "@context", "z", "\U0001f600", '"']
)
SECURED = st.dictionaries(
    st.one_of(NEAR_PROOF, BMP_TEXT, KEYS), st.one_of(VALUES, PLAIN), max_size=7
).flatmap(
    lambda d: st.one_of(
        st.just(d), st.one_of(VALUES, PLAIN, st.just({"proof": 1})).map(lambda p: {**d, "proof": p})
    )
)


@SETTINGS
@given(SECURED)
def test_secured_split_gives_jcs_of_the_whole_and_of_the_unsecured(value: dict[Any, Any]) -> None:
    unsecured = {k: v for k, v in value.items() if k != "proof"}
    expected_whole, expected_unsecured = _ours(value), _ours(unsecured)
    try:
        whole, without = jcs_secured(value)
    except MalformedError:
        assert expected_whole is MalformedError
        return
    assert whole == expected_whole
    assert without is None or without == expected_unsecured


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        ({}, True),
        ({"proof": {"a": 1}}, True),
        ({"a": 1, "proof": "p"}, True),
        ({"proof": 1, "z": 2}, True),
        ({"a": 1, "proof": [1], "z": {"proof": [1]}}, True),
        ({"a": {"proof": 7}, "proof": 7}, True),
        ({"pro\uffff": 1, "proof": 2, "proofs": 3, "proof\x00": 4}, True),
        ({"\uff01": 1, "proof": 2, "\U0001f600": 3}, False),
        ({"a": 1.5, "proof": 1}, False),
        ({"a": 1}, True),
    ],
    ids=repr,
)
def test_secured_split_known_values(value: dict[str, Any], fast: bool) -> None:
    whole, without = jcs_secured(value)
    assert whole == jcs(value)
    unsecured = {k: v for k, v in value.items() if k != "proof"}
    assert without == (jcs(unsecured) if fast else None)


def test_secured_split_refuses_what_jcs_refuses() -> None:
    with pytest.raises(MalformedError):
        jcs_secured({"a": "\ud800", "proof": 1})
    with pytest.raises(MalformedError):
        jcs_secured({"a": float("nan"), "proof": 1})


@SETTINGS
@given(PLAIN)
def test_orjson_writes_the_stdlib_bytes_for_plain_values(value: Any) -> None:
    assert _plain(value)
    try:
        expected: bytes | type[BaseException] = _dumps_stdlib(value)
    except UnicodeEncodeError:
        expected = UnicodeEncodeError
    try:
        ours: bytes | type[BaseException] = _dumps_orjson(value)
    except UnicodeEncodeError:
        ours = UnicodeEncodeError
    assert ours == expected


@SETTINGS
@given(SECURED)
def test_the_stdlib_encoder_alone_gives_the_same_bytes(value: dict[Any, Any]) -> None:
    # As in an environment without orjson: the fast path over the stdlib encoder.
    with_orjson = _ours(value), jcs_secured(value) if _ours(value) is not MalformedError else None
    # The module, not the function vc_core.canon re-exports under the same name.
    jcs_module = importlib.import_module("vc_core.canon.jcs")
    saved = jcs_module._dumps
    jcs_module._dumps = _dumps_stdlib
    try:
        alone = _ours(value), jcs_secured(value) if _ours(value) is not MalformedError else None
    finally:
        jcs_module._dumps = saved
    assert alone == with_orjson


def test_nesting_past_orjsons_limit_still_takes_the_fast_path() -> None:
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    assert _dumps_orjson(deep) == _dumps_stdlib(deep) == b"[" * 300 + b'"x"' + b"]" * 300
    assert jcs(deep) == _dumps_stdlib(deep)


def _nested(depth: int, leaf: Any, *, in_list: bool = False) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if in_list else {"a": value}
    return value


def _agrees_with_the_two_walks(value: Any, max_depth: int) -> None:
    found = plain_within(value, max_depth)
    if found is None:
        assert deeper_than(value, max_depth)
    elif found:
        assert _plain(value) and not deeper_than(value, max_depth)
    else:
        assert not _plain(value)


@SETTINGS
@given(VALUES, st.integers(min_value=-1, max_value=5))
def test_plain_within_agrees_with_plain_and_deeper_than(value: Any, max_depth: int) -> None:
    _agrees_with_the_two_walks(value, max_depth)
    # Wrapped deeper, with something not plain beside it or not: depth must still be found.
    for beside in (None, 1.5, 2**60):
        _agrees_with_the_two_walks({"x": beside, "y": _nested(4, value)}, max_depth + 2)


@pytest.mark.parametrize("in_list", [False, True])
@pytest.mark.parametrize("leaf", ["text", 1.5, {1: 2}, 2**60])
def test_plain_within_finds_the_depth_limit_exactly(in_list: bool, leaf: Any) -> None:
    for depth in range(28, 36):
        value = _nested(depth, leaf, in_list=in_list)
        _agrees_with_the_two_walks(value, 32)
        # One chain of containers: the limit is met before the leaf, whatever the leaf is.
        assert (plain_within(value, 32) is None) == deeper_than(value, 32)
