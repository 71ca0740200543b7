"""The compiled schema validator never accepts what the reference (jsonschema) refuses.

``validate_credential`` asks jsonschema-rs first and takes its "valid"; anything else goes to
``jsonschema``, which words the errors. So the two must agree wherever the fast one says valid.
Hypothesis changes the examples of every type, with values chosen to probe where ECMAScript and
Python regular expressions differ (white space, line ends, non-ASCII digits) and where JSON types
are easily confused (1 and true, 1.0 and 1, null).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import jcs
from vc_core.credential_types import (
    CREDENTIAL_TYPES,
    _fast_validator,
    _from_jsonschema,
    _schema_errors,
    _validator,
    example_credential,
    subject_region,
    validate_credential,
    validated_region,
)
from vc_core.errors import MalformedError, VCError

TRICKY = st.sampled_from(
    [
        "\n", "\r", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028", "\ufeff", "\u0663", "\uff11",
        " ", "\t", "X", "0", "9", "Z", "-", "T", ":", ".", "（", "）", "号",
    ]
)  # fmt: skip
texts = st.text(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=24)
values = st.one_of(
    texts,
    st.integers(min_value=-5, max_value=10**17),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(texts, max_size=3),
    st.dictionaries(texts, texts, max_size=2),
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*path, k))
            out.extend(_leaves(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*path, i))
            out.extend(_leaves(v, (*path, i)))
    return out


@st.composite
def changed_examples(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    type_name = draw(st.sampled_from(sorted(CREDENTIAL_TYPES)))
    doc = example_credential(type_name)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_leaves(doc)))
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "append", "drop", "suffix"]))
        last = path[-1]
        if how == "drop" and isinstance(parent, dict):
            del parent[last]
        elif how == "suffix" and isinstance(parent[last], str):
            parent[last] = parent[last] + draw(TRICKY)
        elif how == "append" and isinstance(parent[last], str):
            parent[last] = parent[last] + draw(texts)
        else:
            parent[last] = draw(values)
        if not _leaves(doc):
            break
    return type_name, doc


@given(changed_examples())
@settings(max_examples=1500, deadline=None)
def test_fast_valid_implies_reference_valid(case: tuple[str, dict[str, Any]]) -> None:
    type_name, doc = case
    reference_valid = _validator(type_name).is_valid(copy.deepcopy(doc))
    if _fast_validator(type_name).is_valid(doc) and not any(
        ch in str(doc) for ch in "\x1c\x1d\x1e\x1f\x85"
    ):
        assert reference_valid, doc
    # Whatever the fast path says, the errors reported are the reference's.
    reported = [e.to_dict() for e in _schema_errors(doc, type_name)]
    expected = [_from_jsonschema(e).to_dict() for e in _validator(type_name).iter_errors(doc)]
    assert reported == expected
    # The same with the document's JCS text searched for the dialect gap (as a verifier does).
    try:
        canonical = jcs(doc)
    except MalformedError:
        return
    assert [e.to_dict() for e in _schema_errors(doc, type_name, canonical)] == expected
    try:
        accepted = validate_credential(doc, canonical=canonical)
    except VCError:
        return
    assert validated_region(doc, accepted) == subject_region(doc)


def test_every_example_takes_the_fast_path() -> None:
    for type_name in CREDENTIAL_TYPES:
        assert _fast_validator(type_name).is_valid(example_credential(type_name)), type_name


def test_the_dialect_gap_goes_to_the_reference() -> None:
    # Python's \s matches U+001C; ECMAScript's does not. A uri-like field holding it is refused
    # by the reference (its pattern is [^\s]+), so it must not be accepted by the fast path.
    for type_name in CREDENTIAL_TYPES:
        doc = example_credential(type_name)
        doc["id"] = "urn:uuid:1\x1c2"
        assert _schema_errors(doc, type_name), type_name


def test_the_dialect_gap_in_json_text_goes_to_the_reference() -> None:
    for gap in "\x1c\x1d\x1e\x1f\x85":
        for type_name in CREDENTIAL_TYPES:
            doc = example_credential(type_name)
            doc["id"] = f"urn:uuid:1{gap}2"
            assert _schema_errors(doc, type_name, jcs(doc)), (type_name, gap)


def test_every_example_region_without_a_second_check() -> None:
    for type_name in CREDENTIAL_TYPES:
        doc = example_credential(type_name)
        assert validated_region(doc, validate_credential(doc)) == subject_region(doc)
