"""Bounded parsing at the boundary, and frozen models that round-trip exactly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vc_core.errors import MalformedError
from vc_core.jsonio import parse_json, parse_object
from vc_core.models import Credential, Presentation, parse_datetime_stamp

V2 = "https://www.w3.org/ns/credentials/v2"
BASE = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "issuer": "did:key:z6Mk",
    "credentialSubject": {},
}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "NOT_JSON"),
        ("[1, 2]", "NOT_AN_OBJECT"),
        ('"x"', "NOT_AN_OBJECT"),
        ('{"a": 1, "a": 2}', "DUPLICATE_KEY"),
        ('{"a": NaN}', "NOT_JSON"),
        ('{"a": Infinity}', "NOT_JSON"),
        ("[" * 40 + "]" * 40, "TOO_DEEP"),
        ("[" * 100_000 + "]" * 100_000, "TOO_DEEP"),
        (b"\xff\xfe", "NOT_UTF8"),
    ],
)
def test_rejected_inputs(text: str | bytes, code: str) -> None:
    with pytest.raises(MalformedError) as err:
        parse_object(text, max_bytes=10_000_000)
    assert err.value.code == code


def test_size_limit() -> None:
    with pytest.raises(MalformedError) as err:
        parse_json('"' + "x" * 2000 + '"', max_bytes=1000)
    assert err.value.code == "TOO_LARGE"


def test_round_trip_keeps_unknown_properties_and_forms() -> None:
    doc = {
        **BASE,
        "type": "VerifiableCredential",
        "x-extra": {"n": 1.5},
        "validFrom": "2024-01-01T00:00:00Z",
    }
    doc["@context"] = [V2]
    doc["type"] = ["VerifiableCredential"]
    cred = Credential.from_dict(doc)
    assert cred.to_dict() == doc
    assert cred.issuer_id == "did:key:z6Mk"
    with pytest.raises(ValidationError):
        cred.id = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"@context": ["https://example.com"]}, "@context"),
        ({"type": ["Other"]}, "type"),
        ({"issuer": "no-scheme"}, "issuer"),
        ({"issuer": {"name": "x"}}, "issuer"),
        ({"validFrom": "2024-01-01"}, "validFrom"),
        ({"credentialSubject": "text"}, "credentialSubject"),
    ],
)
def test_structure_errors_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(MalformedError) as err:
        Credential.from_dict({**BASE, **change})
    assert field in (err.value.field or "")


def test_missing_required_field() -> None:
    doc = dict(BASE)
    del doc["credentialSubject"]
    with pytest.raises(MalformedError, match="credentialSubject"):
        Credential.from_dict(doc)


def test_presentation_requires_vp_type() -> None:
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "verifiableCredential": [BASE]}
    assert Presentation.from_dict(vp).credentials[0].issuer_id == "did:key:z6Mk"
    with pytest.raises(MalformedError):
        Presentation.from_dict({**vp, "type": ["VerifiableCredential"]})


@pytest.mark.parametrize("value", ["2024-02-30T00:00:00Z", "2024-01-01T00:00:00", "yesterday"])
def test_bad_datetimes(value: str) -> None:
    with pytest.raises(MalformedError):
        parse_datetime_stamp(value, field="validFrom")
