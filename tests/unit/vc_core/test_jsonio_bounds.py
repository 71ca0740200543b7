"""The bounded parser accepts I-JSON (RFC 7493) and names every other input with a stable code.

Each rule is a row of a dataset; a property test then feeds the shared hostile strategy to the
parser and checks the two things every caller relies on: it raises nothing but
``MalformedError``, and whatever it accepts can be canonicalized (JCS) and encoded as UTF-8
without a further error, so nothing it lets through fails later, deep inside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from vc_core.canon import jcs
from vc_core.errors import MalformedError
from vc_core.jsonio import MAX_SAFE_INT, parse_json, parse_object

ACCEPTED: list[tuple[str, bytes | str, Any]] = [
    ("max-safe-int", f"[{MAX_SAFE_INT}, -{MAX_SAFE_INT}]".encode(), [MAX_SAFE_INT, -MAX_SAFE_INT]),
    ("float", b"[1.5e308, -0.0, 1e-400]", [1.5e308, -0.0, 0.0]),
    ("surrogate-pair", b'"\\ud83d\\ude00"', "\U0001f600"),
    ("escaped-backslash-u", b'"\\\\ud800"', "\\ud800"),
    ("non-ascii", '{"名": "张三"}'.encode(), {"名": "张三"}),
    ("str-input", '{"a": "é"}', {"a": "é"}),
]


@pytest.mark.parametrize(("text", "value"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_i_json_is_accepted(text: bytes | str, value: Any) -> None:
    assert parse_json(text) == value


REFUSED: list[tuple[str, bytes | str, str]] = [
    ("int-past-2^53", b"9007199254740992", "NUMBER_OUT_OF_RANGE"),
    ("negative-int-past-2^53", b"-9007199254740992", "NUMBER_OUT_OF_RANGE"),
    ("int-of-5000-digits", b"1" * 5000, "NUMBER_OUT_OF_RANGE"),
    ("int-of-500000-digits", b"[" + b"7" * 500_000 + b"]", "NUMBER_OUT_OF_RANGE"),
    ("float-overflow", b"1e999", "NUMBER_OUT_OF_RANGE"),
    ("long-float-overflow", b"9" * 400 + b".5", "NUMBER_OUT_OF_RANGE"),
    ("nan", b"NaN", "NOT_JSON"),
    ("lone-high-surrogate", b'"\\ud800"', "LONE_SURROGATE"),
    ("lone-low-surrogate", b'"a\\uDC00b"', "LONE_SURROGATE"),
    ("reversed-pair", b'"\\ude00\\ud83d"', "LONE_SURROGATE"),
    ("surrogate-in-key", b'{"\\ud800": 1}', "LONE_SURROGATE"),
    ("surrogate-deep", b'[[[{"a": ["\\udbff"]}]]]', "LONE_SURROGATE"),
    ("surrogate-in-str-input", '"\ud800"', "LONE_SURROGATE"),
    ("utf-8-bom", b'\xef\xbb\xbf{"a": 1}', "BYTE_ORDER_MARK"),
    ("utf-16-bom", '{"a": 1}'.encode("utf-16"), "NOT_UTF8"),
    ("utf-16-be", '{"a": 1}'.encode("utf-16-be"), "NOT_UTF8"),
    ("utf-16-le", '{"a": 1}'.encode("utf-16-le"), "NOT_UTF8"),
    ("utf-32", '{"a": 1}'.encode("utf-32"), "NOT_UTF8"),
    ("latin-1", '{"a": "café"}'.encode("latin-1"), "NOT_UTF8"),
    ("overlong-utf-8", b'"\xc0\xaf"', "NOT_UTF8"),
    ("utf-8-encoded-surrogate", b'"\xed\xa0\x80"', "NOT_UTF8"),
    ("empty", b"", "NOT_JSON"),
    ("trailing-garbage", b'{"a": 1} x', "NOT_JSON"),
]


@pytest.mark.parametrize(("text", "code"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_everything_else_is_named(text: bytes | str, code: str) -> None:
    with pytest.raises(MalformedError) as err:
        parse_json(text, max_bytes=10_000_000)
    assert err.value.code == code
    assert err.value.exit_code == 2 and err.value.http_status == 400


def test_hostile_inputs_either_parse_to_jcs_safe_values_or_are_malformed(
    hostile_json: Callable[[str | None], Any],
) -> None:
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(raw=hostile_json('{"doc": "@@HOSTILE@@"}'))
    def parses_or_names(raw: bytes) -> None:
        try:
            value = parse_json(raw, max_bytes=10_000_000)
        except MalformedError as exc:
            outcomes[exc.code] = outcomes.get(exc.code, 0) + 1
            return
        jcs(value).decode("utf-8")  # accepted means it canonicalizes: no later surprise
        outcomes["accepted"] = outcomes.get("accepted", 0) + 1

    parses_or_names()
    assert sum(outcomes.values()) >= 400
    assert {"accepted", "NOT_UTF8", "NOT_JSON"} <= set(outcomes), outcomes


def test_object_is_required_where_asked() -> None:
    with pytest.raises(MalformedError) as err:
        parse_object(b"[]")
    assert err.value.code == "NOT_AN_OBJECT"
