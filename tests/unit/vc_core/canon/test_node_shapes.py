"""The RDF walk's remembered node shapes give what working each node out afresh gives.

``RdfWriter._shape`` remembers, per active context, what a node's sorted keys and @type values
mean (type-scoped context, @id key, @type IRIs, property plans). These tests walk hostile
variations of the ecert examples twice, once with the shapes remembered across documents and
once with every shape worked out afresh, and require the same quads or the same refusal. A
cache keyed too loosely (say, without the @type values, which choose the type-scoped context)
gives the first document's shape to the second and fails here.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.canon.fast import _context_urls, _TermSink
from vc_core.canon.fast_contexts import Unsupported, compiler_for
from vc_core.canon.fast_rdf import QuadSink, RdfWriter
from vc_core.credential_types import CREDENTIAL_TYPES, example_credential

CONTEXTS = default_contexts()
TYPE_NAMES = [
    *sorted(CREDENTIAL_TYPES),
    "VerifiableCredential",
    "DataIntegrityProof",
    "Undefined",
    "@json",
    "https://example.org/T",
    "ex:T",
    "_:b0",
    "",
]
KEYS = ["id", "@id", "type", "@type", "name", "owners", "term", "undefinedTerm", "@context"]
VALUES: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(TYPE_NAMES),
    st.lists(st.sampled_from(TYPE_NAMES), max_size=3),
    st.sampled_from(["did:example:1", "urn:x:1", "relative", 7, None, True, [], {}]),
    st.lists(st.sampled_from(["did:example:1", 3, None]), max_size=2),
)


def _outcome(remember: bool, doc: dict[str, Any], sink: QuadSink) -> Any:
    # remember=False is the walk with no remembered shapes: every node worked out from scratch.
    try:
        top = compiler_for(CONTEXTS).top(_context_urls(doc, CONTEXTS))
        RdfWriter(sink, remember_shapes=remember).document(top, doc)
    except Unsupported:
        return "declined"
    return sink.quads if type(sink) is QuadSink else "accepted"


def _both(doc: dict[str, Any]) -> None:
    for sink in (QuadSink, _TermSink):
        remembered = _outcome(True, copy.deepcopy(doc), sink())
        afresh = _outcome(False, copy.deepcopy(doc), sink())
        assert remembered == afresh, doc


def _nodes(node: Any) -> list[dict[str, Any]]:
    found = [node] if isinstance(node, dict) else []
    for value in node.values() if isinstance(node, dict) else node:
        if isinstance(value, dict | list):
            found.extend(_nodes(value))
    return found


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    doc = example_credential(draw(st.sampled_from(sorted(CREDENTIAL_TYPES))))
    doc["issuer"] = "did:example:issuer"
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        nodes = _nodes(doc)
        node = nodes[draw(st.integers(min_value=0, max_value=len(nodes) - 1))]
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()) and key in node and node is not doc:
            del node[key]
        else:
            # A copy: sampled values are shared objects, and a node must not hold itself.
            node[key] = copy.deepcopy(draw(VALUES))
    return doc


@settings(max_examples=400, deadline=None)
@given(hostile())
def test_remembered_shapes_walk_as_fresh_ones(doc: dict[str, Any]) -> None:
    # The examples first, so that their shapes are remembered when the variation comes.
    for name in sorted(CREDENTIAL_TYPES):
        _outcome(True, example_credential(name), QuadSink())
    _both(doc)


def test_same_keys_other_types_get_their_own_shape() -> None:
    # The same keys with the @type values of each credential type in turn: each type-scoped
    # context must apply, not the one remembered for the first type.
    base = example_credential("PropertyDeedCredential")
    base["issuer"] = "did:example:issuer"
    for name in [*sorted(CREDENTIAL_TYPES), "Undefined"]:
        doc = copy.deepcopy(base)
        doc["type"] = ["VerifiableCredential", name]
        _both(doc)
        doc["type"] = name
        _both(doc)


def test_same_keys_other_id_values_get_their_own_subject() -> None:
    base = example_credential("DriverLicenceCredential")
    for value in ["urn:x:1", "urn:x:2", "relative", 5]:
        doc = copy.deepcopy(base)
        doc["id"] = value
        _both(doc)
