"""The registry API on a running node: submit, inclusion proofs, blocks, checkpoint, DIDs,
issuers, anchors and leaf receipts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from vc_core.anchoring import AnchorReceipt
from vc_core.keys import KeyPair
from vc_core.ledger import Block, Checkpoint, verify_checkpoint
from vc_core.transparency.merkle import hash_leaf, verify_inclusion

if TYPE_CHECKING:
    from .conftest import Chain


def _check_inclusion(tx_hash: str, inclusion: dict, tx_root: str) -> None:
    verify_inclusion(
        hash_leaf(bytes.fromhex(tx_hash)),
        inclusion["index"],
        inclusion["tree_size"],
        [bytes.fromhex(p) for p in inclusion["path"]],
        bytes.fromhex(tx_root),
    )


def test_submit_is_pending_then_included_with_a_proof(chain: Chain, client: TestClient) -> None:
    tx = chain.accredit_tx("tp", KeyPair.generate())
    r = client.post("/transactions", content=tx.to_json())
    assert r.status_code == 202
    assert r.json() == {"hash": tx.hash, "state": "pending"}
    r = client.post("/transactions", content=tx.to_json(), headers=chain.wait)
    assert r.status_code == 200, "resubmitting returns the state, it is not an error"
    status = client.get(f"/transactions/{tx.hash}").json()
    assert status["state"] == "included" and status["block"]["height"] == 1
    _check_inclusion(tx.hash, status["inclusion"], status["block"]["tx_root"])


def test_blocks_and_checkpoint_verify(chain: Chain, client: TestClient, office: str) -> None:
    page = client.get("/blocks", params={"from": 0, "limit": 10}).json()
    assert page["head"] == 1 and len(page["blocks"]) == 2
    blocks = [Block.model_validate(b) for b in page["blocks"]]
    assert blocks[0].hash == chain.genesis_hash
    assert blocks[1].header.prev_hash == blocks[0].hash
    cp = Checkpoint.model_validate(client.get("/checkpoint").json())
    assert cp.height == 1 and cp.head_hash == blocks[1].hash
    verify_checkpoint(cp, blocks[0].header.producer)


def test_did_document_and_issuers(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair
) -> None:
    doc = client.get(f"/dids/{office}").json()
    assert doc["id"] == office
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == office_key.public_multibase
    before = client.get(f"/dids/{office}", params={"versionTime": "2000-01-01T00:00:00Z"})
    assert before.status_code == 404
    assert before.headers["content-type"] == "application/problem+json"
    issuers = client.get("/issuers").json()["issuers"]
    assert [i["did"] for i in issuers] == [office] and issuers[0]["state"] == "active"


def test_anchor_and_leaf_receipt(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair
) -> None:
    leaves = [chain.digest(f"credential-{i}") for i in range(5)]
    tx = chain.anchor_tx(office, office_key, leaves)
    assert client.post("/transactions", content=tx.to_json(), headers=chain.wait).status_code == 200
    root = tx.body.batch_root  # type: ignore[union-attr]
    anchor = client.get(f"/anchors/{root}").json()
    assert anchor["anchor"]["office"] == office and anchor["block"]["height"] == 2
    r = client.get(f"/receipts/{leaves[3]}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    receipt = AnchorReceipt.from_json(r.content)
    assert receipt.leaf_index == 3 and receipt.batch_root == root
    assert receipt.anchor_tx.hash == tx.hash and receipt.header.height == 2
    verify_inclusion(
        hash_leaf(bytes.fromhex(leaves[3])),
        3,
        receipt.tree_size,
        [bytes.fromhex(p) for p in receipt.path],
        bytes.fromhex(root),
    )
    inclusion = receipt.tx_inclusion.model_dump()
    _check_inclusion(tx.hash, inclusion, receipt.header.tx_root)
    schema = client.get("/openapi.json").json()["paths"]["/receipts/{leaf}"]["get"]
    declared = schema["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert declared.endswith("/AnchorReceipt")


def test_unknown_things_are_404_problems(client: TestClient) -> None:
    for path in (
        f"/transactions/{'0' * 64}",
        f"/anchors/{'0' * 64}",
        f"/receipts/{'0' * 64}",
        "/dids/did:ecert:unit:nobody",
        "/no/such/route",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/transactions", "POST"),
        ("DELETE", "/checkpoint", "GET"),
        ("PUT", f"/transactions/{'0' * 64}", "GET"),
        ("POST", "/blocks", "GET"),
    ],
)
def test_a_wrong_method_is_405_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "METHOD_NOT_ALLOWED"


def test_openapi_declares_problem_details_and_hex_parameters(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "ProblemDetails" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operations = [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]
    assert len(operations) >= 10
    for path, method, op in operations:
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        expected = {"400", "404", "422", "500", "503"}
        if method == "post":
            expected |= {"413", "415"}
        assert set(errors) == expected, (path, method)
        for status, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (path, status)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/ProblemDetails"
            }
    hex_params = {
        (path, p["name"]): p["schema"].get("pattern")
        for path, method, op in operations
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    for key in (
        ("/transactions/{hash}", "hash"),
        ("/anchors/{root}", "root"),
        ("/receipts/{leaf}", "leaf"),
    ):
        assert hex_params[key] == "^[0-9a-f]{64}$", key
    body = schema["paths"]["/transactions"]["post"]["requestBody"]
    assert list(body["content"]) == ["application/json"]


def test_a_batch_is_accepted_whole_or_not_at_all(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair
) -> None:
    good = [chain.anchor_tx(office, office_key, [chain.digest(f"batch-{i}")]) for i in range(3)]
    bad = chain.anchor_tx(office, KeyPair.generate(), [chain.digest("stranger")])
    body = "[" + ",".join(tx.to_json() for tx in [*good, bad]) + "]"
    r = client.post("/transactions", content=body)
    assert r.status_code == 422 and r.json()["code"] == "NOT_AN_OFFICE_KEY"
    assert r.json()["details"]["index"] == 3
    assert client.get(f"/transactions/{good[0].hash}").status_code == 404
    body = "[" + ",".join(tx.to_json() for tx in good) + "]"
    r = client.post("/transactions", content=body)
    assert r.status_code == 202
    assert [t["hash"] for t in r.json()["transactions"]] == [tx.hash for tx in good]
    r = client.post("/transactions", content=good[0].to_json(), headers=chain.wait)
    assert r.json()["state"] == "included"


def test_a_node_that_cannot_write_halts_with_503(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair
) -> None:
    node = client.app.state.node  # type: ignore[attr-defined]

    def broken(now: object, max_txs: object = None) -> None:
        raise OSError("disk full")

    node.ledger.produce_block = broken
    tx = chain.anchor_tx(office, office_key, [chain.digest("x")])
    r = client.post("/transactions", content=tx.to_json(), headers=chain.wait)
    assert r.status_code == 202 and r.json()["state"] == "pending"
    r = client.post(
        "/transactions", content=chain.anchor_tx(office, office_key, [chain.digest("y")]).to_json()
    )
    assert r.status_code == 503 and r.json()["code"] == "NODE_HALTED"
