"""A receipt signed as a bank's did:web, checked against the DID document the checker supplies.

Nothing is fetched: without the document the answer is "could not check" (a RegistryError), a
document that does not list the key for assertions makes the receipt invalid, and a document
that is not one is the checker's malformed input.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.did_web import DidWebCode, did_web_document, is_did_web
from vc_core.errors import MalformedError, RegistryError
from vc_core.keys import KeyPair
from vc_core.verification.receipt import ReceiptInvalidError, check_receipt, sign_receipt

BANK = "did:web:bank.example"
KEY = KeyPair.generate()
OTHER = KeyPair.generate()
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _signed(key: KeyPair = KEY, did: str = BANK) -> dict[str, Any]:
    report = {"verdict": "valid", "steps": [], "credential_id": "urn:uuid:1"}
    return sign_receipt(
        report,
        key=key,
        checkpoint=None,
        as_of=None,
        now=NOW,
        receipt_id="urn:uuid:r",
        issuer_did=did,
    )


def test_a_did_web_receipt_verifies_with_the_banks_document() -> None:
    checked = check_receipt(
        _signed(), now=NOW, verifier=BANK, did_documents={BANK: did_web_document(BANK, KEY.public)}
    )
    assert checked.verifier == BANK
    assert checked.verdict.value == "valid"


def test_without_the_document_it_could_not_be_checked() -> None:
    with pytest.raises(RegistryError) as info:
        check_receipt(_signed(), now=NOW)
    assert info.value.code == DidWebCode.DID_DOCUMENT_MISSING
    # Another DID's document is no help either.
    other = "did:web:other.example"
    with pytest.raises(RegistryError):
        check_receipt(
            _signed(), now=NOW, did_documents={other: did_web_document(other, KEY.public)}
        )


def test_a_key_the_document_does_not_list_is_invalid() -> None:
    documents = {BANK: did_web_document(BANK, OTHER.public)}
    with pytest.raises(ReceiptInvalidError):
        check_receipt(_signed(), now=NOW, did_documents=documents)


def test_a_key_listed_but_not_for_assertions_is_invalid() -> None:
    document = did_web_document(BANK, KEY.public)
    document["authentication"] = document.pop("assertionMethod")
    with pytest.raises(ReceiptInvalidError) as info:
        check_receipt(_signed(), now=NOW, did_documents={BANK: document})
    assert info.value.details["cause"] == DidWebCode.VERIFICATION_METHOD_NOT_AUTHORIZED


def test_relative_method_references_are_understood() -> None:
    document = did_web_document(BANK, KEY.public, key_id="receipts-2026")
    document["verificationMethod"][0]["id"] = "#receipts-2026"
    document["assertionMethod"] = ["#receipts-2026"]
    # The receipt names the key by its Multikey fragment, so this document does not list it.
    with pytest.raises(ReceiptInvalidError):
        check_receipt(_signed(), now=NOW, did_documents={BANK: document})


@pytest.mark.parametrize(
    "change",
    ["wrong id", "controller", "not a list", "embedded", "no key", "type", "duplicate"],
)
def test_a_document_that_is_not_one_is_malformed_input(change: str) -> None:
    document = did_web_document(BANK, KEY.public)
    method = document["verificationMethod"][0]
    if change == "wrong id":
        document["id"] = "did:web:evil.example"
    elif change == "controller":
        method["controller"] = "did:web:evil.example"
    elif change == "not a list":
        document["verificationMethod"] = method
    elif change == "embedded":
        document["assertionMethod"] = [method]
    elif change == "no key":
        del method["publicKeyMultibase"]
    elif change == "type":
        method["type"] = "JsonWebKey"
    else:
        document["verificationMethod"].append(copy.deepcopy(method))
    with pytest.raises(MalformedError) as info:
        check_receipt(_signed(), now=NOW, did_documents={BANK: document})
    assert info.value.code == DidWebCode.INVALID_DID_DOCUMENT


def test_a_changed_receipt_fails_with_the_document() -> None:
    receipt = _signed()
    receipt["credentialSubject"]["report"]["credential_id"] = "urn:uuid:2"
    with pytest.raises(ReceiptInvalidError):
        check_receipt(receipt, now=NOW, did_documents={BANK: did_web_document(BANK, KEY.public)})


def test_a_receipt_cannot_claim_a_did_web_for_a_did_key_proof() -> None:
    # The issuer changed to the bank's did:web, the proof still by the bare did:key.
    receipt = sign_receipt(
        {"verdict": "valid"}, key=KEY, checkpoint=None, as_of=None, now=NOW, receipt_id="urn:x"
    )
    receipt["issuer"] = BANK
    with pytest.raises(ReceiptInvalidError):
        check_receipt(receipt, now=NOW, did_documents={BANK: did_web_document(BANK, KEY.public)})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=40))
def test_only_well_formed_did_web_names_are_accepted(text: str) -> None:
    value = "did:web:" + text
    if is_did_web(value):
        assert "#" not in value and "?" not in value and "/" not in value
        with pytest.raises(RegistryError):
            check_receipt(_signed(did=value), now=NOW)
    else:
        with pytest.raises(MalformedError):
            _signed(did=value)
