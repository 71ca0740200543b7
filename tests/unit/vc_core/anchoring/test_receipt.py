"""Anchor receipts: one built from a block verifies; any changed byte of the receipt or of the
credential fails with a stable code; every field of the receipt is load-bearing.

The tamper tests are exhaustive over bytes (every position of the receipt's and of the
credential's canonical bytes, each flipped) and over fields (every JSON leaf of the receipt,
changed to another well-formed value and re-serialized canonically, so only the checks of
``verify_receipt`` can catch it). Each counts what it changed, so it cannot pass vacuously.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.vc_core.anchoring.conftest import (
    OFFICE,
    PRODUCER,
    SECOND_KEY,
    T0,
    AnchoredChain,
    build_chain,
)
from vc_core.anchoring import (
    AnchorReceipt,
    ChainFacts,
    ReceiptCode,
    ReceiptError,
    credential_digest,
    make_receipt,
    verify_receipt,
)
from vc_core.canon import jcs
from vc_core.errors import MalformedError, VCError
from vc_core.issuance import issue_credential
from vc_core.jsonio import JsonCode, parse_json
from vc_core.keys import KeyPair
from vc_core.ledger import AnchorBody
from vc_core.models import Credential
from vc_core.transparency import MerkleTree

PARSE_CODES = {c.value for c in JsonCode} | {"MALFORMED_ANCHORRECEIPT", "NOT_CANONICAL"}
STABLE_CODES = PARSE_CODES | {c.value for c in ReceiptCode}


def _receipt(chain: AnchoredChain, i: int = 3) -> AnchorReceipt:
    found = chain.ledger.inclusion(chain.anchor.hash)
    assert found is not None
    leaf = credential_digest(chain.credentials[i])
    return make_receipt(chain.ledger.block(found.height), found.position, leaf)


def _facts(chain: AnchoredChain) -> ChainFacts:
    return ChainFacts.from_genesis(chain.genesis)


def _outcome(raw: bytes, credential: Any, facts: ChainFacts) -> str:
    """The code a receipt's bytes fail with, or ``"VALID"``."""
    try:
        verify_receipt(AnchorReceipt.from_json(raw), credential, facts)
    except VCError as exc:
        assert isinstance(exc, MalformedError | ReceiptError), exc
        return exc.code
    return "VALID"


def test_a_receipt_from_a_block_verifies_and_round_trips(anchored: AnchoredChain) -> None:
    receipt = _receipt(anchored)
    assert receipt.tx_inclusion.tree_size == 2, "the anchor shares its block"
    verify_receipt(receipt, anchored.credentials[3], _facts(anchored))
    assert AnchorReceipt.from_json(receipt.to_json()) == receipt
    assert receipt.office == anchored.anchor.author
    assert receipt.anchored_at == anchored.anchor.time


def test_the_wrong_credential_chain_or_producer_is_refused(anchored: AnchoredChain) -> None:
    receipt, facts = _receipt(anchored), _facts(anchored)
    with pytest.raises(ReceiptError) as info:
        verify_receipt(receipt, anchored.credentials[2], facts)
    assert info.value.code == ReceiptCode.LEAF_MISMATCH
    stranger = KeyPair.from_seed(b"\x99" * 32).public_multibase
    for other, code in (
        (ChainFacts(chain_id="other", producers=facts.producers), ReceiptCode.WRONG_CHAIN),
        (ChainFacts(chain_id="anc", producers=((0, stranger),)), ReceiptCode.WRONG_PRODUCER),
        (ChainFacts(chain_id="anc", producers=((4, PRODUCER.public_multibase),)), "WRONG"),
    ):
        with pytest.raises(ReceiptError) as info:
            verify_receipt(receipt, anchored.credentials[3], other)
        assert info.value.code.startswith("RECEIPT_" + code.removeprefix("RECEIPT_"))


def test_only_the_canonical_bytes_are_a_receipt(anchored: AnchoredChain) -> None:
    receipt = _receipt(anchored)
    pretty = json.dumps(receipt.to_dict(), indent=2)
    with pytest.raises(MalformedError) as info:
        AnchorReceipt.from_json(pretty)
    assert info.value.code == "NOT_CANONICAL"
    lower_t = receipt.to_json().replace("T08:", "t08:", 1)
    assert json.loads(lower_t) != receipt.to_dict()
    with pytest.raises(MalformedError):
        AnchorReceipt.from_json(lower_t)


def test_every_flipped_byte_of_the_receipt_fails_with_a_stable_code(
    anchored: AnchoredChain,
) -> None:
    raw = _receipt(anchored).to_json().encode("utf-8")
    facts, cred = _facts(anchored), anchored.credentials[3]
    codes: Counter[str] = Counter()
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        codes[_outcome(flipped, cred, facts)] += 1
    assert "VALID" not in codes
    assert set(codes) <= STABLE_CODES, codes
    assert sum(codes.values()) == len(raw) > 1000
    # Flips reach the checks, not only the parser.
    assert codes[ReceiptCode.BLOCK_SIGNATURE_INVALID] and codes[ReceiptCode.TX_NOT_IN_BLOCK]
    assert codes[ReceiptCode.LEAF_NOT_IN_BATCH] and codes[ReceiptCode.LEAF_MISMATCH]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_byte_replaced_by_any_other_fails(anchored: AnchoredChain, data: st.DataObject) -> None:
    raw = _receipt(anchored).to_json().encode("utf-8")
    i = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]), label="byte")
    flipped = raw[:i] + bytes([new]) + raw[i + 1 :]
    assert _outcome(flipped, anchored.credentials[3], _facts(anchored)) in STABLE_CODES


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


def _changed(value: Any) -> Any:
    """Another well-formed value of the same kind (hex stays hex, a key stays a key)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str) and value:
        last = value[-1]
        swap = {"0": "1", "a": "b", "z": "y", "Z": "Y", "1": "2"}.get(last)
        if swap is None:
            swap = "a" if last != "a" else "b"
        return value[:-1] + swap
    return value + "x" if isinstance(value, str) else None


def _set(doc: Any, path: tuple[Any, ...], new: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = new


def test_every_field_of_the_receipt_is_checked(anchored: AnchoredChain) -> None:
    receipt = _receipt(anchored)
    facts, cred = _facts(anchored), anchored.credentials[3]
    base = receipt.to_dict()
    paths = _leaves(base)
    codes: Counter[str] = Counter()
    for path in paths:
        doc = json.loads(json.dumps(base))
        old = doc
        for step in path:
            old = old[step]
        _set(doc, path, _changed(old))
        outcome = _outcome(jcs(doc), cred, facts)
        assert outcome != "VALID", path
        codes[outcome] += 1
    assert len(paths) > 30 and sum(codes.values()) == len(paths)
    assert codes[ReceiptCode.BATCH_MISMATCH] and codes[ReceiptCode.WRONG_PRODUCER]
    assert set(codes) <= STABLE_CODES, codes


def test_every_flipped_byte_of_the_credential_fails(anchored: AnchoredChain) -> None:
    receipt, facts = _receipt(anchored), _facts(anchored)
    raw = jcs(anchored.credentials[3])
    codes: Counter[str] = Counter()
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        try:
            verify_receipt(receipt, parse_json(flipped), facts)
        except VCError as exc:
            codes[exc.code] += 1
        else:
            codes["VALID"] += 1
    assert "VALID" not in codes and sum(codes.values()) == len(raw)
    assert set(codes) <= {"NOT_JSON", "DUPLICATE_KEY", ReceiptCode.LEAF_MISMATCH}, codes
    assert codes[ReceiptCode.LEAF_MISMATCH] > len(raw) // 2


def test_a_signed_credential_is_anchored_by_its_digest_as_model_or_json() -> None:
    """A real credential, signed by ``issue_credential``, anchored alone in a block: the
    receipt verifies whether the credential is given as parsed JSON or as the wire model, and a
    changed proof value is another credential."""
    draft = json.loads(
        resources.files("schemas").joinpath("examples/driver-licence.json").read_text("utf-8")
    )
    draft["issuer"] = OFFICE
    signed = issue_credential(
        draft,
        SECOND_KEY,
        suite="eddsa-jcs-2022",
        now=T0 + timedelta(minutes=5),
        verification_method=f"{OFFICE}#{SECOND_KEY.public_multibase}",
    )
    chain = build_chain()
    leaf = credential_digest(signed)
    body = AnchorBody(
        batch_id="one",
        batch_root=MerkleTree([bytes.fromhex(leaf)]).root.hex(),
        leaf_count=1,
        leaves=(leaf,),
    )
    at = T0 + timedelta(minutes=6)
    chain.block(at, chain.office_tx("anchor", body, at, SECOND_KEY))
    head = chain.ledger.block(chain.ledger.head().height)
    receipt = make_receipt(head, 0, leaf)
    facts = ChainFacts.from_genesis(chain.genesis)
    verify_receipt(receipt, signed, facts)
    verify_receipt(receipt, Credential.from_dict(signed), facts)
    tampered = json.loads(json.dumps(signed))
    tampered["proof"]["proofValue"] = tampered["proof"]["proofValue"][:-1] + "A"
    with pytest.raises(ReceiptError) as info:
        verify_receipt(receipt, tampered, facts)
    assert info.value.code == ReceiptCode.LEAF_MISMATCH
