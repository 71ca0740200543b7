"""Targeted cases: what the fast path handles itself, and what it must leave to the reference.

Every case is checked two ways: whether the fast path answers (``try_rdfc_fast`` is not None)
and that ``rdfc_fast`` gives what the reference gives, N-Quads or error (class, code, message).
The declined cases are the reference's data-loss errors, the JSON-LD features outside the fast
walk, and the inputs where pyld does something surprising (silent drops, duplicate quads).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from vc_core.canon import LocalContexts
from vc_core.canon.fast import rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import rdfc

Observe = Callable[..., tuple[Any, ...]]

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _alumni(**subject: Any) -> dict[str, Any]:
    """A copy of the W3C unsigned AlumniCredential with extra credentialSubject entries."""
    return {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", **subject},
    }


def _v2_only(**extra: Any) -> dict[str, Any]:
    """A credential under the v2 context alone, which has no @vocab: unknown terms are undefined."""
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


def _with(doc: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    change(out)
    return out


HANDLED = {
    'strings with the characters pyld escapes (\\t \\n \\r " \\) and others': _alumni(
        alumniOf='a\tf\ng\rh"i\\j\u2028l😀'
    ),
    "numbers and booleans": _alumni(
        a=1, b=-0.0, c=1.5, d=10**20, e=1e21, f=2.5e-7, g=True, h=False, i=1.0, j=-(10**20)
    ),
    "null values are dropped (JSON-LD: no value)": _alumni(alumniOf=None, other=[None, "x"]),
    "empty arrays and empty objects": _alumni(a=[], b={}, c=[{}]),
    "nested blank nodes": _alumni(degree={"type": "BachelorDegree", "name": "BSc"}),
    "equal nested blank nodes (a first-degree hash tie, labelled by pyld URDNA2015)": _alumni(
        award=[{"name": "x"}, {"name": "x"}]
    ),
    "a node reference and an embedded node": _alumni(
        knows=[{"id": "did:example:other"}, {"id": "did:example:third", "name": "T"}]
    ),
    "compact IRI and absolute IRI keys": _alumni(
        **{"https://schema.org/email": "a@b.example", "ex:thing": "y"}
    ),
    "@json literal (JsonSchema type-scoped term)": _v2_only(
        credentialSchema={
            "id": "https://schemas.example/s.json",
            "type": "JsonSchema",
            "jsonSchema": {"b": [1, 2.5, True, None, "\u0001"], "a": {"z": 1e21}},
        }
    ),
    "@json literal that is an array": _v2_only(
        credentialSchema={
            "id": "https://schemas.example/s.json",
            "type": "JsonSchema",
            "jsonSchema": [3, 2, 1],
        }
    ),
    "type-scoped status entry": _v2_only(
        credentialStatus={
            "id": "https://status.example/1#3",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "3",
            "statusListCredential": "https://status.example/1",
        }
    ),
    "a proof in its @graph container, with a nested proof set": _v2_only(
        proof=[
            {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2024-01-01T00:00:00Z",
                "verificationMethod": "did:example:issuer#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z3",
            },
            {
                "id": "urn:uuid:2",
                "type": "DataIntegrityProof",
                "previousProof": "urn:uuid:1",
                "proofValue": "z4",
            },
        ]
    ),
    "a single @context string": {**_v2_only(), "@context": V2},
}

DECLINED = {
    # JSON-LD drops these, so the reference refuses them under RDF (see fidelity.py).
    "a lone surrogate": _alumni(alumniOf="a\ud800b"),
    "a double that needs 17 digits": _alumni(x=0.1 + 0.2),
    "an integer no double equals": _alumni(x=2**53 + 1),
    "a directional string": _alumni(alumniOf={"@value": "x", "@direction": "rtl"}),
    "undefined property": _v2_only(favouriteColour="blue"),
    "undefined property in the subject": _v2_only(
        credentialSubject={"id": "did:example:1", "licenceNo": "1"}
    ),
    "undefined type": _v2_only(type=["VerifiableCredential", "MadeUpCredential"]),
    "relative id": _alumni(knows={"id": "relative/path"}),
    "relative @id-typed value": _v2_only(issuer="issuer-without-scheme"),
    "id with a space (the reference drops the whole node silently)": _with(
        _alumni(), lambda d: d["credentialSubject"].__setitem__("id", "did:example:a b")
    ),
    "blank node key (the reference drops it silently)": _alumni(**{"_:secret": "x"}),
    "blank node id": _with(_alumni(), lambda d: d["credentialSubject"].__setitem__("id", "_:b0")),
    "embedded @context": _alumni(extra={"@context": {"x": "https://x.example/x"}, "x": "1"}),
    "value object": _alumni(alumniOf={"@value": "School", "@language": "en"}),
    "typed value object duplicating a plain string (the reference keeps both quads)": _alumni(
        alumniOf=["1", {"@value": "1", "@type": XSD_STRING}]
    ),
    "duplicate values": _alumni(alumniOf=["a", "a"]),
    "duplicate types": _v2_only(type=["VerifiableCredential", "VerifiableCredential"]),
    "@list": _alumni(ranking={"@list": [1, 2]}),
    "nested arrays": _alumni(matrix=[[1, 2], [3]]),
    "both id and @id": _with(_alumni(), lambda d: d.__setitem__("@id", "urn:x:1")),
    "non-string @id": _with(_alumni(), lambda d: d.__setitem__("id", 5)),
    "non-string type": _v2_only(type=["VerifiableCredential", 7]),
    "integer past 1e21": _alumni(big=10**30),
    "integer past a double's range in a JSON literal (the reference raises OverflowError)": (
        _v2_only(
            credentialSchema={
                "id": "https://schemas.example/s.json",
                "type": "JsonSchema",
                "jsonSchema": {"n": 10**400},
            }
        )
    ),
    "NaN": _alumni(nan=float("nan")),
    "a tuple (not JSON)": _alumni(t=("a", "b")),
    "context not held locally": {**_v2_only(), "@context": [V2, "https://evil.example/ctx"]},
    "inline top-level context": {**_v2_only(), "@context": [V2, {"x": "https://x.example/"}]},
    "no context": {k: v for k, v in _v2_only().items() if k != "@context"},
    "empty context list": {**_v2_only(), "@context": []},
}


@pytest.mark.parametrize("doc", HANDLED.values(), ids=HANDLED.keys())
def test_handled_by_the_fast_path(
    doc: dict[str, Any], w3c_contexts: LocalContexts, observe: Observe
) -> None:
    reference = observe(rdfc, doc)
    assert reference[0] == "ok", reference
    assert try_rdfc_fast(doc, w3c_contexts) == reference[1]


@pytest.mark.parametrize("doc", DECLINED.values(), ids=DECLINED.keys())
def test_left_to_the_reference(
    doc: dict[str, Any], w3c_contexts: LocalContexts, observe: Observe
) -> None:
    assert try_rdfc_fast(doc, w3c_contexts) is None
    assert observe(rdfc_fast, doc) == observe(rdfc, doc)


@pytest.mark.parametrize("text", ["a\bb", "a\fb", "a\u0001b", "a\u007fb", "a\u0000b"])
def test_control_characters_are_left_to_the_reference(
    w3c_contexts: LocalContexts, observe: Observe, text: str
) -> None:
    # pyld would write these raw where RDFC-1.0 escapes them; the reference refuses them and
    # the fast path defers, so both give the same CONTROL_CHARACTER error.
    doc = _alumni(alumniOf=text)
    assert try_rdfc_fast(doc, w3c_contexts) is None
    assert observe(rdfc_fast, doc) == observe(rdfc, doc)


def test_the_input_is_not_modified(w3c_contexts: LocalContexts) -> None:
    doc = HANDLED["a proof in its @graph container, with a nested proof set"]
    before = copy.deepcopy(doc)
    rdfc_fast(doc, w3c_contexts)
    assert doc == before


def test_each_allowlist_has_its_own_compiled_contexts(w3c_contexts: LocalContexts) -> None:
    # A context that one allowlist holds must not become usable through another's cache.
    doc = _alumni()
    assert try_rdfc_fast(doc, w3c_contexts) is not None
    narrower = w3c_contexts.with_documents({})
    assert try_rdfc_fast(doc, narrower) is not None
    without_examples = LocalContexts(
        {url: w3c_contexts.document(url) for url in w3c_contexts.urls() if url != EXAMPLES}
    )
    assert try_rdfc_fast(doc, without_examples) is None
    with pytest.raises(Exception) as fast_error:
        rdfc_fast(doc, without_examples)
    with pytest.raises(Exception) as reference_error:
        rdfc(doc, without_examples)
    assert type(fast_error.value) is type(reference_error.value)
    assert str(fast_error.value) == str(reference_error.value)


def test_first_degree_hash_ties_are_labelled_by_pyld(
    w3c_contexts: LocalContexts, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two blank nodes with the same first-degree quads need Hash N-Degree Quads (RDFC-1.0
    # §4.8), which the fast path leaves to pyld's URDNA2015 on its own quads.
    from vc_core.canon import fast_c14n

    calls: list[int] = []
    original = fast_c14n._reference_canonical_nquads

    def spy(sink: Any) -> str:
        calls.append(len(sink.quads))
        return original(sink)

    monkeypatch.setattr(fast_c14n, "_reference_canonical_nquads", spy)
    tied = HANDLED["equal nested blank nodes (a first-degree hash tie, labelled by pyld URDNA2015)"]
    assert try_rdfc_fast(tied, w3c_contexts) == rdfc(tied, w3c_contexts)
    assert calls
    calls.clear()
    assert try_rdfc_fast(_alumni(), w3c_contexts) == rdfc(_alumni(), w3c_contexts)
    assert not calls


def test_cache_bounds_change_speed_only(
    w3c_contexts: LocalContexts, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny bounds: per-context caches empty themselves all the time, and the compiler runs out of
    # room for scoped contexts, declines, and is replaced. Results must not change.
    from vc_core.canon import fast_contexts

    monkeypatch.setattr(fast_contexts, "MAX_CACHED_PER_CONTEXT", 2)
    monkeypatch.setattr(fast_contexts, "MAX_COMPILED_CONTEXTS", 4)
    fresh = w3c_contexts.with_documents({})

    def run(canonicalize: Callable[..., str], doc: Any) -> tuple[Any, ...]:
        try:
            return ("ok", canonicalize(doc, fresh))
        except Exception as exc:
            return ("raised", type(exc).__name__, str(exc))

    for doc in [*HANDLED.values(), *DECLINED.values()] * 2:
        assert run(rdfc_fast, doc) == run(rdfc, doc)
    compiler = fast_contexts.compiler_for(fresh)
    compiler.exhausted = True
    assert fast_contexts.compiler_for(fresh) is not compiler


def test_long_strings_are_not_cached(w3c_contexts: LocalContexts) -> None:
    from vc_core.canon import fast_contexts

    fresh = w3c_contexts.with_documents({})
    long_id = "did:example:" + "x" * 10_000
    doc = _alumni(knows={"id": long_id, "name": "n"})
    assert try_rdfc_fast(doc, fresh) == rdfc(doc, fresh)
    compiled = fast_contexts.compiler_for(fresh)._wrapped.values()
    assert compiled
    assert all(long_id not in ctx._ids for ctx in compiled)


def test_threads_share_one_compiler_safely(w3c_contexts: LocalContexts) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fresh = w3c_contexts.with_documents({})
    docs = list(HANDLED.values()) * 8
    expected = [rdfc(doc, fresh) for doc in docs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda doc: rdfc_fast(doc, fresh), docs))
    assert got == expected
