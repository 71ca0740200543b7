"""Text direction is signed: changing or removing ``@direction`` after signing breaks the proof.

Regression for the canonicalization-fidelity defect: RDFC used to run toRdf with
``rdfDirection`` null, which drops the direction of a string (JSON-LD 1.1 API §8.6), so an
``eddsa-rdfc-2022`` proof did not cover it. Names and addresses shown to people depend on it.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.canon.fast import rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import rdfc
from vc_core.dataintegrity import CRYPTOSUITES, add_proof, check_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.errors import VCError
from vc_core.keys import KeyPair

KEY = KeyPair.from_seed(bytes(range(32)))
EXAMPLES = {
    p.name
    for p in resources.files("schemas").joinpath("examples").iterdir()
    if p.name.endswith(".json")
}
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# An interoperability vector derived by hand from the specifications, not from our code:
#
# - credentials v2 maps ``name`` to https://schema.org/name and ``description`` to
#   https://schema.org/description, ``issuer`` and ``credentialSubject`` to @id-typed terms of
#   https://www.w3.org/2018/credentials#, and ``type`` to @type.
# - Expansion lowercases the language tag (jsonld.js and pyld alike: "ensure language value is
#   lowercase"), so "ar-EG" becomes "ar-eg".
# - With rdfDirection "i18n-datatype" (JSON-LD 1.1 API §8.6 step 13, as the reference
#   implementation's Data Integrity libraries call it), a string with a direction becomes a
#   literal typed https://www.w3.org/ns/i18n#<language>_<direction>, the language empty when
#   there is none: "…#ar-eg_rtl" and "…#_ltr". The literal carries no language tag then.
# - The credential has no id, so it is the only blank node; its first-degree hash is unique and
#   it becomes _:c14n0 (RDFC-1.0 §4.4.3 step 4).
# - Lines sort by code point (RDFC-1.0 §4.4.4): "http:" sorts before "https" (':' < 's'), and
#   "schema.org" before "www.w3.org".
DIRECTIONAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:issuer",
    "name": {"@value": "شهادة", "@language": "ar-EG", "@direction": "rtl"},
    "description": {"@value": "Licence", "@direction": "ltr"},
    "credentialSubject": {"id": "did:example:subject"},
}
DIRECTIONAL_NQUADS = (
    "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
    '_:c14n0 <https://schema.org/description> "Licence"^^<https://www.w3.org/ns/i18n#_ltr> .\n'
    '_:c14n0 <https://schema.org/name> "شهادة"^^<https://www.w3.org/ns/i18n#ar-eg_rtl> .\n'
    "_:c14n0 <https://www.w3.org/2018/credentials#credentialSubject> <did:example:subject> .\n"
    "_:c14n0 <https://www.w3.org/2018/credentials#issuer> <did:example:issuer> .\n"
)


def test_directional_strings_canonicalize_as_the_reference_implementation_does() -> None:
    ctx = default_contexts()
    assert rdfc(DIRECTIONAL, ctx) == DIRECTIONAL_NQUADS
    assert rdfc_fast(DIRECTIONAL, ctx) == DIRECTIONAL_NQUADS


def test_a_direction_set_by_a_context_is_signed_too() -> None:
    ctx = default_contexts().with_documents(
        {
            "https://ecert.example/test/direction/v1": {
                "@context": {
                    "@version": 1.1,
                    "rtlName": {"@id": "https://ex.example/#rtlName", "@direction": "rtl"},
                }
            }
        }
    )
    doc = {**copy.deepcopy(DIRECTIONAL), "rtlName": "عربي"}
    doc["@context"] = [*DIRECTIONAL["@context"], "https://ecert.example/test/direction/v1"]
    line = '<https://ex.example/#rtlName> "عربي"^^<https://www.w3.org/ns/i18n#_rtl> .'
    assert line in rdfc(doc, ctx)
    # The fast path declines context-level directions; the answer is the reference's.
    assert try_rdfc_fast(doc, ctx) is None
    assert rdfc_fast(doc, ctx) == rdfc(doc, ctx)


def _credential() -> dict[str, Any]:
    """An ecert business licence whose name, address and representative carry directions."""
    text = resources.files("schemas").joinpath("examples", "business-licence.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    doc["issuer"] = did_key(KEY.public)
    doc["name"] = {"@value": "رخصة تجارية", "@language": "ar", "@direction": "rtl"}
    subject = doc["credentialSubject"]
    subject["address"] = {"@value": subject["address"], "@language": "zh-Hans", "@direction": "ltr"}
    subject["legalRepresentative"] = {"@value": "أحمد", "@direction": "rtl"}
    return doc


def _sign(doc: dict[str, Any], suite: str) -> dict[str, Any]:
    return add_proof(
        doc,
        KEY,
        cryptosuite=suite,
        verification_method=verification_method_id(KEY.public),
        created=CREATED,
    )


def _verifies(doc: dict[str, Any]) -> bool:
    try:
        return bool(check_proofs(doc, now=CREATED, contexts=default_contexts()))
    except VCError:
        return False


def _directional_paths(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if "@direction" in node:
                out.append(path)
            for key, value in node.items():
                walk(value, (*path, key))

    walk(doc, ())
    return out


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = doc
    for step in path:
        node = node[step]
    assert isinstance(node, dict)
    return node


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_changing_or_removing_a_direction_breaks_the_proof(suite: str) -> None:
    signed = _sign(_credential(), suite)
    assert _verifies(signed)
    paths = _directional_paths(signed)
    assert len(paths) == 3
    for path in paths:
        for change in ("flip", "remove", "remove-language"):
            tampered = copy.deepcopy(signed)
            value = _at(tampered, path)
            if change == "flip":
                value["@direction"] = "ltr" if value["@direction"] == "rtl" else "rtl"
            elif change == "remove":
                del value["@direction"]
            elif "@language" in value:
                del value["@language"]
            else:
                value["@language"] = "ar"
            assert not _verifies(tampered), f"{change} at {path} still verified under {suite}"


LANGUAGES = st.sampled_from([None, "ar", "he", "fa-IR", "zh-Hans", "ug-Arab-CN", "EN", "ur"])


@st.composite
def directional_credentials(draw: st.DrawFn) -> dict[str, Any]:
    """An ecert example whose text fields (some, at random) carry a language and a direction."""
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    doc: dict[str, Any] = json.loads(
        resources.files("schemas").joinpath("examples", name).read_text(encoding="utf-8")
    )
    doc["issuer"] = did_key(KEY.public)
    subject = doc["credentialSubject"]
    texts = sorted(k for k, v in subject.items() if isinstance(v, str) and k not in ("id", "type"))
    chosen = draw(st.lists(st.sampled_from(texts), min_size=1, max_size=4, unique=True))
    for key in chosen:
        value: dict[str, Any] = {
            "@value": subject[key],
            "@direction": draw(st.sampled_from(["ltr", "rtl"])),
        }
        language = draw(LANGUAGES)
        if language is not None:
            value["@language"] = language
        subject[key] = value
    return doc


@given(doc=directional_credentials(), suite=st.sampled_from(CRYPTOSUITES))
@settings(max_examples=60, deadline=None)
def test_any_generated_direction_is_signed(doc: dict[str, Any], suite: str) -> None:
    signed = _sign(doc, suite)
    assert _verifies(signed)
    for path in _directional_paths(signed):
        flipped = copy.deepcopy(signed)
        value = _at(flipped, path)
        value["@direction"] = "ltr" if value["@direction"] == "rtl" else "rtl"
        assert not _verifies(flipped), f"flipping {path} still verified under {suite}"
        removed = copy.deepcopy(signed)
        del _at(removed, path)["@direction"]
        assert not _verifies(removed), f"removing {path} still verified under {suite}"
