"""``POST /credentials/verify`` answers the same through its fast path
(:class:`verifier.routers.credentials.VerifyFastPath`) as through the framework's routing: the
same status, media type and body for every verdict and every refusal, the receipt included (same
key, same clock; only its random id and hence its signature differ)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.vc_core.verification.conftest import World
from vc_core.keys import KeyPair
from vc_core.verification.receipt import check_receipt
from verifier.app import create_app
from verifier.config import Settings
from verifier.routers.credentials import VerifyFastPath

VERIFY = "/credentials/verify"
KEY = KeyPair.from_seed(b"\x05" * 32)


def _client(world: World, folder: Path, *, fast: bool) -> TestClient:
    settings = Settings(genesis_hash=world.genesis_hash, data_dir=folder, freshness_max_age_s=600)
    app = create_app(settings, replica=world.replica, clock=lambda: world.now, receipt_key=KEY)
    if not fast:
        kept = [m for m in app.user_middleware if m.cls is not VerifyFastPath]
        assert len(kept) == len(app.user_middleware) - 1
        app.user_middleware = kept
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def clients(world: World, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        _client(world, tmp_path / "fast", fast=True) as fast,
        _client(world, tmp_path / "routed", fast=False) as routed,
    ):
        yield fast, routed


def _comparable(answer: Any, world: World) -> tuple[int, str, Any]:
    """Status, media type and JSON body; a receipt is checked, then compared without its random
    id and its signature."""
    body = answer.json()
    receipt = body.get("receipt")
    if receipt is not None:
        verdict = body["verdict"] if "verdict" in body else body["report"]["verdict"]
        assert check_receipt(receipt, now=world.now).verdict.value == verdict
        proof = {k: v for k, v in receipt["proof"].items() if k != "proofValue"}
        body["receipt"] = {**{k: v for k, v in receipt.items() if k != "id"}, "proof": proof}
    return answer.status_code, answer.headers["content-type"], body


def _chunks(data: bytes) -> Iterator[bytes]:
    """The body as a stream of chunks: no content-length, so only the streamed limit applies."""
    for start in range(0, len(data), 65536):
        yield data[start : start + 65536]


def test_every_answer_is_the_same_through_the_fast_path(
    world: World, clients: tuple[TestClient, TestClient]
) -> None:
    fast, routed = clients
    good = world.issued()
    revoked = world.deed(number=2)
    world.anchor(revoked)
    world.revoke(revoked)
    other_chain = {**good, "issuer": good["issuer"].replace(world.chain_id, "another-chain")}
    huge = json.dumps({"verifiableCredential": {"x": "y" * 2_000_000}}).encode()
    json_type = {"content-type": "application/json"}
    cases: list[dict[str, Any]] = [
        {"json": {"verifiableCredential": good}},
        {"json": {"verifiableCredential": good, "options": {"asOf": "2024-01-01T00:00:00Z"}}},
        {"json": {"verifiableCredential": revoked}},
        {"json": {"verifiableCredential": other_chain}},
        {"json": {"verifiableCredential": {"type": "x"}}},
        {"json": {}},
        {"content": b"{", "headers": json_type},
        {"content": b'{"a":1,"a":2}', "headers": json_type},
        {"content": json.dumps({"verifiableCredential": good}), "headers": {"content-type": "x"}},
        {"content": huge, "headers": json_type},
    ]
    seen = set()
    for kwargs in cases:
        a, b = fast.post(VERIFY, **kwargs), routed.post(VERIFY, **kwargs)
        assert _comparable(a, world) == _comparable(b, world), kwargs.keys()
        seen.add(a.status_code)
    # A body streamed without a declared length is cut off by the same limit either way.
    a = fast.post(VERIFY, content=_chunks(huge), headers=json_type)
    b = routed.post(VERIFY, content=_chunks(huge), headers=json_type)
    assert _comparable(a, world) == _comparable(b, world)
    assert a.status_code == 413 and a.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert seen == {200, 400, 413, 415, 422, 503}


def test_other_methods_and_paths_still_go_through_the_framework(
    world: World, clients: tuple[TestClient, TestClient]
) -> None:
    fast, routed = clients
    for method, path in (("GET", VERIFY), ("PUT", VERIFY), ("POST", VERIFY + "/x")):
        a, b = fast.request(method, path), routed.request(method, path)
        assert _comparable(a, world) == _comparable(b, world)
        assert a.status_code in (404, 405)
