"""Bad input is a 4xx problem report naming the broken rule — never a 500, never a partly
applied transaction. Each case is one row of a dataset."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.app import create_app
from vc_core.keys import KeyPair
from vc_core.ledger import AnchorBody, Transaction, sign_tx, unsigned_tx

if TYPE_CHECKING:
    from .conftest import Chain


Make = Callable[["Chain", str, KeyPair], bytes]


def _anchor(chain: Chain, office: str, key: KeyPair) -> Transaction:
    leaves = [chain.digest("a"), chain.digest("b")]
    tx = chain.anchor_tx(office, key, leaves)
    chain.seqs[office] -= 1  # the bad transaction must not use up a seq in the test's book
    return tx


def _with(tx: Transaction, **changes: object) -> bytes:
    data = tx.to_dict()
    data.update(changes)
    return json.dumps(data).encode()


def _unsigned(chain: Chain, office: str, key: KeyPair) -> bytes:
    return _with(_anchor(chain, office, key), signatures=[])


def _bad_signature(chain: Chain, office: str, key: KeyPair) -> bytes:
    tx = _anchor(chain, office, key)
    other = sign_tx(
        unsigned_tx(
            chain_id=chain.chain_id,
            tx_type="anchor",
            author=office,
            seq=99,
            time=chain.now,
            body=tx.body,
        ),
        [key],
    )
    return _with(tx, signatures=[s.model_dump() for s in other.signatures])


def _unknown_type(chain: Chain, office: str, key: KeyPair) -> bytes:
    return _with(_anchor(chain, office, key), type="mint.coins")


def _wrong_chain(chain: Chain, office: str, key: KeyPair) -> bytes:
    tx = _anchor(chain, office, key)
    return (
        sign_tx(
            unsigned_tx(
                chain_id="other-chain",
                tx_type="anchor",
                author=office,
                seq=1,
                time=chain.now,
                body=tx.body,
            ),
            [key],
        )
        .to_json()
        .encode()
    )


def _future(chain: Chain, office: str, key: KeyPair) -> bytes:
    tx = _anchor(chain, office, key)
    return (
        sign_tx(
            unsigned_tx(
                chain_id=chain.chain_id,
                tx_type="anchor",
                author=office,
                seq=1,
                time=chain.now + timedelta(days=30),
                body=tx.body,
            ),
            [key],
        )
        .to_json()
        .encode()
    )


def _leaves_not_root(chain: Chain, office: str, key: KeyPair) -> bytes:
    leaves = [chain.digest("a"), chain.digest("b")]
    body = AnchorBody(
        batch_id="x", batch_root=chain.digest("not the root"), leaf_count=2, leaves=tuple(leaves)
    )
    return chain.office_tx(office, "anchor", body, key, seq=1).to_json().encode()


def _stranger(chain: Chain, office: str, key: KeyPair) -> bytes:
    return _anchor(chain, office, KeyPair.generate()).to_json().encode()


CASES: list[tuple[str, Make | bytes, int, str]] = [
    ("not json", b"{not json", 400, "NOT_JSON"),
    ("json array", b"[1, 2]", 400, "MALFORMED_TRANSACTION"),
    ("empty body", b"", 400, "NOT_JSON"),
    ("missing fields", b'{"type": "anchor"}', 400, "MALFORMED_TRANSACTION"),
    ("unsigned", _unsigned, 422, "MISSING_SIGNATURE"),
    ("bad signature", _bad_signature, 422, "BAD_SIGNATURE"),
    ("unknown type", _unknown_type, 422, "UNKNOWN_TRANSACTION_TYPE"),
    ("wrong chain id", _wrong_chain, 422, "WRONG_CHAIN_ID"),
    ("time far in the future", _future, 422, "TIME_IN_FUTURE"),
    ("leaves do not build the root", _leaves_not_root, 422, "BATCH_ROOT_MISMATCH"),
    ("signed by a key the office never had", _stranger, 422, "NOT_AN_OFFICE_KEY"),
]


@pytest.mark.parametrize(("name", "make", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_transaction_is_a_problem_report(
    chain: Chain,
    client: TestClient,
    office: str,
    office_key: KeyPair,
    name: str,
    make: Make | bytes,
    status: int,
    code: str,
) -> None:
    body = make if isinstance(make, bytes) else make(chain, office, office_key)
    head = client.get("/checkpoint").json()["height"]
    r = client.post("/transactions", content=body, headers=chain.wait)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == code and problem["status"] == status
    assert "Traceback" not in r.text
    # Nothing was applied: the office's next good transaction still takes seq 1.
    good = chain.anchor_tx(office, office_key, [chain.digest("good")])
    assert good.seq == 1
    assert (
        client.post("/transactions", content=good.to_json(), headers=chain.wait).status_code == 200
    )
    assert client.get("/checkpoint").json()["height"] == head + 1


def test_oversized_body_is_413(chain: Chain, make_chain: Callable[..., Chain]) -> None:
    small = make_chain(max_body_bytes=4096)
    with TestClient(create_app(small.settings)) as c:
        r = c.post("/transactions", content=b"x" * 5000)
        assert r.status_code == 413
        assert r.json()["code"] == "PAYLOAD_TOO_LARGE"

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b"y" * 1000

        r = c.post("/transactions", content=chunks())
        assert r.status_code == 413, r.text


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/blocks?from=-1", "REQUEST_INVALID"),
        ("/blocks?limit=0", "REQUEST_INVALID"),
        ("/blocks?limit=abc", "REQUEST_INVALID"),
        ("/transactions/xyz", "MALFORMED"),
        ("/anchors/ABC", "MALFORMED"),
        ("/dids/did:ecert:unit:x?versionTime=yesterday", "INVALID_TIME"),
    ],
)
def test_bad_query_is_a_problem_report(client: TestClient, path: str, code: str) -> None:
    r = client.get(path)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


HOSTILE = [
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"[" * 50_000 + b"]" * 50_000,
    b'{"chain_id": "unit", "chain_id": "other"}',
    b'{"seq": NaN}',
    b'{"seq": 1e999}',
    b'"\\ud800"',
    b"null",
    b"\xff\xfe\x00",
    b"[]",
    b"[" + b"{}," * 5000 + b"{}]",
]


@pytest.mark.parametrize("body", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_bodies_are_4xx_problems(client: TestClient, body: bytes) -> None:
    r = client.post("/transactions", content=body)
    assert 400 <= r.status_code < 500, r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["chain_id", "type", "author", "seq", "time", "body", "signatures"]),
    value=JSON,
)
def test_any_field_replaced_is_never_a_5xx(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair, field: str, value: object
) -> None:
    tx = chain.anchor_tx(office, office_key, [chain.digest(f"fuzz-{field}-{value!r}")]).to_dict()
    chain.seqs[office] -= 1
    tx[field] = value
    r = client.post("/transactions", content=json.dumps(tx))
    assert r.status_code < 500, r.text[:300]
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
