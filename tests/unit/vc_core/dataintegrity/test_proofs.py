"""Proof creation and verification outcomes, each with its stable code (VC-DI 1.0 §4.4)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc_core.dataintegrity import (
    AUTHENTICATION,
    CRYPTOSUITES,
    Expectations,
    add_proof,
    check_proofs,
    verify_proofs,
)
from vc_core.did import did_key, verification_method_id
from vc_core.errors import CanonicalizationError, ProofError, VCError
from vc_core.keys import KeyPair

V2 = "https://www.w3.org/ns/credentials/v2"
KEY = KeyPair.from_seed(bytes(range(32)))
OTHER = KeyPair.from_seed(bytes(range(1, 33)))
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _doc() -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": did_key(KEY.public),
        "credentialSubject": {"id": "did:example:1"},
    }


def _sign(suite: str, key: KeyPair = KEY, **kw: Any) -> dict[str, Any]:
    return add_proof(
        _doc(), key, cryptosuite=suite, verification_method=verification_method_id(key.public), **kw
    )


def _code(doc: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(VCError) as err:
        verify_proofs(doc, **kw)
    return err.value.code


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_round_trip_and_issuer_binding(suite: str) -> None:
    report = verify_proofs(_sign(suite, created=NOW))
    assert report.results[0].issuer_controls_method is True
    foreign = _sign(suite, key=OTHER)
    assert check_proofs(foreign).results[0].issuer_controls_method is False


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_proof_field_errors(suite: str) -> None:
    signed = _sign(suite)
    cases: list[tuple[str, Any, str]] = [
        ("type", "Ed25519Signature2020", "PROOF_VERIFICATION_ERROR"),
        ("cryptosuite", "ecdsa-rdfc-2019", "PROOF_VERIFICATION_ERROR"),
        ("proofValue", "uAAAA", "MALFORMED_PROOF_ERROR"),
        ("proofValue", "z111", "MALFORMED_PROOF_ERROR"),
        ("proofValue", "z0OIl", "MALFORMED_PROOF_ERROR"),
        ("verificationMethod", None, "MALFORMED_PROOF_ERROR"),
        ("proofPurpose", None, "MALFORMED_PROOF_ERROR"),
        ("created", "yesterday", "MALFORMED_PROOF_ERROR"),
        ("verificationMethod", verification_method_id(OTHER.public), "PROOF_VERIFICATION_ERROR"),
        ("verificationMethod", "did:web:example.com#k", "UNSUPPORTED_DID_METHOD"),
    ]
    for field, value, code in cases:
        doc = copy.deepcopy(signed)
        if value is None:
            del doc["proof"][field]
        else:
            doc["proof"][field] = value
        assert _code(doc) == code, field


def test_no_proof_is_not_verified() -> None:
    report = check_proofs(_doc())
    assert not report
    assert report.results[0].error is not None
    assert report.results[0].error["code"] == "PROOF_MISSING"


def test_expected_purpose_challenge_and_domain() -> None:
    signed = _sign(
        "eddsa-rdfc-2022", proof_purpose=AUTHENTICATION, challenge="c-123", domain="bank.example"
    )
    ok = Expectations(proof_purpose=AUTHENTICATION, challenge="c-123", domain="bank.example")
    verify_proofs(signed, expect=ok)
    assert (
        _code(signed, expect=Expectations(proof_purpose="assertionMethod"))
        == "MISMATCHED_PROOF_PURPOSE_ERROR"
    )
    assert _code(signed, expect=Expectations(challenge="other")) == "INVALID_CHALLENGE_ERROR"
    assert _code(signed, expect=Expectations(domain="evil.example")) == "INVALID_DOMAIN_ERROR"
    # The challenge is signed: replacing it breaks the signature even without an expectation.
    tampered = copy.deepcopy(signed)
    tampered["proof"]["challenge"] = "other"
    assert _code(tampered) == "PROOF_VERIFICATION_ERROR"


def test_expired_proof() -> None:
    signed = _sign("eddsa-jcs-2022", expires=NOW)
    verify_proofs(signed, expect=Expectations(now=NOW - timedelta(seconds=1)))
    assert _code(signed, expect=Expectations(now=NOW)) == "PROOF_EXPIRED"


def test_jcs_context_must_equal_the_documents() -> None:
    signed = _sign("eddsa-jcs-2022")
    signed["proof"]["@context"] = [V2, "https://w3id.org/security/v2"]
    assert _code(signed) == "PROOF_VERIFICATION_ERROR"


def test_unknown_suite_at_signing() -> None:
    with pytest.raises(ProofError) as err:
        _sign("rsa-2048")
    assert err.value.code == "PROOF_GENERATION_ERROR"


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_undefined_term_refused_at_signing_and_verification(suite: str) -> None:
    doc = _doc()
    doc["credentialSubject"]["nickname"] = "x"
    with pytest.raises(CanonicalizationError, match="nickname"):
        add_proof(
            doc, KEY, cryptosuite=suite, verification_method=verification_method_id(KEY.public)
        )
    signed = _sign(suite)
    signed["credentialSubject"]["nickname"] = "x"
    assert _code(signed) == "DATA_LOSS_DETECTION_ERROR"


def test_proof_set_needs_every_proof() -> None:
    one = _sign("eddsa-rdfc-2022")
    both = add_proof(
        one,
        OTHER,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(OTHER.public),
    )
    assert len(verify_proofs(both).results) == 2
    broken = copy.deepcopy(both)
    broken["proof"][0]["proofValue"] = broken["proof"][1]["proofValue"]
    report = check_proofs(broken)
    assert not report
    assert [r.verified for r in report.results] == [False, True]


def test_chain_signs_previous_proof() -> None:
    first = add_proof(
        _doc(),
        KEY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(KEY.public),
        proof_id="urn:uuid:1",
    )
    chained = add_proof(
        first,
        OTHER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(OTHER.public),
        previous_proof="urn:uuid:1",
    )
    verify_proofs(chained)
    # Swapping the first proof for another valid proof by the same key breaks the chain link.
    replaced = add_proof(
        _doc(),
        KEY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(KEY.public),
        proof_id="urn:uuid:1",
        created=NOW,
    )
    swapped = copy.deepcopy(chained)
    swapped["proof"][0] = replaced["proof"]
    report = check_proofs(swapped)
    assert [r.verified for r in report.results] == [True, False]
