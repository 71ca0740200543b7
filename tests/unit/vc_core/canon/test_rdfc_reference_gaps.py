"""Gaps of pyld found while building the fast path, and how the reference closes them.

Regression tests for each: an id or key pyld would silently drop is now refused, text that
pyld would escape differently from RDFC-1.0 is refused, embedded inline contexts are refused.
The fast path declines every one of
these inputs and defers to the reference, so both give the same answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from vc_core.canon import LocalContexts
from vc_core.canon.rdfc import rdfc
from vc_core.errors import CanonicalizationError

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def _alumni(**subject: Any) -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "https://vc.example/issuers/5678",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "School", **subject},
    }


def test_an_id_with_a_space_is_refused(w3c_contexts: LocalContexts) -> None:
    # VC-DI 1.0 §2.4.3: JSON-LD processing must not drop data silently. pyld keeps the id
    # "did:example:a b" through expansion (the reference's own scheme check passes it), then
    # toRdf skips every quad of the node, and the link to it, because the IRI is not absolute
    # by pyld's regex: the whole credentialSubject is left unsigned.
    doc = _alumni(id="did:example:a b")
    with pytest.raises(CanonicalizationError):
        rdfc(doc, w3c_contexts)


def test_a_blank_node_key_is_refused(w3c_contexts: LocalContexts) -> None:
    # A key "_:x" expands to a blank node identifier; toRdf drops such predicates unless
    # generalized RDF is produced (JSON-LD 1.1 API §8.1.2), so its value is never signed.
    with pytest.raises(CanonicalizationError):
        rdfc(_alumni(**{"_:x": "unsigned"}), w3c_contexts)


@pytest.mark.parametrize("text", ["a\bb", "a\fb", "a\u0001b", "a\u007fb", "a\u0000b"])
def test_control_characters_are_refused(w3c_contexts: LocalContexts, text: str) -> None:
    # RDFC-1.0 §4.4.4 serializes in canonical N-Quads (RDF 1.2 N-Quads, canonical form): \b and
    # \f as ECHAR, other code points U+0000–U+001F and U+007F as UCHAR \u00XX, upper-case hex.
    # pyld writes them raw, so another implementation would hash different bytes; ecert refuses
    # such text rather than sign a form only pyld reproduces.
    with pytest.raises(CanonicalizationError) as err:
        rdfc(_alumni(alumniOf=text), w3c_contexts)
    assert err.value.code == "CONTROL_CHARACTER"


def test_tab_newline_and_carriage_return_are_kept(w3c_contexts: LocalContexts) -> None:
    assert '"a\\tb\\nc\\rd"' in rdfc(_alumni(alumniOf="a\tb\nc\rd"), w3c_contexts)


def test_an_embedded_inline_context_is_refused(w3c_contexts: LocalContexts) -> None:
    subject = {"@context": {"nick": "https://evil.example/nick"}, "nick": "x"}
    with pytest.raises(CanonicalizationError) as err:
        rdfc(_alumni(**{"knows": subject}), w3c_contexts)
    assert err.value.code == "INLINE_CONTEXT"


def test_an_embedded_local_context_url_is_allowed(w3c_contexts: LocalContexts) -> None:
    # An eddsa-jcs-2022 proof embedded in a chain carries the document's @context URLs.
    assert rdfc(_alumni(**{"@context": [V2, EXAMPLES]}), w3c_contexts)


def test_huge_integer_in_json_literal_is_malformed_not_a_crash(w3c_contexts: LocalContexts) -> None:
    from vc_core.errors import MalformedError

    doc = _alumni(alumniOf={"@value": {"n": 10**400}, "@type": "@json"})
    with pytest.raises((MalformedError, CanonicalizationError)):
        rdfc(doc, w3c_contexts)


def test_the_canonical_form_is_a_set(w3c_contexts: LocalContexts) -> None:
    # An RDF dataset is a set of quads (RDF 1.1 Concepts §4), so RDFC-1.0 output has no
    # duplicate lines. pyld's node map compares JSON values, so "1" and a typed "1"^^xsd:string
    # stay two values and become two identical quads.
    typed = {"@value": "1", "@type": "http://www.w3.org/2001/XMLSchema#string"}
    with pytest.raises(CanonicalizationError) as err:
        rdfc(_alumni(alumniOf=["1", typed]), w3c_contexts)
    assert err.value.code == "DUPLICATE_QUAD"
    lines = rdfc(_alumni(alumniOf=["1", "2"]), w3c_contexts).splitlines()
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029"])
def test_unicode_line_separators_in_literals_are_not_duplicates(
    w3c_contexts: LocalContexts, separator: str
) -> None:
    # Regression: the duplicate-quad check once split with str.splitlines(), which breaks at
    # these characters inside a literal and saw two equal halves as a repeated quad.
    text = f"x{separator}x"
    assert text in rdfc(_alumni(alumniOf=[text, "y"]), w3c_contexts)
