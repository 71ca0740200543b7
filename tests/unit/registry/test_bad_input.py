"""Bad input is a 4xx problem report naming the broken rule — never a 500, never a partly
applied transaction. Each case is one row of a dataset."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.app import create_app
from registry.config import Settings
from registry.deps import JSON_MEDIA_TYPE
from vc_core.keys import KeyPair
from vc_core.ledger import AnchorBody, Transaction, sign_tx, unsigned_tx

if TYPE_CHECKING:
    from .conftest import Chain


Make = Callable[["Chain", str, KeyPair], bytes]
JSON_HEADERS = {"Content-Type": JSON_MEDIA_TYPE}


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
    with TestClient(create_app(small.settings), headers=JSON_HEADERS) as c:
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
        ("/anchors/" + "A" * 64, "MALFORMED"),
        ("/receipts/" + "0" * 63, "MALFORMED"),
        ("/dids/did:ecert:unit:x?versionTime=yesterday", "INVALID_DATETIME"),
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


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_write_routes_take_only_json(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair, content_type: str | None
) -> None:
    tx = chain.anchor_tx(office, office_key, [chain.digest(f"ct-{content_type}")])
    headers = {"Content-Type": content_type} if content_type else {}
    # The client fixture sends JSON by default; a request without the header must really lack it.
    sent = client.build_request("POST", "/transactions", content=tx.to_json(), headers=headers)
    if content_type is None:
        del sent.headers["Content-Type"]
    r = client.send(sent)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    ok = client.post(
        "/transactions",
        content=tx.to_json(),
        headers={"Content-Type": "Application/JSON; charset=UTF-8", **chain.wait},
    )
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"seq": 1' + b"0" * 5000 + b"}", "NUMBER_OUT_OF_RANGE"),
        (b'{"seq": 9007199254740993}', "NUMBER_OUT_OF_RANGE"),
        (b'{"chain_id": "\\ud800"}', "LONE_SURROGATE"),
        (b'\xef\xbb\xbf{"seq": 1}', "BYTE_ORDER_MARK"),
        ('{"seq": 1}'.encode("utf-16"), "NOT_UTF8"),
        ('{"name": "café"}'.encode("latin-1"), "NOT_UTF8"),
        (b"[" + b'{"seq": 1e999},' * 3 + b"{}]", "NUMBER_OUT_OF_RANGE"),
    ],
)
def test_hostile_json_is_named(client: TestClient, body: bytes, code: str) -> None:
    r = client.post("/transactions", content=body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


def _endpoints() -> list[tuple[str, str, list[str], list[str]]]:
    """Every operation the registry's OpenAPI declares: (method, path, path and query names)."""
    schema = create_app(Settings(data_dir=Path("/nonexistent"))).openapi()
    out = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            names = [p["name"] for p in params if p["in"] == "path"]
            query = [p["name"] for p in params if p["in"] == "query"]
            out.append((method.upper(), path, names, query))
    return out


ENDPOINTS = _endpoints()
SEGMENT = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=40).map(lambda b: "".join(f"%{x:02X}" for x in b)),
    st.sampled_from(["%ED%A0%80", "%C0%AF", "..", "%2F", "0" * 64, "A" * 64, "9" * 400, "-1"]),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=utf-16",
        "text/plain",
        "application/problem+json",
        None,
    ]
)


def test_the_openapi_lists_every_route() -> None:
    assert {(m, p) for m, p, _, _ in ENDPOINTS} >= {
        ("POST", "/transactions"),
        ("GET", "/transactions/{hash}"),
        ("GET", "/blocks"),
        ("GET", "/checkpoint"),
        ("GET", "/status-lists/{office}/{purpose}/{n}"),
    }


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    data=st.data(),
    content_type=CONTENT_TYPES,
    prefer=st.one_of(st.none(), st.text(max_size=20), st.just("wait=0.01")),
)
def test_every_endpoint_answers_hostile_input_with_a_problem_or_success(
    client: TestClient,
    hostile_json: Callable[[str | None], Any],
    endpoint: tuple[str, str, list[str], list[str]],
    data: st.DataObject,
    content_type: str | None,
    prefer: str | None,
) -> None:
    method, path, names, query = endpoint
    if data.draw(st.integers(0, 4)) == 0:  # sometimes a method the path does not take
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    for name in names:
        path = path.replace("{" + name + "}", urllib.parse.quote(data.draw(SEGMENT), safe="%"))
    params = {q: data.draw(SEGMENT) for q in query if data.draw(st.booleans())}
    headers = {"Prefer": prefer} if prefer and prefer.isprintable() and prefer.isascii() else {}
    request = client.build_request(method, path, params=params, headers=headers)
    if method == "POST":
        body = data.draw(hostile_json(None))
        request = client.build_request(method, path, content=body, headers=headers)
        if content_type is None:
            del request.headers["Content-Type"]
        else:
            request.headers["Content-Type"] = content_type
    r = client.send(request)
    assert r.status_code < 500, (method, path, r.text[:300])
    assert "Traceback" not in r.text
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json", (method, path, r.text)
        assert r.json()["status"] == r.status_code
    if r.status_code == 405:
        assert r.headers["allow"], (method, path)
        assert method not in r.headers["allow"].split(", ")
    if method == endpoint[0] == "POST" and content_type not in (
        "application/json",
        "application/json; charset=utf-8",
    ):
        assert r.status_code in (413, 415), (content_type, r.status_code)


@pytest.mark.parametrize("hole", ["batch_id", "seq", "signatures"])
def test_hostile_transaction_bodies_are_4xx_problems_never_5xx(
    chain: Chain,
    client: TestClient,
    office: str,
    office_key: KeyPair,
    hostile_json: Callable[[str | None], Any],
    hole: str,
) -> None:
    tx = chain.anchor_tx(office, office_key, [chain.digest(f"hostile-{hole}")]).to_dict()
    chain.seqs[office] -= 1
    if hole == "batch_id":
        tx["body"]["batch_id"] = "@@HOSTILE@@"
    else:
        tx[hole] = "@@HOSTILE@@"
    strategy = hostile_json(json.dumps(tx))
    codes: list[str] = []

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=strategy)
    def refused_clearly(body: bytes) -> None:
        r = client.post("/transactions", content=body)
        assert r.status_code < 500, r.text[:300]
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json", r.text[:300]
            codes.append(r.json()["code"])

    refused_clearly()
    # The draws reached many different refusals, not one early exit.
    assert len(set(codes)) >= 4, sorted(set(codes))
