"""Signed verification receipts (vc_core.verification.receipt): what they sign and what breaks them.

A receipt is checked with nothing but itself. Every part is covered by the signature: the
verdict, the report, the checkpoint, the as_of, the verifier's DID; a receipt signed by another
key than its issuer's, or by another verifier than expected, is refused; a document that is not
receipt-shaped is malformed (exit 2), never "good".
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vc_core.dataintegrity import add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.verification.receipt import (
    Checkpoint,
    ReceiptCode,
    ReceiptInvalidError,
    check_receipt,
    receipt_contexts,
    sign_receipt,
)

KEY = KeyPair.from_seed(bytes(range(32)))
OTHER = KeyPair.from_seed(bytes(range(1, 33)))
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
POINT = Checkpoint(
    chain_id="demo",
    genesis_hash="ab" * 32,
    height=42,
    head_hash="cd" * 32,
    time=NOW - timedelta(minutes=3),
)
REPORT: dict[str, Any] = {
    "verified": False,
    "verdict": "invalid",
    "steps": [
        {"step": 6, "name": "status", "status": "failed", "code": "REVOKED", "message": "x"},
        {"step": 1, "details": {"@odd": "<script>alert(1)</script>", "n": 1.5}},
    ],
    "credential_id": "urn:uuid:1",
    "credential_type": "PropertyDeedCredential",
}


def _signed(key: KeyPair = KEY, **change: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "key": key,
        "checkpoint": POINT,
        "as_of": AS_OF,
        "now": NOW,
        "receipt_id": "urn:uuid:r",
    }
    args.update(change)
    return sign_receipt(REPORT, **args)


def test_a_receipt_names_its_verdict_checkpoint_as_of_and_verifier() -> None:
    checked = check_receipt(_signed(), now=NOW, verifier=did_key(KEY.public))
    assert checked.verdict.value == "invalid"
    assert checked.checkpoint == POINT
    assert checked.as_of == AS_OF and checked.issued_at == NOW
    assert checked.verifier == did_key(KEY.public)
    assert checked.report == REPORT
    summary = checked.summary()
    assert summary["checkpoint"]["height"] == 42 and summary["asOf"] == "2026-06-01T00:00:00Z"
    assert summary["credential_type"] == "PropertyDeedCredential"


def test_its_json_text_checks_the_same() -> None:
    text = json.dumps(_signed(), ensure_ascii=False, indent=1)
    assert check_receipt(text.encode("utf-8"), now=NOW).verdict.value == "invalid"


def test_without_checkpoint_or_as_of_it_still_checks() -> None:
    checked = check_receipt(_signed(checkpoint=None, as_of=None), now=NOW)
    assert checked.checkpoint is None and checked.as_of is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: (
            r["credentialSubject"].update(verdict="valid")
            or r["credentialSubject"]["report"].update(verdict="valid")
        ),
        lambda r: r["credentialSubject"]["report"]["steps"][0].update(code="EXPIRED"),
        lambda r: r["credentialSubject"]["report"]["steps"][1]["details"].update(n=2),
        lambda r: r["credentialSubject"]["checkpoint"].update(height=43),
        lambda r: r["credentialSubject"]["checkpoint"].update(headHash="ef" * 32),
        lambda r: r["credentialSubject"].update(asOf="2026-06-02T00:00:00Z"),
        lambda r: r.update(validFrom="2026-11-26T09:00:00Z"),
        lambda r: r.update(id="urn:uuid:other"),
        lambda r: r["proof"].update(created="2026-11-27T08:00:00Z"),
    ],
    ids=[
        "verdict",
        "step-code",
        "detail",
        "height",
        "head",
        "as-of",
        "issued",
        "id",
        "created",
    ],
)
def test_any_change_breaks_the_signature(tamper: Any) -> None:
    receipt = _signed()
    tamper(receipt)
    with pytest.raises(ReceiptInvalidError) as caught:
        check_receipt(receipt, now=NOW)
    assert caught.value.code == ReceiptCode.RECEIPT_SIGNATURE_INVALID
    assert caught.value.exit_code == 1


def test_a_proof_by_another_key_than_the_issuers_is_refused() -> None:
    # Signed by OTHER, but naming KEY's did:key as the verifier.
    unsigned = {k: v for k, v in _signed().items() if k != "proof"}
    forged = add_proof(
        unsigned,
        OTHER,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(OTHER.public),
        created=NOW,
        contexts=receipt_contexts(),
    )
    with pytest.raises(ReceiptInvalidError) as caught:
        check_receipt(forged, now=NOW)
    assert caught.value.code == ReceiptCode.RECEIPT_KEY_NOT_VERIFIERS


def test_an_issuer_swapped_for_another_verifier_is_refused() -> None:
    receipt = _signed()
    receipt["issuer"] = did_key(OTHER.public)
    with pytest.raises(ReceiptInvalidError):
        check_receipt(receipt, now=NOW)


def test_a_good_receipt_of_another_verifier_than_expected_is_refused() -> None:
    receipt = _signed(key=OTHER)
    assert check_receipt(receipt, now=NOW).verifier == did_key(OTHER.public)
    with pytest.raises(ReceiptInvalidError) as caught:
        check_receipt(receipt, now=NOW, verifier=did_key(KEY.public))
    assert caught.value.code == ReceiptCode.RECEIPT_WRONG_VERIFIER


def test_a_receipt_from_the_future_is_refused() -> None:
    with pytest.raises(ReceiptInvalidError):
        check_receipt(_signed(now=NOW + timedelta(hours=1)), now=NOW)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda r: r.pop("proof"),
        lambda r: r.update(extra=1),
        lambda r: r.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda r: r.update(type=["VerifiableCredential"]),
        lambda r: r.update(issuer="did:example:bank"),
        lambda r: r.update(validFrom="yesterday"),
        lambda r: r["credentialSubject"].update(verdict="maybe"),
        lambda r: r["credentialSubject"]["report"].update(verdict="valid"),
        lambda r: r["credentialSubject"].update(other=1),
        lambda r: r["credentialSubject"]["checkpoint"].pop("height"),
        lambda r: r["credentialSubject"]["checkpoint"].update(height=-1),
        lambda r: r["credentialSubject"]["checkpoint"].update(height=True),
        lambda r: r["proof"].update(cryptosuite="eddsa-rdfc-2022"),
        lambda r: r.update(proof=[r["proof"]]),
    ],
)
def test_what_is_not_a_receipt_is_malformed(break_it: Any) -> None:
    receipt = _signed()
    break_it(receipt)
    with pytest.raises(MalformedError) as caught:
        check_receipt(receipt, now=NOW)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b"null", b'{"a": 1, "a": 2}', b"\xff"])
def test_bytes_that_are_not_a_json_object_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedError):
        check_receipt(data, now=NOW)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


SIGNED = _signed()
PATHS = _paths(SIGNED)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None, database=None)
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
@example(path=("credentialSubject", "verdict"), value=[])  # once a TypeError, not a refusal
def test_no_single_change_passes_as_a_good_receipt(path: tuple[Any, ...], value: Any) -> None:
    receipt = copy.deepcopy(SIGNED)
    parent = receipt
    for step in path[:-1]:
        parent = parent[step]
    if parent[path[-1]] == value:
        return
    parent[path[-1]] = value
    with pytest.raises((MalformedError, ReceiptInvalidError)):
        check_receipt(receipt, now=NOW)


def test_the_receipt_signer_makes_the_very_proof_add_proof_makes() -> None:
    # sign_receipt skips the JSON-LD term walk for speed; it must sign the same bytes.
    receipt = _signed()
    unsigned = {k: v for k, v in receipt.items() if k != "proof"}
    reference = add_proof(
        unsigned,
        KEY,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(KEY.public),
        created=NOW,
        contexts=receipt_contexts(),
    )
    assert receipt == reference
