"""Credential types: registry, validate_credential (schema, identifiers, rules), subject_region."""

from __future__ import annotations

import copy
import doctest
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

import vc_core.credential_types
from vc_core.credential_types import (
    CREDENTIAL_TYPES,
    credential_schema,
    credential_type_of,
    example_credential,
    subject_region,
    validate_credential,
)
from vc_core.errors import IdentifierError, SchemaError

Doc = dict[str, Any]


@pytest.fixture
def example() -> Callable[[str], Doc]:
    """``example("PropertyDeedCredential")`` → a fresh copy of that type's unsigned example."""
    return example_credential


def test_docstring_example_runs() -> None:
    assert doctest.testmod(vc_core.credential_types).failed == 0


def test_registry_has_the_five_types() -> None:
    assert set(CREDENTIAL_TYPES) == {
        "DriverLicenceCredential",
        "BusinessLicenceCredential",
        "ProfessionalLicenceCredential",
        "PropertyDeedCredential",
        "SocialCreditRecordCredential",
    }
    for name, entry in CREDENTIAL_TYPES.items():
        assert entry.name == name
        assert credential_schema(name)["$id"].endswith(f"/{name}.schema.json")


@pytest.mark.parametrize("type_name", sorted(CREDENTIAL_TYPES))
def test_every_example_validates(type_name: str, example: Callable[[str], Doc]) -> None:
    assert validate_credential(example(type_name), today=date(2024, 3, 1)) == type_name


@pytest.mark.parametrize(
    ("type_name", "region"),
    [
        ("DriverLicenceCredential", "510100"),
        ("BusinessLicenceCredential", "350100"),
        ("ProfessionalLicenceCredential", "510000"),
        ("PropertyDeedCredential", "510104"),
        ("SocialCreditRecordCredential", "510104"),
    ],
)
def test_subject_region(type_name: str, region: str, example: Callable[[str], Doc]) -> None:
    assert subject_region(example(type_name)) == region


def test_subject_region_names_a_missing_field(example: Callable[[str], Doc]) -> None:
    doc = example("BusinessLicenceCredential")
    del doc["credentialSubject"]["unifiedSocialCreditCode"]
    with pytest.raises(SchemaError) as info:
        subject_region(doc)
    assert info.value.field == "credentialSubject.unifiedSocialCreditCode"


def test_subject_region_refuses_a_malformed_identifier(example: Callable[[str], Doc]) -> None:
    doc = example("PropertyDeedCredential")
    doc["credentialSubject"]["unitNumber"] = "990104003002GB00012F00010023"
    with pytest.raises(IdentifierError) as info:
        subject_region(doc)
    assert info.value.field == "credentialSubject.unitNumber"


# credential_type_of


@pytest.mark.parametrize(
    ("types", "code"),
    [
        (["VerifiableCredential"], "CREDENTIAL_TYPE_UNKNOWN"),
        (["VerifiableCredential", "DiplomaCredential"], "CREDENTIAL_TYPE_UNKNOWN"),
        (None, "CREDENTIAL_TYPE_UNKNOWN"),
        (42, "CREDENTIAL_TYPE_UNKNOWN"),
        (
            ["VerifiableCredential", "PropertyDeedCredential", "DriverLicenceCredential"],
            "CREDENTIAL_TYPE_AMBIGUOUS",
        ),
    ],
)
def test_credential_type_of_rejects(types: object, code: str) -> None:
    with pytest.raises(SchemaError) as info:
        credential_type_of({"type": types})
    assert (info.value.code, info.value.field) == (code, "type")


def test_credential_type_of_accepts_a_single_string() -> None:
    assert credential_type_of({"type": "PropertyDeedCredential"}) == "PropertyDeedCredential"


def test_validate_refuses_what_is_not_an_object() -> None:
    with pytest.raises(SchemaError) as info:
        validate_credential([])  # type: ignore[arg-type]
    assert info.value.code == "NOT_AN_OBJECT"
    assert info.value.details["errors"][0]["code"] == "NOT_AN_OBJECT"


# Invalid credentials: (type, what to change, error class, code, field, fragments of the message).


def _set(path: str, value: object) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *parents, last = _parts(path)
        target: Any = doc
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _delete(path: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *parents, last = _parts(path)
        target: Any = doc
        for part in parents:
            target = target[part]
        del target[last]

    return change


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split("/")]


DEED = "PropertyDeedCredential"
INVALID: list[tuple[str, Callable[[Doc], None], type[Exception], str, str, list[str]]] = [
    # A wrong check digit, an impossible birth date and a missing field, each named.
    (
        DEED,
        _set("credentialSubject/owners/1/idNumber", "510107198807214268"),
        IdentifierError,
        "RESIDENT_ID_CHECK_CHARACTER_MISMATCH",
        "credentialSubject.owners[1].idNumber",
        ["credentialSubject.owners[1].idNumber", "should be '9' but is '8'"],
    ),
    (
        "DriverLicenceCredential",
        _set("credentialSubject/licenceNumber", "510105199202300286"),
        IdentifierError,
        "RESIDENT_ID_INVALID_BIRTH_DATE",
        "credentialSubject.licenceNumber",
        ["credentialSubject.licenceNumber", "19920230", "not a real date"],
    ),
    (
        DEED,
        _delete("credentialSubject/area"),
        SchemaError,
        "SCHEMA_FIELD_MISSING",
        "credentialSubject.area",
        ["credentialSubject.area is required"],
    ),
    (
        "BusinessLicenceCredential",
        _set("credentialSubject/unifiedSocialCreditCode", "91350100M000100Y44"),
        IdentifierError,
        "USCC_CHECK_CHARACTER_MISMATCH",
        "credentialSubject.unifiedSocialCreditCode",
        ["should be '3' but is '4'"],
    ),
    (
        "SocialCreditRecordCredential",
        _set("credentialSubject/unifiedSocialCreditCode", "91510104MA6C5R7Q2I"),
        IdentifierError,
        "USCC_INVALID",
        "credentialSubject.unifiedSocialCreditCode",
        ["character 'I' at position 18"],
    ),
    (
        "ProfessionalLicenceCredential",
        _set("credentialSubject/divisionCode", "990000"),
        IdentifierError,
        "DIVISION_CODE_INVALID",
        "credentialSubject.divisionCode",
        ["'99'"],
    ),
    (
        "ProfessionalLicenceCredential",
        _set("credentialSubject/idNumber", "51012219870606153"),
        IdentifierError,
        "RESIDENT_ID_INVALID",
        "credentialSubject.idNumber",
        ["has 17 characters"],
    ),
    (
        DEED,
        _set("credentialSubject/owners/0/idType", "uscc"),
        IdentifierError,
        "USCC_INVALID",
        "credentialSubject.owners[0].idNumber",
        ["unified social credit code"],
    ),
    (
        DEED,
        _set("credentialSubject/certificateNumber", "川(2023)成都市不动产权第123456号"),
        IdentifierError,
        "PROPERTY_CERTIFICATE_NUMBER_INVALID",
        "credentialSubject.certificateNumber",
        ["7 digits and 号"],
    ),
    (
        DEED,
        _set("credentialSubject/certificateNumber", "川（2023）成都市不动产权第0123456号"),
        IdentifierError,
        "IDENTIFIER_NOT_NORMALIZED",
        "credentialSubject.certificateNumber",
        ["normalized form '川(2023)成都市不动产权第0123456号'"],
    ),
    (
        DEED,
        _set("credentialSubject/unitNumber", "510104003002GB00012K00010023"),
        IdentifierError,
        "PROPERTY_UNIT_NUMBER_INVALID",
        "credentialSubject.unitNumber",
        ["fixture feature code 'K'"],
    ),
    (
        DEED,
        _set("credentialSubject/owners/1/share", "0.3"),
        SchemaError,
        "OWNER_SHARES_INVALID",
        "credentialSubject.owners",
        ["sum to exactly 1", "0.6 + 0.3 = 0.9"],
    ),
    (
        DEED,
        _set("credentialSubject/owners/1/share", "0"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.owners[1].share",
        ["'0'"],
    ),
    (
        DEED,
        _set("credentialSubject/owners/1/share", 0.4),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.owners[1].share",
        ["not of type 'string'"],
    ),
    (
        DEED,
        _set("credentialSubject/term/until", "2003-05-19"),
        SchemaError,
        "TERM_INVALID",
        "credentialSubject.term.until",
        ["after term.from"],
    ),
    (
        DEED,
        _set("credentialSubject/term/until", "2083-02-30"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.term.until",
        ["'2083-02-30'"],
    ),
    (
        DEED,
        _set("validUntil", "2023-06-08T10:30:00+08:00"),
        SchemaError,
        "VALIDITY_PERIOD_INVALID",
        "validUntil",
        ["must be after validFrom"],
    ),
    (
        DEED,
        _set("validFrom", "2023-06-08"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "validFrom",
        ["dateTimeStamp"],
    ),
    (
        DEED,
        _delete("credentialSubject/encumbrances/0/currency"),
        SchemaError,
        "SCHEMA_FIELD_MISSING",
        "credentialSubject.encumbrances[0].currency",
        ["required when amount is given"],
    ),
    (
        DEED,
        _set("credentialSubject/encumbrances/0/kind", "lien"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.encumbrances[0].kind",
        ["'lien'"],
    ),
    (
        DEED,
        _set("credentialSubject/nickname", "老房子"),
        SchemaError,
        "SCHEMA_FIELD_NOT_ALLOWED",
        "credentialSubject.nickname",
        ["not a property"],
    ),
    (
        DEED,
        _set("@context", ["https://www.w3.org/ns/credentials/v2"]),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "@context",
        ["too short"],
    ),
    (
        DEED,
        _set("@context/1", "https://example.org/other/v1"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "@context[1]",
        ["https://ecert.example/credentials/v1"],
    ),
    (
        DEED,
        _set("type", ["PropertyDeedCredential"]),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "type",
        ["must include 'VerifiableCredential'"],
    ),
    (
        DEED,
        _delete("id"),
        SchemaError,
        "SCHEMA_FIELD_MISSING",
        "id",
        ["id is required"],
    ),
    (
        "DriverLicenceCredential",
        _set("credentialSubject/vehicleClasses", ["C1", "Z9"]),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.vehicleClasses[1]",
        ["'Z9'"],
    ),
    (
        "SocialCreditRecordCredential",
        _set("credentialSubject/creditStatus", "blacklisted"),
        SchemaError,
        "SCHEMA_FIELD_INVALID",
        "credentialSubject.creditStatus",
        ["'blacklisted'"],
    ),
]


@pytest.mark.parametrize(
    ("type_name", "change", "error_class", "code", "field", "says"),
    INVALID,
    ids=[f"{t}-{code}-{field}" for t, _, _, code, field, _ in INVALID],
)
def test_invalid_credential_is_rejected_naming_the_field(
    type_name: str,
    change: Callable[[Doc], None],
    error_class: type[Exception],
    code: str,
    field: str,
    says: list[str],
    example: Callable[[str], Doc],
) -> None:
    doc = example(type_name)
    change(doc)
    with pytest.raises(error_class) as info:
        validate_credential(doc)
    error = info.value
    assert isinstance(error, SchemaError)
    assert (error.code, error.field) == (code, field), error.message
    assert field in error.message
    for fragment in says:
        assert fragment in error.message, error.message
    assert error.details["errors"][0] == {
        k: v for k, v in error.to_dict().items() if k != "details"
    }


def test_shares_are_summed_exactly(example: Callable[[str], Doc]) -> None:
    # 0.2 + 0.7 + 0.1 is 1 in decimal arithmetic but not in binary floating point.
    doc = example(DEED)
    owner = doc["credentialSubject"]["owners"][0]
    doc["credentialSubject"]["owners"] = [
        {**owner, "share": share, "idType": "passport", "idNumber": f"E1234567{i}"}
        for i, share in enumerate(["0.2", "0.7", "0.1"])
    ]
    assert 0.2 + 0.7 + 0.1 != 1
    assert validate_credential(doc) == DEED


def test_issuer_is_required_only_when_asked(example: Callable[[str], Doc]) -> None:
    doc = example(DEED)
    assert validate_credential(doc, require_issuer=False) == DEED
    with pytest.raises(SchemaError) as info:
        validate_credential(doc, require_issuer=True)
    assert (info.value.code, info.value.field) == ("SCHEMA_FIELD_MISSING", "issuer")
    doc["issuer"] = "did:ecert:chengdu:real-estate-centre"
    assert validate_credential(doc, require_issuer=True) == DEED


def test_signed_shape_validates(example: Callable[[str], Doc]) -> None:
    doc = example(DEED)
    doc["issuer"] = {"id": "did:ecert:chengdu:real-estate-centre", "name": "成都市不动产登记中心"}
    doc["credentialStatus"] = {
        "id": "https://registry.ecert.example/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://registry.ecert.example/status/1",
    }
    doc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofValue": "z",
    }
    assert validate_credential(doc, require_issuer=True) == DEED


def test_birth_date_in_the_future_is_refused_when_today_is_given(
    example: Callable[[str], Doc],
) -> None:
    doc = example("DriverLicenceCredential")
    with pytest.raises(IdentifierError) as info:
        validate_credential(doc, today=date(1992, 3, 14))
    assert info.value.field == "credentialSubject.licenceNumber"
    assert "after today" in info.value.message


def test_all_errors_are_listed_and_the_first_is_deterministic(
    example: Callable[[str], Doc],
) -> None:
    doc = example(DEED)
    doc["credentialSubject"]["owners"][1]["idNumber"] = "510107198807214268"
    del doc["credentialSubject"]["area"]
    doc["credentialSubject"]["unitNumber"] = "510104003002GB00012K00010023"
    reordered = {key: doc[key] for key in reversed(list(doc))}
    reordered["credentialSubject"] = dict(reversed(list(doc["credentialSubject"].items())))
    raised = []
    for candidate in (doc, copy.deepcopy(reordered)):
        with pytest.raises(SchemaError) as info:
            validate_credential(candidate)
        raised.append(info.value)
    assert [e.field for e in raised] == ["credentialSubject.area"] * 2
    fields = [entry["field"] for entry in raised[0].details["errors"]]
    assert fields == [
        "credentialSubject.area",
        "credentialSubject.owners[1].idNumber",
        "credentialSubject.unitNumber",
    ]
    assert raised[0].details == raised[1].details


def test_identifier_error_replaces_the_vaguer_pattern_error(example: Callable[[str], Doc]) -> None:
    doc = example(DEED)
    doc["credentialSubject"]["unitNumber"] = "510104003002GB00012F0001002"
    with pytest.raises(IdentifierError) as info:
        validate_credential(doc)
    assert [e["code"] for e in info.value.details["errors"]] == ["PROPERTY_UNIT_NUMBER_INVALID"]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ([[], "DriverLicenceCredential"], "DriverLicenceCredential"),
        ([{"a": 1}], None),
        ([None, 5, True], None),
        ([["DriverLicenceCredential"]], None),
    ],
    ids=repr,
)
def test_a_type_list_of_anything_is_an_answer_not_a_crash(
    declared: list[Any], expected: str | None
) -> None:
    # Untrusted JSON: a list inside "type" used to raise TypeError (unhashable) here.
    doc = {"type": ["VerifiableCredential", *declared]}
    if expected is not None:
        assert credential_type_of(doc) == expected
    else:
        with pytest.raises(SchemaError) as raised:
            credential_type_of(doc)
        assert raised.value.code == "CREDENTIAL_TYPE_UNKNOWN"
