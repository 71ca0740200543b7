"""Proof creation and verification outcomes, each with its stable code (VC-DI 1.0 §4.4)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc_core.dataintegrity import (
    AUTHENTICATION,
    CLOCK_SKEW,
    CRYPTOSUITES,
    Expectations,
    add_proof,
    check_proofs,
    verify_proofs,
)
from vc_core.did import did_key, verification_method_id
from vc_core.errors import CanonicalizationError, ProofError, RegistryError, VCError
from vc_core.keys import KeyPair, PublicKey

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
    kw.setdefault("now", NOW)
    with pytest.raises(VCError) as err:
        verify_proofs(doc, **kw)
    return err.value.code


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_round_trip_and_issuer_binding(suite: str) -> None:
    report = verify_proofs(_sign(suite, created=NOW), now=NOW)
    assert report.results[0].issuer_controls_method is True
    assert report.verdict == "valid"
    foreign = _sign(suite, key=OTHER)
    refused = check_proofs(foreign, now=NOW)
    assert refused.results[0].issuer_controls_method is False
    assert refused.errors[0].code == "VERIFICATION_METHOD_NOT_CONTROLLED"
    relaxed = check_proofs(foreign, now=NOW, expect=Expectations(allow_uncontrolled_key=True))
    assert relaxed and relaxed.results[0].issuer_controls_method is False


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
    mine = Expectations(allow_uncontrolled_key=True)  # so a changed key reaches the signature
    for field, value, code in cases:
        doc = copy.deepcopy(signed)
        if value is None:
            del doc["proof"][field]
        else:
            doc["proof"][field] = value
        assert _code(doc, expect=mine) == code, field


def test_no_proof_is_not_verified() -> None:
    report = check_proofs(_doc(), now=NOW)
    assert not report
    assert report.results[0].error is not None
    assert report.results[0].error["code"] == "PROOF_MISSING"


def test_expected_purpose_challenge_and_domain() -> None:
    signed = _sign(
        "eddsa-rdfc-2022", proof_purpose=AUTHENTICATION, challenge="c-123", domain="bank.example"
    )
    ok = Expectations(proof_purpose=AUTHENTICATION, challenge="c-123", domain="bank.example")
    verify_proofs(signed, now=NOW, expect=ok)
    # A credential's proof must be for assertionMethod unless the caller says otherwise.
    assert _code(signed) == "MISMATCHED_PROOF_PURPOSE_ERROR"
    auth = {"proof_purpose": AUTHENTICATION}
    assert _code(signed, expect=Expectations(**auth, challenge="x")) == "INVALID_CHALLENGE_ERROR"
    assert _code(signed, expect=Expectations(**auth, domain="evil.example")) == (
        "INVALID_DOMAIN_ERROR"
    )
    verify_proofs(signed, now=NOW, expect=Expectations(any_purpose=True))
    # The challenge is signed: replacing it breaks the signature even without an expectation.
    tampered = copy.deepcopy(signed)
    tampered["proof"]["challenge"] = "other"
    assert _code(tampered, expect=ok) == "INVALID_CHALLENGE_ERROR"
    assert _code(tampered, expect=Expectations(any_purpose=True)) == "PROOF_VERIFICATION_ERROR"


def test_a_presentation_needs_authentication_by_its_holder() -> None:
    vp = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": did_key(KEY.public),
    }
    vm = verification_method_id(KEY.public)
    signed = add_proof(
        vp, KEY, cryptosuite="eddsa-jcs-2022", verification_method=vm, proof_purpose=AUTHENTICATION
    )
    verify_proofs(signed, now=NOW)
    asserted = add_proof(vp, KEY, cryptosuite="eddsa-jcs-2022", verification_method=vm)
    assert _code(asserted) == "MISMATCHED_PROOF_PURPOSE_ERROR"
    other = add_proof(
        vp,
        OTHER,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(OTHER.public),
        proof_purpose=AUTHENTICATION,
    )
    assert _code(other) == "VERIFICATION_METHOD_NOT_CONTROLLED"
    anonymous = {k: v for k, v in signed.items() if k != "holder"}
    assert _code(anonymous) == "VERIFICATION_METHOD_NOT_CONTROLLED"


def test_expired_proof() -> None:
    signed = _sign("eddsa-jcs-2022", expires=NOW)
    verify_proofs(signed, now=NOW - timedelta(seconds=1))
    assert _code(signed, now=NOW) == "PROOF_EXPIRED"
    verify_proofs(signed, now=NOW + timedelta(days=1), expect=Expectations(allow_expired=True))


def test_created_in_the_future_beyond_the_skew() -> None:
    signed = _sign("eddsa-rdfc-2022", created=NOW + CLOCK_SKEW + timedelta(seconds=1))
    assert _code(signed, now=NOW) == "PROOF_CREATED_IN_FUTURE"
    verify_proofs(signed, now=NOW + timedelta(seconds=1))  # within the skew
    verify_proofs(signed, now=NOW, expect=Expectations(allow_future_created=True))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "VCDM_CONTEXT_INVALID"),
        ({"@context": V2}, "VCDM_CONTEXT_INVALID"),
        ({"type": ["AlumniCredential"]}, "VCDM_TYPE_INVALID"),
        ({"issuer": None}, "VCDM_ISSUER_INVALID"),
        ({"issuer": {"name": "no id"}}, "VCDM_ISSUER_INVALID"),
    ],
)
def test_vcdm_rules_the_proof_does_not_catch(change: dict[str, Any], code: str) -> None:
    # Checked before any proof, so the document's own rule is what the report names.
    signed = {k: v for k, v in {**_sign("eddsa-jcs-2022"), **change}.items() if v is not None}
    report = check_proofs(signed, now=NOW, expect=Expectations(allow_uncontrolled_key=True))
    assert not report and report.results == ()
    assert report.document_error is not None and report.document_error["code"] == code
    assert report.verdict == "invalid"


def test_a_resolver_fault_is_could_not_check_never_invalid() -> None:
    def unreachable(vm: str, purpose: str) -> PublicKey:
        raise RegistryError("registry unreachable", code="REGISTRY_UNAVAILABLE")

    signed = _sign("eddsa-rdfc-2022")
    report = check_proofs(signed, now=NOW, resolver=unreachable)
    assert not report and report.verdict == "could not check" and report.exit_code == 3
    assert _code(signed, resolver=unreachable) == "REGISTRY_UNAVAILABLE"
    # A definite failure in another proof outranks it: the document is invalid.
    both = add_proof(
        signed,
        KEY,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(KEY.public),
    )
    both["proof"][1]["proofValue"] = "z111"
    mixed = check_proofs(both, now=NOW, resolver=unreachable)
    assert mixed.verdict == "invalid" and mixed.exit_code == 1
    assert _code(both, resolver=unreachable) == "MALFORMED_PROOF_ERROR"
    # The offline default cannot resolve did:ecert keys: could not check, not invalid.
    ecert_vm = "did:ecert:unit:traffic-police#key-1"
    doc = {**_doc(), "issuer": "did:ecert:unit:traffic-police"}
    signed = add_proof(doc, KEY, cryptosuite="eddsa-jcs-2022", verification_method=ecert_vm)
    offline = check_proofs(signed, now=NOW)
    assert offline.verdict == "could not check"
    assert offline.errors[0].code == "DID_NOT_RESOLVABLE_OFFLINE"


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
    foreign = Expectations(allow_uncontrolled_key=True)  # OTHER is not the issuer's key
    assert len(verify_proofs(both, now=NOW, expect=foreign).results) == 2
    broken = copy.deepcopy(both)
    broken["proof"][0]["proofValue"] = broken["proof"][1]["proofValue"]
    report = check_proofs(broken, now=NOW, expect=foreign)
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
    foreign = Expectations(allow_uncontrolled_key=True)  # OTHER is not the issuer's key
    verify_proofs(chained, now=NOW, expect=foreign)
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
    report = check_proofs(swapped, now=NOW, expect=foreign)
    assert [r.verified for r in report.results] == [True, False]
