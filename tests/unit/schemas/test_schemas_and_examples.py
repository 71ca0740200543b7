"""The JSON Schemas and the unsigned examples shipped in the ``schemas`` package.

Every example must validate against its published schema alone (any Draft 2020-12 validator) and
canonicalize under strict RDFC with local contexts only, also once signing adds an issuer, a
status entry and a proof, and when a presentation embeds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from vc_core.canon import default_contexts, rdfc
from vc_core.errors import CanonicalizationError

EXAMPLES = {
    "driver-licence.json": "DriverLicenceCredential",
    "business-licence.json": "BusinessLicenceCredential",
    "professional-licence.json": "ProfessionalLicenceCredential",
    "property-deed.json": "PropertyDeedCredential",
    "social-credit-record.json": "SocialCreditRecordCredential",
}
ENVELOPE = {
    "@context",
    "id",
    "name",
    "description",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialStatus",
    "credentialSchema",
    "proof",
    "evidence",
    "relatedResource",
}


def _load(name: str) -> Any:
    return json.loads(resources.files("schemas").joinpath(name).read_text(encoding="utf-8"))


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    """``example("property-deed.json")`` → a fresh parsed copy of that example."""
    return lambda name: _load(f"examples/{name}")


@pytest.fixture
def schema() -> Callable[[str], dict[str, Any]]:
    """``schema("PropertyDeedCredential")`` → that type's parsed JSON Schema."""
    return lambda type_name: _load(f"{type_name}.schema.json")


def test_schemas_package_keeps_its_init() -> None:
    assert resources.files("schemas").joinpath("__init__.py").is_file()


def test_every_example_file_is_listed() -> None:
    shipped = {p.name for p in resources.files("schemas").joinpath("examples").iterdir()}
    assert shipped == set(EXAMPLES)


@pytest.mark.parametrize("type_name", sorted(EXAMPLES.values()))
def test_schema_is_valid_draft_2020_12(type_name: str, schema: Callable[[str], Any]) -> None:
    document = schema(type_name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"https://ecert.example/schemas/{type_name}.schema.json"
    assert set(document["properties"]) == ENVELOPE | {"type", "credentialSubject"}
    assert document["additionalProperties"] is False
    assert "issuer" not in document["required"], "an unsigned draft has no issuer yet"


def test_the_envelope_is_the_same_in_every_schema(schema: Callable[[str], Any]) -> None:
    # The schemas are self-contained files; this keeps their shared VCDM parts from drifting.
    documents = [schema(t) for t in sorted(EXAMPLES.values())]
    first = documents[0]
    for other in documents[1:]:
        for key in ENVELOPE:
            assert other["properties"][key] == first["properties"][key], key
        shared = set(first["$defs"]) & set(other["$defs"]) - {"subject"}
        for key in shared:
            assert other["$defs"][key] == first["$defs"][key], key
        assert other["required"] == first["required"]


@pytest.mark.parametrize(("file_name", "type_name"), sorted(EXAMPLES.items()))
def test_example_validates_against_its_published_schema(
    file_name: str,
    type_name: str,
    example: Callable[[str], Any],
    schema: Callable[[str], Any],
) -> None:
    validator = Draft202012Validator(
        schema(type_name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(example(file_name))] == []


@pytest.mark.parametrize("file_name", sorted(EXAMPLES))
def test_example_is_an_unsigned_draft(file_name: str, example: Callable[[str], Any]) -> None:
    doc = example(file_name)
    assert "issuer" not in doc and "proof" not in doc
    assert re.fullmatch(
        r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", doc["id"]
    )
    assert doc["validFrom"] < doc["validUntil"]


def test_property_deed_is_the_rich_benchmark(example: Callable[[str], Any]) -> None:
    subject = example("property-deed.json")["credentialSubject"]
    assert len(subject["owners"]) == 2
    assert [e["kind"] for e in subject["encumbrances"]] == ["mortgage"]


@pytest.mark.parametrize("file_name", sorted(EXAMPLES))
def test_example_canonicalizes_strictly(file_name: str, example: Callable[[str], Any]) -> None:
    nquads = rdfc(example(file_name), default_contexts())
    assert "https://ecert.example/vocab#" in nquads
    assert nquads.endswith("\n")


def test_coercions_reach_the_quads(example: Callable[[str], Any]) -> None:
    nquads = rdfc(example("property-deed.json"), default_contexts())
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert f'<https://ecert.example/vocab#area> "89.56"^^<{xsd}decimal>' in nquads
    assert f'<https://ecert.example/vocab#share> "0.6"^^<{xsd}decimal>' in nquads
    assert f'<https://ecert.example/vocab#registeredOn> "2023-06-12"^^<{xsd}date>' in nquads


def _signed(doc: dict[str, Any]) -> dict[str, Any]:
    """What signing adds: an issuer, a status entry and a Data Integrity proof (all v2 terms)."""
    return {
        **doc,
        "issuer": "did:ecert:chengdu:real-estate-centre",
        "credentialStatus": {
            "id": "https://registry.ecert.example/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://registry.ecert.example/status/1",
        },
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2024-03-01T00:00:00Z",
            "verificationMethod": "did:ecert:chengdu:real-estate-centre#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22",
        },
    }


@pytest.mark.parametrize("file_name", sorted(EXAMPLES))
def test_signed_example_canonicalizes(file_name: str, example: Callable[[str], Any]) -> None:
    # Our terms propagate into the proof and status nodes; none may clash with the terms that
    # credentials v2 scopes to DataIntegrityProof and BitstringStatusListEntry.
    nquads = rdfc(_signed(example(file_name)), default_contexts())
    assert "https://w3id.org/security#DataIntegrityProof" in nquads


def test_presentation_embedding_an_example_canonicalizes(example: Callable[[str], Any]) -> None:
    presentation = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://ecert.example/credentials/v1",
        ],
        "type": ["VerifiablePresentation"],
        "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "verifiableCredential": [_signed(example("property-deed.json"))],
    }
    nquads = rdfc(presentation, default_contexts())
    assert "https://ecert.example/vocab#PropertyDeedCredential" in nquads


def test_an_undefined_subject_property_is_an_error(example: Callable[[str], Any]) -> None:
    doc = example("property-deed.json")
    doc["credentialSubject"]["floorPlan"] = "三室两厅"
    with pytest.raises(CanonicalizationError) as info:
        rdfc(doc, default_contexts())
    assert info.value.field == "floorPlan"
