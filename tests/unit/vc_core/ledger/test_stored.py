"""Transactions read from stored bytes: the checks the audit's fast path rests on.

``Transaction.from_stored`` compares the model's dump with the stored JSON value using Python's
``==``; the worker derives the signed bytes by cutting the ``signatures`` member out of the
canonical bytes; records are built with ``_Record.trusted``. Each shortcut is checked here
against the slow, obvious computation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError
from vc_core.ledger import AnchorBody, Transaction, office_tx
from vc_core.ledger.bodies import BODY_TYPES
from vc_core.ledger.records import AnchorRecord, StatusRecord
from vc_core.ledger.sigpool import _signed_bytes
from vc_core.ledger.tx import TxSignature, stored_claim

if TYPE_CHECKING:
    from conftest import World


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node and isinstance(node["type"], str):
            yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _schemas(value)


@pytest.mark.parametrize("model", [Transaction, TxSignature, *BODY_TYPES.values()])
def test_no_ledger_field_lets_python_equality_differ_from_json_equality(model: type) -> None:
    """``True == 1`` and ``1.0 == 1`` in Python: safe only with no bool, no float, no lax int."""
    for schema in _schemas(model.__pydantic_core_schema__):
        assert schema["type"] not in {"bool", "float", "decimal"}, (model, schema)
        if schema["type"] == "int":
            assert schema.get("strict") is True, (model, schema)


def test_from_stored_takes_the_canonical_bytes_and_refuses_other_forms(world: World) -> None:
    tx = world.accredit
    data = tx.canonical_bytes
    parsed = Transaction.from_stored(data, tx.hash)
    assert parsed == tx and stored_claim(parsed) == (data, tx.hash)
    value = json.loads(data)
    others = {
        "an offset time": {**value, "time": "2025-03-01T17:00:00+08:00"},
        "unsorted signatures": {**value, "signatures": value["signatures"][::-1]},
        "an explicit null": {**value, "expires": None},
    }
    for label, other in others.items():
        with pytest.raises(MalformedError) as info:
            Transaction.from_stored(jcs(other), tx.hash)
        assert info.value.field == "stored", label


@settings(max_examples=60, deadline=None)
@given(
    batch_id=st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s),
    seconds=st.integers(min_value=0, max_value=10**6),
    count=st.integers(min_value=1, max_value=10**6),
)
def test_cutting_the_signatures_member_gives_the_signed_bytes(
    world: World, batch_id: str, seconds: int, count: int
) -> None:
    """Whatever a body's strings hold (quotes, "signatures", escapes), the cut is exact."""
    batch_id = batch_id.replace("x", '","signatures":[')
    body = AnchorBody(batch_id=batch_id, batch_root="ab" * 32, leaf_count=count)
    tx = office_tx(
        world.chain_id, "anchor", body, office=world.office, seq=1,
        time=world.t0 + timedelta(seconds=seconds), key=world.office_key,
    )  # fmt: skip
    value = json.loads(tx.canonical_bytes)
    entries = value.pop("signatures")
    assert _signed_bytes(tx.canonical_bytes, value, entries) == tx.signing_bytes


def test_the_cut_falls_back_to_jcs_when_a_later_member_is_not_a_string() -> None:
    value = {"a": 1, "signatures": [{"x": 1}], "z": {"signatures": [{"x": 1}]}}
    data = jcs(value)
    rest = {k: v for k, v in value.items() if k != "signatures"}
    assert _signed_bytes(data, rest, value["signatures"]) == jcs(rest)


def test_trusted_records_equal_model_construct(world: World) -> None:
    tx = world.anchor(1, "cd" * 32)
    values = {
        "office": world.office, "batch_id": "b1", "batch_root": "cd" * 32, "leaf_count": 1,
        "time": world.t0, "signer": world.office_key.public_multibase, "tx_hash": tx.hash,
        "leaves_published": False,
    }  # fmt: skip
    fast, slow = AnchorRecord.trusted(**values), AnchorRecord.model_construct(**values)
    assert fast == slow and fast.model_dump() == slow.model_dump()
    assert fast.model_fields_set == slow.model_fields_set
    assert AnchorRecord.model_validate(fast.model_dump()) == fast
    # Not every field given: the slow constructor (defaults) answers.
    partial = StatusRecord.trusted(time=world.t0, tx_hash=tx.hash)
    assert partial == StatusRecord.model_construct(time=world.t0, tx_hash=tx.hash)
