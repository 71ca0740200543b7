"""Verification over step 0's JCS bytes (``check_proofs(unsecured_jcs=…)``) reaches the same
outcome as verification that canonicalizes again, on good, tampered and hostile documents;
and the term check still runs when the bytes are given."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.canon.jcs import jcs_secured
from vc_core.dataintegrity import CRYPTOSUITES, add_proof, check_proofs
from vc_core.dataintegrity.suites import EddsaJcs2022
from vc_core.did import did_key, verification_method_id
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.primitives import multibase_encode

V2 = "https://www.w3.org/ns/credentials/v2"
KEY = KeyPair.from_seed(bytes(range(32)))
NOW = datetime(2026, 5, 1, tzinfo=UTC)
VM = verification_method_id(KEY.public)


def _doc() -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": did_key(KEY.public),
        "credentialSubject": {"id": "did:example:1", "name": "张三"},
        "validFrom": "2026-01-01T00:00:00Z",
    }


def _outcome(doc: dict[str, Any], *, shared: bool) -> tuple[bool, tuple[str, ...]]:
    given = None
    if shared:
        try:
            given = jcs_secured(doc)[1]
        except MalformedError:
            given = None  # step 0 refuses such a document; the proof step decides alone
    report = check_proofs(doc, now=NOW, unsecured_jcs=given)
    return bool(report), tuple(str(e.code) for e in report.errors)


def _both(doc: dict[str, Any]) -> tuple[bool, tuple[str, ...]]:
    plain = _outcome(doc, shared=False)
    assert _outcome(doc, shared=True) == plain
    return plain


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_signed_and_chained_documents_agree(suite: str) -> None:
    signed = add_proof(_doc(), KEY, cryptosuite=suite, verification_method=VM, proof_id="urn:p1")
    assert _both(signed) == (True, ())
    chained = add_proof(
        signed,
        KEY,
        cryptosuite="eddsa-jcs-2022",
        verification_method=VM,
        previous_proof="urn:p1",
    )
    assert _both(chained) == (True, ())


# Tampering that the shared bytes must see: every value of the document and the proof.
EDITS = st.sampled_from(
    [
        ("credentialSubject", {"id": "did:example:1", "name": "李四"}),
        ("validFrom", "2026-01-02T00:00:00Z"),
        ("issuer", "did:example:other"),
        ("extra", "x"),
        ("proof.created", "2026-01-01T00:00:00Z"),
        ("proof.cryptosuite", "eddsa-rdfc-2022"),
        ("proof.@context", [V2, "https://ecert.example/credentials/v1"]),
        ("validFrom", 1.5),
        ("credentialSubject", {"id": "did:example:1", "name": "\ud800"}),
        ("credentialSubject", {"id": "did:example:1", "name": "x", "\U0001f600": 1}),
    ]
)


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(EDITS, max_size=3), suite=st.sampled_from(CRYPTOSUITES))
def test_tampered_documents_agree(edits: list[tuple[str, Any]], suite: str) -> None:
    signed = add_proof(_doc(), KEY, cryptosuite=suite, verification_method=VM)
    doc = copy.deepcopy(signed)
    for where, value in edits:
        target, _, name = where.rpartition(".")
        (doc[target] if target else doc)[name] = copy.deepcopy(value)
    valid, _ = _both(doc)
    if doc == signed:
        assert valid


def test_terms_are_checked_when_the_bytes_are_given() -> None:
    # A JCS proof over a document with an undefined term, made without the term check, so the
    # signature itself is good: only the term check can refuse it.
    doc = _doc()
    doc["credentialSubject"]["nickname"] = "x"
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": VM,
        "proofPurpose": "assertionMethod",
        "@context": [V2],
    }
    suite = EddsaJcs2022(check_terms=False)
    forms = suite.canonical_forms(options, doc, default_contexts(), code="X")
    signed = {
        **doc,
        "proof": {**options, "proofValue": multibase_encode(KEY.sign(forms.hash_data))},
    }
    assert _both(signed) == (False, ("DATA_LOSS_DETECTION_ERROR",))
