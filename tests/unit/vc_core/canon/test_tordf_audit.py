"""Every input form of JSON-LD toRdf that could vanish: signed, refused, or not information.

One test per entry of the list in ``vc_core/canon/README.md`` (the ids match). A *signed* form is
signed with ``eddsa-rdfc-2022`` and then changed: the proof must fail. A *refused* form raises
its stable code from the reference, the fast path and signing alike. A form that is *not
information* (JSON syntax, or what JSON-LD defines as the same statement) canonicalizes exactly
as its plain equivalent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vc_core.canon import LocalContexts, default_contexts
from vc_core.canon.fast import rdfc_fast
from vc_core.canon.rdfc import rdfc
from vc_core.dataintegrity import add_proof, check_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.errors import VCError
from vc_core.keys import KeyPair

AUDIT_CONTEXT = "https://ecert.example/test/tordf-audit/v1"
OTHER_CONTEXT = "https://ecert.example/test/tordf-audit/other"
XSD = "http://www.w3.org/2001/XMLSchema#"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(1, 33)))


def _contexts() -> LocalContexts:
    terms = {
        "@version": 1.1,
        "ex": "https://ex.example/#",
        "plain": "ex:plain",
        "other": "ex:other",
        "number": "ex:number",
        "ordered": {"@id": "ex:ordered", "@container": "@list"},
        "unordered": {"@id": "ex:unordered", "@container": "@set"},
        "byLanguage": {"@id": "ex:byLanguage", "@container": "@language"},
        "byIndex": {"@id": "ex:byIndex", "@container": "@index"},
        "byProperty": {"@id": "ex:byProperty", "@container": "@index", "@index": "ex:key"},
        "arabic": {"@id": "ex:arabic", "@language": "ar", "@direction": "rtl"},
        "details": "@nest",
        "nestedValue": {"@id": "ex:nestedValue", "@nest": "details"},
        "config": {"@id": "ex:config", "@type": "@json"},
        "link": {"@id": "ex:link", "@type": "@id"},
        "kind": {"@id": "ex:kind", "@type": "@vocab"},
        "typed": {"@id": "ex:typed", "@type": "ex:Datatype"},
        "asDouble": {"@id": "ex:asDouble", "@type": f"{XSD}double"},
        "isPartOf": {"@reverse": "ex:hasPart"},
        "alsoStated": "@included",
        "graphOf": {"@id": "ex:graphOf", "@container": "@graph"},
        "Thing": "ex:Thing",
    }
    # The same terms, with one of them meaning something else: a context swap that changes meaning.
    other = {**terms, "plain": "ex:somethingElse"}
    return default_contexts().with_documents(
        {AUDIT_CONTEXT: {"@context": terms}, OTHER_CONTEXT: {"@context": other}}
    )


def _credential(**subject: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", AUDIT_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": did_key(KEY.public),
        "credentialSubject": {"id": "did:example:subject", **subject},
    }


Change = Callable[[dict[str, Any]], None]


def _subject(change: Callable[[dict[str, Any]], None]) -> Change:
    return lambda doc: change(doc["credentialSubject"])


# id → (subject fields, a change to the signed credential that must break the proof)
SIGNED: dict[str, tuple[dict[str, Any], Change]] = {
    "direction-value": (
        {"plain": {"@value": "نص", "@language": "ar", "@direction": "rtl"}},
        _subject(lambda s: s["plain"].__setitem__("@direction", "ltr")),
    ),
    "direction-context": (
        {"arabic": "نص"},
        _subject(lambda s: s.__setitem__("plain", s.pop("arabic"))),
    ),
    "language-value": (
        {"plain": {"@value": "text", "@language": "en"}},
        _subject(lambda s: s["plain"].__setitem__("@language", "fr")),
    ),
    "language-map": (
        {"byLanguage": {"en": "Licence", "zh-Hans": "执照"}},
        _subject(lambda s: s["byLanguage"].__setitem__("en", "License")),
    ),
    "list-order": (
        {"ordered": ["first", "second"]},
        _subject(lambda s: s["ordered"].reverse()),
    ),
    "list-nested": (
        {"ordered": [["a", "b"], []]},
        _subject(lambda s: s["ordered"][1].append("c")),
    ),
    "list-empty": (
        {"ordered": []},
        _subject(lambda s: s["ordered"].append("x")),
    ),
    "set": (
        {"unordered": ["a", "b"]},
        _subject(lambda s: s["unordered"].__setitem__(1, "c")),
    ),
    "set-keyword": (
        {"plain": {"@set": ["a", "b"]}},
        _subject(lambda s: s["plain"]["@set"].pop()),
    ),
    "json-literal": (
        {"config": {"limit": 5, "tags": ["a"]}},
        _subject(lambda s: s["config"].__setitem__("limit", 6)),
    ),
    "nest": (
        {"details": {"nestedValue": "inside"}},
        _subject(lambda s: s["details"].__setitem__("nestedValue", "changed")),
    ),
    "included": (
        {"alsoStated": [{"id": "did:example:other", "plain": "x"}]},
        _subject(lambda s: s["alsoStated"][0].__setitem__("plain", "y")),
    ),
    "reverse-term": (
        {"isPartOf": {"id": "did:example:whole"}},
        _subject(lambda s: s["isPartOf"].__setitem__("id", "did:example:other")),
    ),
    "reverse-keyword": (
        {"@reverse": {"ex:hasPart": {"id": "did:example:whole"}}},
        _subject(lambda s: s["@reverse"]["ex:hasPart"].__setitem__("id", "did:example:x")),
    ),
    "property-valued-index": (
        {"byProperty": {"k1": {"plain": "x"}}},
        _subject(lambda s: s["byProperty"].__setitem__("k2", s["byProperty"].pop("k1"))),
    ),
    "datatype": (
        {"typed": "x"},
        _subject(lambda s: s.__setitem__("plain", s.pop("typed"))),
    ),
    "node-type": (
        {"type": "Thing"},
        _subject(lambda s: s.__setitem__("type", "VerifiableCredential")),
    ),
    "vocab-value": (
        {"kind": "Thing"},
        _subject(lambda s: s.__setitem__("kind", "VerifiableCredential")),
    ),
    "number-integer": ({"number": 7}, _subject(lambda s: s.__setitem__("number", 8))),
    "number-double": ({"number": 0.1}, _subject(lambda s: s.__setitem__("number", 0.2))),
    "number-large-double": (
        {"number": 10**22},
        _subject(lambda s: s.__setitem__("number", 10**22 + 2**21)),
    ),
    "blank-node-structure": (
        {"plain": [{"other": "a"}, {"other": "b"}]},
        _subject(lambda s: s["plain"][0].__setitem__("other", "b")),
    ),
    "graph-container": (
        {"graphOf": {"id": "did:example:g", "plain": "x"}},
        _subject(lambda s: s["graphOf"].__setitem__("plain", "y")),
    ),
    "context": ({"plain": "x"}, lambda d: d["@context"].__setitem__(1, OTHER_CONTEXT)),
}

# id → (subject fields, stable code from rdfc, rdfc_fast and signing)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "index-keyword": (
        {"plain": {"@value": "x", "@index": "k"}},
        "DATA_LOSS_DETECTION_ERROR",
    ),
    "index-container": ({"byIndex": {"k1": "x"}}, "DATA_LOSS_DETECTION_ERROR"),
    "reserved-keyword": ({"@unknown": "x"}, "DATA_LOSS_DETECTION_ERROR"),
    "explicit-graph": ({"@graph": [{"id": "did:example:a"}]}, "DATA_LOSS_DETECTION_ERROR"),
    "graph-free-floating-value": ({"graphOf": "x"}, "DATA_LOSS_DETECTION_ERROR"),
    "graph-bare-id": ({"graphOf": {"id": "did:example:a"}}, "DATA_LOSS_DETECTION_ERROR"),
    "null-value-object": ({"plain": {"@value": None}}, "DATA_LOSS_DETECTION_ERROR"),
    "language-only-object": ({"plain": {"@language": "en"}}, "DATA_LOSS_DETECTION_ERROR"),
    "language-on-non-string": ({"plain": {"@value": 5, "@language": "en"}}, "INVALID_JSON_LD"),
    "language-tag-invalid": (
        {"plain": {"@value": "x", "@language": "en> <x"}},
        "INVALID_LANGUAGE_TAG",
    ),
    "direction-invalid": ({"plain": {"@value": "x", "@direction": "up"}}, "INVALID_JSON_LD"),
    "relative-id": ({"plain": {"id": "relative/path", "other": "x"}}, "DATA_LOSS_DETECTION_ERROR"),
    "relative-id-value": ({"link": "relative"}, "DATA_LOSS_DETECTION_ERROR"),
    "relative-vocab-value": ({"kind": "NotDefined"}, "DATA_LOSS_DETECTION_ERROR"),
    "relative-type": ({"type": "NotDefined"}, "DATA_LOSS_DETECTION_ERROR"),
    "relative-datatype": (
        {"plain": {"@value": "x", "@type": "NotDefined"}},
        "INVALID_JSON_LD",
    ),
    "undefined-term": ({"notDefined": "x"}, "DATA_LOSS_DETECTION_ERROR"),
    "blank-node-predicate": ({"_:b0": "x"}, "DATA_LOSS_DETECTION_ERROR"),
    "integer-not-a-double": ({"number": 2**53 + 1}, "NUMBER_NOT_REPRESENTABLE"),
    "double-needs-17-digits": ({"number": 0.1 + 0.2}, "NUMBER_PRECISION_LOSS"),
    "json-integer-not-a-double": ({"config": {"n": 2**60 + 1}}, "NUMBER_NOT_REPRESENTABLE"),
    "control-character": ({"plain": "a\u0001b"}, "CONTROL_CHARACTER"),
    "lone-surrogate": ({"plain": "a\ud800b"}, "INVALID_UNICODE"),
    "duplicate-spelling": (
        {"plain": ["1", {"@value": "1", "@type": f"{XSD}string"}]},
        "DUPLICATE_QUAD",
    ),
}

# id → (subject fields, an equivalent spelling that must canonicalize identically)
NOT_INFORMATION: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "key-order": ({"plain": "x", "other": "y"}, {"other": "y", "plain": "x"}),
    "array-order": ({"plain": ["a", "b"]}, {"plain": ["b", "a"]}),
    "repeated-value": ({"plain": ["a", "a"]}, {"plain": "a"}),
    "null-value": ({"plain": "a", "other": None}, {"plain": "a"}),
    "empty-array": ({"plain": "a", "other": []}, {"plain": "a"}),
    "empty-set": ({"plain": "a", "other": {"@set": []}}, {"plain": "a"}),
    "language-case": (
        {"plain": {"@value": "x", "@language": "EN-GB"}},
        {"plain": {"@value": "x", "@language": "en-gb"}},
    ),
    "number-spelling": ({"number": 1.0}, {"number": 1}),
    "large-number-spelling": ({"number": 1e20}, {"number": 100000000000000000000}),
    "blank-node-names": (
        {"alsoStated": [{"id": "_:x", "plain": "a"}], "link": "_:x"},
        {"alsoStated": [{"id": "_:y", "plain": "a"}], "link": "_:y"},
    ),
    "compact-iri-key": ({"plain": "x"}, {"ex:plain": "x"}),
    "explicit-string-type": ({"plain": "x"}, {"plain": {"@value": "x", "@type": f"{XSD}string"}}),
    "value-object": ({"plain": "x"}, {"plain": {"@value": "x"}}),
}


def _sign(doc: dict[str, Any]) -> dict[str, Any]:
    return add_proof(
        doc,
        KEY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(KEY.public),
        created=datetime(2026, 1, 1, tzinfo=UTC),
        contexts=_contexts(),
    )


def _verifies(doc: dict[str, Any]) -> bool:
    try:
        return bool(check_proofs(doc, now=NOW, contexts=_contexts()))
    except VCError:
        return False


@pytest.mark.parametrize("entry", sorted(SIGNED))
def test_signed_forms_break_the_proof_when_changed(entry: str) -> None:
    subject, change = SIGNED[entry]
    signed = _sign(_credential(**copy.deepcopy(subject)))
    assert _verifies(signed)
    tampered = copy.deepcopy(signed)
    change(tampered)
    assert tampered != signed
    assert not _verifies(tampered), f"{entry}: the change still verified"


@pytest.mark.parametrize("entry", sorted(REFUSED))
def test_refused_forms_fail_with_their_code(entry: str) -> None:
    subject, code = REFUSED[entry]
    doc = _credential(**subject)
    for canonicalize in (rdfc, rdfc_fast):
        with pytest.raises(VCError) as raised:
            canonicalize(doc, _contexts())
        assert raised.value.code == code, f"{entry} via {canonicalize.__name__}"
    with pytest.raises(VCError) as raised:
        _sign(doc)
    assert raised.value.code == code


@pytest.mark.parametrize("entry", sorted(NOT_INFORMATION))
def test_forms_that_are_not_information_canonicalize_alike(entry: str) -> None:
    subject, equivalent = NOT_INFORMATION[entry]
    first = rdfc(_credential(**subject), _contexts())
    assert first == rdfc(_credential(**equivalent), _contexts())
    assert first == rdfc_fast(_credential(**subject), _contexts())


def test_the_readme_lists_every_entry_and_nothing_else() -> None:
    readme = (Path(__file__).resolve().parents[4] / "vc_core/canon/README.md").read_text("utf-8")
    listed = {
        line.split("`")[1]
        for line in readme.splitlines()
        if line.startswith("| `") and line.count("`") >= 2
    }
    assert listed == set(SIGNED) | set(REFUSED) | set(NOT_INFORMATION)
