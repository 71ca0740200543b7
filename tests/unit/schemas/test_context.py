"""The ecert JSON-LD context: shape, protection, and agreement with the JSON Schemas.

The context is used after ``https://www.w3.org/ns/credentials/v2``. Each credential type carries a
protected, propagating type-scoped context with its subject's terms; these tests keep that
context and the five JSON Schemas describing the same set of properties.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from pyld.documentloader.frozen import BUNDLED_CONTEXTS

VOCAB = "https://ecert.example/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
TYPES = [
    "BusinessLicenceCredential",
    "DriverLicenceCredential",
    "ProfessionalLicenceCredential",
    "PropertyDeedCredential",
    "SocialCreditRecordCredential",
]


def _load(name: str) -> Any:
    return json.loads(resources.files("schemas").joinpath(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    document: dict[str, Any] = _load("context.jsonld")
    return document["@context"]


@pytest.fixture(scope="module")
def schema() -> Any:
    """``schema("PropertyDeedCredential")`` → the parsed JSON Schema of that type."""
    return lambda type_name: _load(f"{type_name}.schema.json")


def _terms(ctx: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ctx.items() if not k.startswith("@")}


def _all_term_names(ctx: Any) -> Iterator[str]:
    """Every term a context defines, at any depth of its scoped contexts."""
    if not isinstance(ctx, dict):
        return
    for key, value in ctx.items():
        if not key.startswith("@"):
            yield key
        if isinstance(value, dict) and "@context" in value:
            yield from _all_term_names(value["@context"])


def _credentials_v2_terms() -> set[str]:
    with open(BUNDLED_CONTEXTS[CREDENTIALS_V2], encoding="utf-8") as handle:
        return set(_all_term_names(json.load(handle)["@context"]))


def _schema_properties(node: Any) -> Iterator[str]:
    """Every property name a JSON Schema declares, walking it recursively (including $defs)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _schema_properties(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_properties(item)


def _iri(definition: Any) -> str:
    return str(definition if isinstance(definition, str) else definition["@id"])


def test_context_header(context: dict[str, Any]) -> None:
    assert context["@version"] == 1.1
    assert context["@protected"] is True
    assert "@vocab" not in context, "a @vocab would silently define every undefined term"


def test_top_level_terms_are_exactly_the_credential_types(context: dict[str, Any]) -> None:
    assert sorted(_terms(context)) == TYPES
    for name, definition in _terms(context).items():
        assert definition["@id"] == VOCAB + name
        scoped = definition["@context"]
        assert scoped["@protected"] is True
        assert scoped["@propagate"] is True, "subject terms must reach credentialSubject"


def test_every_iri_is_in_the_ecert_vocabulary(context: dict[str, Any]) -> None:
    for type_name in TYPES:
        for term, definition in _terms(context[type_name]["@context"]).items():
            assert _iri(definition) == VOCAB + term
            if isinstance(definition, dict):
                assert set(definition) <= {"@id", "@type"}
                assert definition.get("@type", XSD + "date") in (XSD + "date", XSD + "decimal")


def test_no_term_redefines_one_of_credentials_v2(context: dict[str, Any]) -> None:
    # credentials v2 is @protected: redefining any of its terms, top-level or type-scoped (our
    # terms propagate into proofs and status entries), is a JSON-LD processing error.
    ours = set(_all_term_names(context))
    assert ours.isdisjoint(_credentials_v2_terms())


def test_a_term_means_the_same_in_every_credential_type(context: dict[str, Any]) -> None:
    seen: dict[str, Any] = {}
    for type_name in TYPES:
        for term, definition in _terms(context[type_name]["@context"]).items():
            assert seen.setdefault(term, definition) == definition, term


def test_credential_types_sort_before_verifiable_credential() -> None:
    # JSON-LD 1.1 Expansion applies type-scoped contexts in lexicographic order of the types. The
    # VerifiableCredential context does not propagate, so on entering credentialSubject the
    # processor reverts to the context active before it; ours must already be in that context,
    # hence every ecert type must sort before "VerifiableCredential".
    assert all(name < "VerifiableCredential" for name in TYPES)


@pytest.mark.parametrize("type_name", TYPES)
def test_schema_and_context_define_the_same_properties(
    type_name: str, context: dict[str, Any], schema: Any
) -> None:
    vcdm = _credentials_v2_terms() | {"@context"}
    in_schema = set(_schema_properties(schema(type_name))) - vcdm
    in_context = set(_terms(context[type_name]["@context"]))
    assert in_schema - in_context == set(), "properties with no term in the context"
    assert in_context - in_schema == set(), "terms no schema uses"


def test_every_type_term_is_used_by_its_schema(context: dict[str, Any], schema: Any) -> None:
    for type_name in _terms(context):
        contains = schema(type_name)["properties"]["type"]["allOf"]
        assert {"contains": {"const": type_name}} in contains


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {
            **root["$defs"][node["$ref"].rsplit("/", 1)[1]],
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    return node


def _property_schemas(root: dict[str, Any], node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    if isinstance(sub, dict):
                        yield name, _resolve(root, sub)
            yield from _property_schemas(root, value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_schemas(root, item)


@pytest.mark.parametrize("type_name", TYPES)
def test_typed_terms_match_the_schema(type_name: str, context: dict[str, Any], schema: Any) -> None:
    # A term coerced to xsd:date must hold an ISO date; one coerced to xsd:decimal must be a
    # string (a JSON number would become an xsd:double lexical form under RDF conversion).
    root = schema(type_name)
    scoped = _terms(context[type_name]["@context"])
    for name, prop in _property_schemas(root, root):
        coerced = scoped.get(name, {}).get("@type") if isinstance(scoped.get(name), dict) else None
        if coerced == XSD + "date":
            assert prop.get("format") == "date", name
        elif coerced == XSD + "decimal":
            assert prop.get("type") == "string" and "pattern" in prop, name
