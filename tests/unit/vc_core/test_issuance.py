"""Issuance as a library call: what it refuses (each with its code) and what it signs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.dataintegrity import CRYPTOSUITES, verify_proofs
from vc_core.did import did_key
from vc_core.errors import (
    CanonicalizationError,
    IdentifierError,
    MalformedError,
    SchemaError,
    VCError,
)
from vc_core.issuance import IssuanceCode, issue_credential
from vc_core.keys import KeyPair, PublicKey

KEY = KeyPair.from_seed(bytes(range(32)))
NOW = datetime(2024, 5, 1, tzinfo=UTC)  # inside every bundled example's validity period
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = sorted(
    p.name
    for p in resources.files("schemas").joinpath("examples").iterdir()
    if p.name.endswith(".json")
)


def _example(name: str) -> dict[str, Any]:
    text = resources.files("schemas").joinpath("examples", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:holder"},
    }
    doc.update(fields)
    return doc


@pytest.mark.parametrize("suite", CRYPTOSUITES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_issues_and_verifies(example: str, suite: str) -> None:
    draft = _example(example)
    before = copy.deepcopy(draft)
    signed = issue_credential(draft, KEY, suite=suite, now=NOW)
    assert draft == before  # the caller's document is left as it was
    assert signed["issuer"] == did_key(KEY.public)
    assert signed["proof"]["created"] == "2024-05-01T00:00:00Z"
    assert verify_proofs(signed, now=NOW)


@settings(max_examples=80, deadline=None)
@given(
    start=st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
    end=st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
)
def test_the_validity_period_decides_exactly_as_vcdm_says(
    start: int | None, end: int | None
) -> None:
    fields = {}
    if start is not None:
        fields["validFrom"] = _stamp(NOW + timedelta(days=start))
    if end is not None:
        fields["validUntil"] = _stamp(NOW + timedelta(days=end))
    inverted = start is not None and end is not None and end <= start
    over = end is not None and end <= 0
    try:
        signed = issue_credential(_plain(**fields), KEY, suite="eddsa-jcs-2022", now=NOW)
    except SchemaError as exc:
        expected = (
            IssuanceCode.VALIDITY_PERIOD_INVALID if inverted else IssuanceCode.VALIDITY_PERIOD_OVER
        )
        assert (inverted or over) and exc.code == expected and exc.field == "validUntil"
    else:
        assert not (inverted or over)
        assert verify_proofs(signed, now=NOW)


def test_valid_until_equal_to_now_is_already_over() -> None:
    with pytest.raises(SchemaError) as exc:
        issue_credential(_plain(validUntil=_stamp(NOW)), KEY, suite="eddsa-jcs-2022", now=NOW)
    assert exc.value.code == IssuanceCode.VALIDITY_PERIOD_OVER
    later = NOW + timedelta(seconds=1)
    assert issue_credential(_plain(validUntil=_stamp(later)), KEY, suite="eddsa-jcs-2022", now=NOW)


def test_an_expired_ecert_credential_is_refused_after_its_schema_passes() -> None:
    doc = _example("social-credit-record.json")  # valid until 2024-06-01T00:00:00+08:00
    with pytest.raises(SchemaError) as exc:
        issue_credential(doc, KEY, suite="eddsa-rdfc-2022", now=datetime(2024, 6, 1, tzinfo=UTC))
    assert exc.value.code == IssuanceCode.VALIDITY_PERIOD_OVER
    doc["validUntil"] = doc["validFrom"]
    with pytest.raises(SchemaError) as exc:
        issue_credential(doc, KEY, suite="eddsa-rdfc-2022", now=NOW)
    assert exc.value.code == IssuanceCode.VALIDITY_PERIOD_INVALID


def _mismatched(draft: dict[str, Any]) -> dict[str, Any]:
    return draft | {"issuer": "did:ecert:demo:traffic-police"}


@pytest.mark.parametrize(
    ("draft", "options", "error", "code"),
    [
        (_plain(), {"suite": "eddsa-2099"}, MalformedError, IssuanceCode.UNKNOWN_CRYPTOSUITE),
        (_plain(), {"now": datetime(2024, 5, 1)}, MalformedError, IssuanceCode.INVALID_DATETIME),
        (_mismatched(_plain()), {}, MalformedError, IssuanceCode.ISSUER_KEY_MISMATCH),
        (
            _plain(issuer={"id": "did:example:someone"}),
            {},
            MalformedError,
            IssuanceCode.ISSUER_KEY_MISMATCH,
        ),
        (
            _plain(),
            {"verification_method": f"{did_key(KEY.public)}#z6MkOther"},
            MalformedError,
            IssuanceCode.ISSUER_KEY_MISMATCH,
        ),
        (_plain(type=["Credential"]), {}, MalformedError, "MALFORMED_CREDENTIAL"),
        (_plain(**{"@context": ["https://example.com/v1"]}), {}, MalformedError,
         "MALFORMED_CREDENTIAL"),
        (_plain(validUntil="2025-01-01"), {}, MalformedError, "MALFORMED_CREDENTIAL"),
        (_plain(favouriteColour="blue"), {}, CanonicalizationError, "DATA_LOSS_DETECTION_ERROR"),
    ],
)  # fmt: skip
def test_refusals_have_stable_codes(
    draft: dict[str, Any], options: dict[str, Any], error: type[VCError], code: str
) -> None:
    kwargs: dict[str, Any] = {"suite": "eddsa-rdfc-2022", "now": NOW} | options
    with pytest.raises(error) as exc:
        issue_credential(draft, KEY, **kwargs)
    assert exc.value.code == code


def test_schema_and_identifiers_are_checked_as_before() -> None:
    doc = _example("business-licence.json")
    doc["credentialSubject"]["unifiedSocialCreditCode"] = "91350100M000100Y44"
    with pytest.raises(IdentifierError) as exc:
        issue_credential(doc, KEY, suite="eddsa-jcs-2022", now=NOW)
    assert exc.value.field == "credentialSubject.unifiedSocialCreditCode"
    doc = _example("driver-licence.json")
    del doc["credentialSubject"]["name"]
    with pytest.raises(SchemaError) as exc:
        issue_credential(doc, KEY, suite="eddsa-jcs-2022", now=NOW)
    assert exc.value.field == "credentialSubject.name"


def test_an_office_issues_with_its_did_ecert_key() -> None:
    office = "did:ecert:demo:traffic-police"
    vm = f"{office}#{KEY.public.multibase}"
    draft = _example("driver-licence.json") | {"issuer": office}
    signed = issue_credential(draft, KEY, suite="eddsa-rdfc-2022", now=NOW, verification_method=vm)
    assert signed["issuer"] == office and signed["proof"]["verificationMethod"] == vm

    def office_key(method: str, purpose: str) -> PublicKey:
        assert (method, purpose) == (vm, "assertionMethod")
        return KEY.public

    assert verify_proofs(signed, now=NOW, resolver=office_key)
