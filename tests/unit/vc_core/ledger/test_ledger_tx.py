"""Transactions: parse once, one serialized form, stable hashes, signatures (DESIGN §3)."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import MalformedError
from vc_core.ledger import (
    LedgerRuleError,
    RuleCode,
    Transaction,
    add_signature,
    make_block,
    sign_tx,
    unsigned_tx,
    verify_signatures,
)
from vc_core.ledger.fields import format_time, parse_time

if TYPE_CHECKING:
    from conftest import World


def test_json_round_trip_keeps_the_hash(world: World) -> None:
    tx = world.accredit
    again = Transaction.from_json(tx.to_json())
    assert again == tx and again.hash == tx.hash and again.signing_bytes == tx.signing_bytes
    assert json.loads(tx.to_json()) == tx.to_dict()


def test_signing_bytes_are_jcs_without_signatures(world: World) -> None:
    tx = world.accredit
    payload = json.loads(tx.signing_bytes)
    assert (
        "signatures" not in payload and payload["seq"] == 2 and payload["type"] == "issuer.accredit"
    )
    keys = list(payload)
    assert keys == sorted(keys)
    assert b" " not in tx.signing_bytes.replace(b"Traffic police", b"")


def test_signature_order_does_not_change_the_hash(world: World) -> None:
    unsigned = world.accredit.model_copy(update={"signatures": ()})
    unsigned = Transaction.from_dict(unsigned.to_dict())
    ab = add_signature(add_signature(unsigned, world.a), world.b)
    ba = add_signature(add_signature(unsigned, world.b), world.a)
    assert ab.hash == ba.hash == world.accredit.hash
    assert ab.payload_hash == unsigned.payload_hash
    assert ab.hash != unsigned.hash


def test_adding_the_same_signer_twice_keeps_one_signature(world: World) -> None:
    tx = add_signature(world.accredit, world.a)
    assert tx.signers == world.accredit.signers


def test_a_duplicate_signer_on_the_wire_is_malformed(world: World) -> None:
    data = world.accredit.to_dict()
    data["signatures"] = [data["signatures"][0]] * 2
    with pytest.raises(MalformedError):
        Transaction.from_dict(data)


def test_times_have_one_form() -> None:
    t = parse_time("2025-03-01T17:00:00+08:00")
    assert format_time(t) == "2025-03-01T09:00:00Z"
    assert format_time(parse_time("2025-03-01T09:00:00.250Z")) == "2025-03-01T09:00:00.250000Z"
    assert parse_time(t.astimezone(timezone(timedelta(hours=-5)))) == t


def _mutate(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    target = out
    *head, last = path.split(".")
    for part in head:
        target = target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("time", "2025-03-01 09:00:00"),
        ("time", "2025-03-01T09:00:00"),
        ("time", 1740819600),
        ("seq", 0),
        ("seq", "2"),
        ("chain_id", "Upper Case"),
        ("author", ""),
        ("body.uscc", "not-a-uscc"),
        ("body.office", "did:web:example.com"),
        ("body.scopes", []),
        ("body.initial_key", "z6MkNotAKey"),
        ("body.extra", 1),
        ("extra", 1),
        ("body", _DELETE),
        ("signatures", [{"signer": "z6Mk", "signature": "x"}]),
    ],
)
def test_malformed_transactions_are_rejected_at_the_boundary(
    world: World, path: str, value: object
) -> None:
    with pytest.raises(MalformedError) as info:
        Transaction.from_dict(_mutate(world.accredit.to_dict(), path, value))
    assert info.value.code == "MALFORMED_TRANSACTION"


@pytest.mark.parametrize("text", ["", "[]", "{", '"tx"', b"\xff"])
def test_non_objects_are_malformed(text: str | bytes) -> None:
    with pytest.raises((MalformedError, LedgerRuleError)) as info:
        Transaction.from_json(text)
    assert info.value.code in {"NOT_JSON", "MALFORMED_TRANSACTION", "UNKNOWN_TRANSACTION_TYPE"}


def test_an_unknown_type_is_a_rule_not_a_parse_error(world: World) -> None:
    with pytest.raises(LedgerRuleError) as info:
        Transaction.from_dict({**world.accredit.to_dict(), "type": "issuer.crown"})
    assert info.value.code == RuleCode.UNKNOWN_TRANSACTION_TYPE


def test_a_body_of_another_type_is_malformed(world: World) -> None:
    with pytest.raises(MalformedError):
        unsigned_tx(chain_id="unit", tx_type="anchor", author=world.office, seq=1,
                    time=world.t0, body=world.accredit_body())  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_change_to_the_signed_bytes_breaks_the_signature(
    world: World, position: int, flip: int
) -> None:
    tx = world.anchor(1, "ab" * 32)
    verify_signatures(tx)
    raw = bytearray(tx.signing_bytes)
    raw[position % len(raw)] ^= flip
    try:
        data = json.loads(bytes(raw))
        mutated = Transaction.from_dict({**data, "signatures": tx.to_dict()["signatures"]})
    except (ValueError, MalformedError, LedgerRuleError):
        return  # no longer a transaction at all: rejected at the boundary
    if mutated.signing_bytes == tx.signing_bytes:
        return  # the same transaction in another spelling (e.g. an equivalent time offset)
    with pytest.raises(LedgerRuleError) as info:
        verify_signatures(mutated)
    assert info.value.code == RuleCode.BAD_SIGNATURE


def test_sign_tx_signs_with_every_key(world: World) -> None:
    tx = sign_tx(world.anchor(1, "cd" * 32), [world.a])
    assert set(tx.signers) == {world.office_key.public_multibase, world.a.public_multibase}
    verify_signatures(tx)


def test_model_copy_never_carries_a_stale_hash(world: World) -> None:
    """Regression: pydantic's stock model_copy copied the cached hash of the original."""
    tx = world.anchor(1, "ef" * 32)
    original = tx.hash
    copy = tx.model_copy(update={"seq": 5})
    assert copy.seq == 5 and copy.hash != original
    assert copy.hash == Transaction.from_json(copy.model_dump_json()).hash
    header = make_block(None, [world.genesis], world.t0, world.producer).header
    moved = header.model_copy(update={"height": 3})
    assert moved.hash != header.hash and moved.signing_bytes != header.signing_bytes
