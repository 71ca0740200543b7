"""The term check's sink declines exactly where the N-Quads sink does.

``check_terms_fast`` walks with ``fast._TermSink``, which skips writing N-Quads text; the walk
must still stop (and leave the decision to ``expand_strict``) on every input where the walk with
the real ``QuadSink`` stops: duplicate quads, control characters, lone surrogates, and literals
that differ only in where a quote falls. ``test_fast_rdfc_fuzz.py`` checks ``check_terms_fast``
against ``expand_strict`` itself.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.canon.fast import _TermSink, _walk, check_terms_fast
from vc_core.canon.fast_contexts import Unsupported
from vc_core.canon.fast_rdf import QuadSink
from vc_core.canon.rdfc import UNESCAPED_CONTROL_OR_SURROGATE, expand_strict
from vc_core.credential_types import CREDENTIAL_TYPES, example_credential
from vc_core.errors import CanonicalizationError

CONTEXTS = default_contexts()
PIECES = st.sampled_from(['"', '"^^<', "\\", "\x00", "\x1f", "\x7f", "\ud800", "a", "é", "<", ">"])
TEXTS = st.lists(PIECES, max_size=5).map("".join)


def _decision(doc: dict[str, Any], sink: QuadSink) -> bool:
    try:
        _walk(doc, CONTEXTS, sink)
    except Unsupported:
        return False
    return True


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict | list):
            out.extend(_paths(value, (*path, key)))
        elif isinstance(value, str):
            out.append((*path, key))
    return out


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = example_credential(draw(st.sampled_from(sorted(CREDENTIAL_TYPES))))
    doc["issuer"] = "did:example:issuer"
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(_paths(doc)))
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["text", "twice", "copy"]))
        if how == "text":
            parent[path[-1]] = draw(TEXTS)
        elif how == "twice":
            # The same value twice: a duplicate quad where the value is a literal or an IRI.
            parent[path[-1]] = [parent[path[-1]], parent[path[-1]]]
        else:
            other = draw(st.sampled_from(_paths(doc)))
            source: Any = doc
            for step in other:
                source = source[step]
            parent[path[-1]] = copy.deepcopy(source)
    return doc


@settings(max_examples=300, deadline=None)
@given(documents())
def test_the_term_sink_declines_where_the_quad_sink_does(doc: dict[str, Any]) -> None:
    assert _decision(doc, _TermSink()) == _decision(doc, QuadSink())


def test_examples_pass_both_walks() -> None:
    for name in CREDENTIAL_TYPES:
        doc = example_credential(name)
        doc["issuer"] = "did:example:issuer"
        assert _decision(doc, _TermSink()) and _decision(doc, QuadSink()), name


def test_duplicates_and_control_characters_are_declined() -> None:
    doc = example_credential("PropertyDeedCredential")
    doc["issuer"] = "did:example:issuer"
    doc["type"] = [*doc["type"], "PropertyDeedCredential"]
    assert not _decision(doc, _TermSink())
    doc = example_credential("PropertyDeedCredential")
    doc["name"] = "a\x01"
    assert not _decision(doc, _TermSink())


def test_printable_text_holds_nothing_the_sinks_refuse() -> None:
    # Both sinks skip the control/surrogate search for printable text; this holds for every
    # code point, so it holds for every string (both tests are per character).
    refused = [c for c in map(chr, range(0x110000)) if UNESCAPED_CONTROL_OR_SURROGATE.search(c)]
    assert refused and not any(c.isprintable() for c in refused)
    for sink in (QuadSink(), _TermSink()):
        for c in refused:
            with pytest.raises(Unsupported):
                sink.literal("a" + c, "http://www.w3.org/2001/XMLSchema#string")


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1"},
        {"@context": ["https://www.w3.org/ns/credentials/v2"]},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "name": None},
    ],
)
def test_a_document_that_states_nothing_is_refused_as_the_reference_refuses_it(
    doc: dict[str, Any],
) -> None:
    # The walk finds no quad, and nothing it cannot handle; expand_strict refuses such a
    # document ("states nothing that can be signed"), and so must the term check.
    with pytest.raises(CanonicalizationError) as fast:
        check_terms_fast(doc, CONTEXTS)
    with pytest.raises(CanonicalizationError) as reference:
        expand_strict(doc, CONTEXTS)
    assert fast.value.to_dict() == reference.value.to_dict()
