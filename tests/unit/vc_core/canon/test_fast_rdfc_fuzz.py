"""Generated documents: the fast path and the reference agree on every one (property-based).

Three generators. The first makes arbitrary JSON inside credentials (any keys, including
keywords, blank node labels, compact IRIs and undefined terms; any values, including NaN, huge
integers, control characters and nested arrays), in random key order, and checks only that
``rdfc_fast`` and the reference give the same N-Quads or the same error (and likewise
``check_terms_fast`` and ``expand_strict``). The second makes well-formed credentials of the
shapes ecert issues (defined terms, type-scoped contexts, blank and identified nodes, a proof
graph) and also requires that the fast path answers itself. The third sets one entry of a
well-formed credential to arbitrary JSON, which keeps the input close to the fast path.
CI runs 2,000 examples per test (``CI`` set); a developer run does 200.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from vc_core.canon import LocalContexts
from vc_core.canon.fast import check_terms_fast, rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import expand_strict, rdfc

Observe = Callable[..., tuple[Any, ...]]

# Text an ecert document may carry: no control characters other than tab, LF and CR, which the
# reference refuses (rdfc.UNESCAPED_CONTROL) and so never reach the fast path.
_CONTROL = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def signable_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(exclude_characters=_CONTROL, exclude_categories=("Cs",)), max_size=max_size
    )


def _fast_check(doc: Any, ctx: LocalContexts) -> str:
    check_terms_fast(doc, ctx)
    return "no data loss"


def _reference_check(doc: Any, ctx: LocalContexts) -> str:
    expand_strict(doc, ctx)
    return "no data loss"


def _answered_fast(observe: Observe, doc: Any) -> bool:
    """Whether the fast path answered by itself (for statistics; refusals count as not)."""
    outcome = observe(try_rdfc_fast, doc)
    return outcome[0] == "ok" and outcome[1] is not None


EXAMPLES = 2000 if os.environ.get("CI") else 200
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
CITIZENSHIP = "https://w3id.org/citizenship/v4rc1"

# Keys that mean something to JSON-LD, the contexts, or the reference's checks.
SPECIAL_KEYS = [
    "id",
    "type",
    "@id",
    "@type",
    "@value",
    "@language",
    "@list",
    "@set",
    "@graph",
    "@context",
    "@reverse",
    "@nest",
    "@included",
    "_:b0",
    "ex:term",
    "https://schema.org/name",
    "name",
    "description",
    "issuer",
    "credentialSubject",
    "validFrom",
    "proof",
    "jsonSchema",
    "image",
    "birthDate",
    "residentSince",
    "givenName",
    "employmentAuthorizationDocument",
    "lprNumber",
    "undefinedTerm",
]
TYPES = [
    "VerifiableCredential",
    "AlumniCredential",
    "JsonSchema",
    "BitstringStatusListEntry",
    "DataIntegrityProof",
    "Person",
    "EmployablePerson",
    "EmploymentAuthorizationDocument",
    "PermanentResident",
    "NotAType",
]
IRIS = ["did:example:1", "urn:uuid:1", "https://example.org/a", "relative", "_:b1", "a b:c"]

text = st.text(max_size=6)
keys = st.sampled_from(SPECIAL_KEYS) | st.text(alphabet="abxy:_@", min_size=1, max_size=4)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**75), max_value=2**75),
    st.floats(),
    text,
    st.sampled_from(IRIS + TYPES),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=10,
)


@st.composite
def shuffled(draw: st.DrawFn, entries: dict[str, Any]) -> dict[str, Any]:
    """The same object with its keys in a random order (RDFC must not care)."""
    order = draw(st.permutations(list(entries)))
    return {key: entries[key] for key in order}


@st.composite
def arbitrary_credentials(draw: st.DrawFn) -> dict[str, Any]:
    context = draw(
        st.sampled_from([[V2], [V2, EXAMPLES_V2], [V2, CITIZENSHIP], V2, [V2, EXAMPLES_V2, V2]])
    )
    doc: dict[str, Any] = {
        "@context": context,
        "type": draw(st.lists(st.sampled_from(TYPES), max_size=3)),
        "issuer": draw(st.sampled_from(IRIS) | st.dictionaries(keys, json_values, max_size=3)),
        "credentialSubject": draw(st.dictionaries(keys, json_values, max_size=5)),
    }
    doc.update(
        draw(st.dictionaries(keys.filter(lambda k: k != "@context"), json_values, max_size=3))
    )
    return draw(shuffled(doc))


# Found by this test: identical empty nodes under an undefined-but-@vocab term are a small poison
# graph, refused by both paths past the work bound (bounded.py); the fast path raised it from
# try_rdfc_fast, which the statistics line must tolerate.
ALIKE = {":": {"ex:term": [False], ":": [{}, {}, {}]}}


@given(doc=arbitrary_credentials())
@example(
    doc={
        "@context": [V2, EXAMPLES_V2],
        "type": [],
        "issuer": "did:example:1",
        "credentialSubject": ALIKE,
        **ALIKE,
    }
)
@SETTINGS
def test_arbitrary_documents_give_the_reference_outcome(
    doc: dict[str, Any], observe: Observe, w3c_contexts: LocalContexts
) -> None:
    reference = observe(rdfc, doc)
    assert observe(rdfc_fast, doc) == reference
    assert observe(_fast_check, doc) == observe(_reference_check, doc)
    # Shown by --hypothesis-show-statistics: how much of the input the fast path answers. The
    # fast path may itself refuse a document (a poison graph past the work bound) with the
    # reference's error, which the comparison above has already required to match.
    fast = _answered_fast(observe, doc)
    event("fast path" if fast else f"reference: {reference[0]}")


# Well-formed credentials. Under examples/v2 (which has @vocab) any plain word is a defined term.
words = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6).map(lambda w: "x" + w)
uuids = st.uuids().map(lambda u: f"urn:uuid:{u}")
# Distinct JSON values never give equal quads: integers and non-integral floats cannot collide.
plain_scalars = st.one_of(
    signable_text(8),
    st.integers(min_value=-(2**53), max_value=2**53),
    # At most 15 significant digits survive RDF's 16-digit double form exactly.
    # Below 10^-6 a one-digit fraction (1e-7) is refused as NUMBER_NOT_INTEROPERABLE
    # (vc_core/canon/fidelity.py: jsonld.js writes it as the integer 0), so not well-formed.
    st.floats(min_value=-1e15, max_value=1e15)
    .map(lambda f: f + 0.5 if f.is_integer() else f)
    .map(lambda f: float(f"{f:.14e}"))
    .filter(lambda f: abs(f) >= 1e-6),
    st.booleans(),
)


def _values(node: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    one = plain_scalars | node
    many = st.lists(one, min_size=1, max_size=3, unique_by=lambda v: json.dumps(v, sort_keys=True))
    return one | many


@st.composite
def vocab_nodes(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A node object of @vocab terms, maybe identified, maybe typed, maybe nesting others."""
    node_values = vocab_nodes(depth + 1) if depth < 2 else st.nothing()
    entries: dict[str, Any] = draw(st.dictionaries(words, _values(node_values), max_size=4))
    if draw(st.booleans()):
        entries["id"] = draw(uuids)
    if draw(st.booleans()):
        entries["type"] = draw(st.lists(words, min_size=1, max_size=2, unique=True))
    return draw(shuffled(entries))


@st.composite
def citizenship_subjects(draw: st.DrawFn, context: dict[str, Any]) -> dict[str, Any]:
    """A credentialSubject whose terms come from the type-scoped contexts of its types."""
    types = draw(
        st.lists(
            st.sampled_from(["Person", "EmployablePerson", "PermanentResident"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    terms: dict[str, Any] = {}
    for name in types:
        terms.update(context[name]["@context"])
    entries: dict[str, Any] = {"type": types}
    for term in draw(st.lists(st.sampled_from(sorted(terms)), max_size=6, unique=True)):
        definition = terms[term]
        if term in ("id", "type", "@protected"):
            continue
        if isinstance(definition, dict) and definition.get("@type") == "@id":
            entries[term] = draw(uuids)
        else:
            entries[term] = draw(signable_text(8))
    if draw(st.booleans()):
        entries["employmentAuthorizationDocument"] = {
            "type": "EmploymentAuthorizationDocument",
            "identifier": draw(signable_text(8)),
            "lprNumber": draw(signable_text(8)),
        }
        entries["type"] = sorted({*types, "EmployablePerson"})
    return draw(shuffled(entries))


@st.composite
def proofs(draw: st.DrawFn) -> dict[str, Any]:
    entries = {
        "type": "DataIntegrityProof",
        "cryptosuite": draw(st.sampled_from(["eddsa-rdfc-2022", "eddsa-jcs-2022"])),
        "created": "2026-01-02T03:04:05Z",
        "verificationMethod": "did:example:issuer#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z" + draw(st.text(alphabet="123456789ABCDEFGH", min_size=1, max_size=8)),
    }
    if draw(st.booleans()):
        entries["id"] = draw(uuids)
    return draw(shuffled(entries))


@st.composite
def wellformed_credentials(draw: st.DrawFn, citizenship: dict[str, Any]) -> dict[str, Any]:
    if draw(st.booleans()):
        context = [V2, EXAMPLES_V2]
        subject = draw(vocab_nodes())
        kind = ["VerifiableCredential", *draw(st.lists(words, max_size=2, unique=True))]
    else:
        context = [V2, CITIZENSHIP]
        subject = draw(citizenship_subjects(citizenship))
        kind = ["VerifiableCredential", "EmploymentAuthorizationDocumentCredential"]
    doc: dict[str, Any] = {
        "@context": context,
        "type": kind,
        "issuer": draw(st.sampled_from(["did:example:issuer", {"id": "did:example:issuer"}])),
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        doc["id"] = draw(uuids)
    if draw(st.booleans()):
        doc["proof"] = draw(st.lists(proofs(), min_size=1, max_size=2))
    return draw(shuffled(doc))


@pytest.fixture(scope="module")
def citizenship_context(conformance_dir: Path) -> dict[str, Any]:
    text = (conformance_dir / "contexts" / "citizenship-v4rc1.jsonld").read_text(encoding="utf-8")
    context: dict[str, Any] = json.loads(text)["@context"]
    return context


@given(data=st.data())
@SETTINGS
def test_wellformed_credentials_take_the_fast_path(
    data: st.DataObject, citizenship_context: dict[str, Any], w3c_contexts: LocalContexts
) -> None:
    doc = data.draw(wellformed_credentials(citizenship_context))
    fast = try_rdfc_fast(doc, w3c_contexts)
    assert fast is not None
    assert fast == rdfc(doc, w3c_contexts)


@st.composite
def mutated_credentials(draw: st.DrawFn, citizenship: dict[str, Any]) -> dict[str, Any]:
    """A well-formed credential with one entry of one of its objects set to arbitrary JSON."""
    doc = draw(wellformed_credentials(citizenship))
    objects: list[dict[str, Any]] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            objects.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    target = draw(st.sampled_from(objects))
    target[draw(keys)] = draw(json_values)
    return doc


@given(data=st.data())
@SETTINGS
def test_mutated_credentials_give_the_reference_outcome(
    data: st.DataObject,
    citizenship_context: dict[str, Any],
    observe: Observe,
    w3c_contexts: LocalContexts,
) -> None:
    doc = data.draw(mutated_credentials(citizenship_context))
    reference = observe(rdfc, doc)
    assert observe(rdfc_fast, doc) == reference
    assert observe(_fast_check, doc) == observe(_reference_check, doc)
    fast = _answered_fast(observe, doc)
    event("fast path" if fast else f"reference: {reference[0]}")
