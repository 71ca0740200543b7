"""``POST /credentials/verify`` and ``POST /verify/batch`` over a real replica: every verdict
by status code, each situation built through real ledger transactions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
from vc_core.anchoring import OfflineBundle, build_bundle, credential_digest, make_receipt

VERIFY = "/credentials/verify"


def _failed(report: dict[str, Any]) -> list[str]:
    return [s["code"] for s in report["steps"] if s["status"] == "failed"]


def test_a_valid_deed_is_200_with_every_step_ok(world: World, client: TestClient) -> None:
    deed = world.issued()
    answer = client.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["verdict"] == "valid" and report["verified"] is True
    assert {s["status"] for s in report["steps"]} == {"ok"}
    assert report["credential_id"] == deed["id"]


def test_unknown_options_and_checks_are_accepted_and_ignored(
    world: World, client: TestClient
) -> None:
    deed = world.issued()
    options = {"checks": ["proof"], "challenge": "x", "somethingNew": {"a": 1}}
    answer = client.post(VERIFY, json={"verifiableCredential": deed, "options": options})
    assert answer.status_code == 200, answer.text


def test_a_revoked_deed_is_422_with_the_report(world: World, client: TestClient) -> None:
    deed = world.issued()
    world.revoke(deed)
    answer = client.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["verdict"] == "invalid"
    assert _failed(answer.json()) == ["REVOKED"]


def test_a_deed_never_anchored_is_422(world: World, client: TestClient) -> None:
    world.accredit()
    answer = client.post(VERIFY, json={"verifiableCredential": world.deed()})
    assert answer.status_code == 422, answer.text
    assert "ANCHOR_NOT_FOUND" in _failed(answer.json())


def test_a_tampered_deed_is_not_valid(world: World, client: TestClient) -> None:
    deed = world.issued()
    deed["credentialSubject"] = {**deed["credentialSubject"], "area": 1}
    answer = client.post(VERIFY, json={"verifiableCredential": deed})
    # Its digest was never anchored, so the anchor step fails first.
    assert answer.status_code == 422, answer.text


def test_as_of_sees_a_suspension_only_while_it_lasted(
    world: World, make_client: MakeClient
) -> None:
    deed = world.issued()
    client = make_client(freshness_max_age_s=86_400)
    before = world.tick(60)
    start, until = world.tick(60), world.now + timedelta(hours=1)
    world.suspend(deed, start, until)
    during = world.tick(60)
    world.tick(7200)
    world.anchor(world.deed(number=9))  # A later block, so the replica speaks for after it.

    def at(when: Any) -> int:
        body = {"verifiableCredential": deed, "options": {"asOf": when.isoformat()}}
        answer = client.post(VERIFY, json=body)
        return int(answer.status_code)

    assert at(before) == 200
    assert at(during) == 422
    assert client.post(VERIFY, json={"verifiableCredential": deed}).status_code == 200


def test_a_replica_older_than_the_policy_is_503_carrying_the_report(
    world: World, make_client: MakeClient
) -> None:
    deed = world.issued()
    client = make_client(freshness_max_age_s=60)
    world.tick(3600)
    answer = client.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 503, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "REPLICA_TOO_OLD"
    assert problem["report"]["verdict"] == "could_not_check"


def test_a_revoked_deed_on_a_stale_replica_is_still_could_not_check(
    world: World, make_client: MakeClient
) -> None:
    """A stale view may lack a reinstatement: never "invalid" from it."""
    deed = world.issued()
    world.revoke(deed)
    client = make_client(freshness_max_age_s=60)
    world.tick(3600)
    assert client.post(VERIFY, json={"verifiableCredential": deed}).status_code == 503


def test_a_credential_of_another_chain_is_503(world: World, client: TestClient) -> None:
    deed = world.issued()
    other = {**deed, "issuer": deed["issuer"].replace(world.chain_id, "another-chain")}
    answer = client.post(VERIFY, json={"verifiableCredential": other})
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "ISSUER_ON_OTHER_CHAIN"


def _bundle(world: World, credential: dict[str, Any]) -> OfflineBundle:
    ledger = world.ledger
    leaf = credential_digest(credential)
    anchor = world.reader.leaf_anchor(leaf)
    assert anchor is not None
    found = ledger.inclusion(anchor.batch.tx_hash)
    receipt = make_receipt(ledger.block(found.height), found.position, leaf)
    checkpoint = ledger.checkpoint(ledger.head().time)
    blocks = [ledger.block(h) for h in range(ledger.head().height + 1)]
    return build_bundle(credential, receipt, checkpoint, blocks)


def test_an_offline_bundle_is_verified_from_its_own_facts(world: World, client: TestClient) -> None:
    deed = world.issued()
    bundle = json.loads(_bundle(world, deed).to_json())
    answer = client.post(VERIFY, json={"offlineBundle": bundle})
    assert answer.status_code == 200, answer.text
    assert answer.json()["chain"]["source"] == "the offline bundle"
    bundle["credential"]["credentialSubject"]["area"] = 1
    assert client.post(VERIFY, json={"offlineBundle": bundle}).status_code == 422


def test_malformed_requests_are_problems(world: World, client: TestClient) -> None:
    deed = world.issued()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b"{", "headers": {"content-type": "application/json"}}, 400, "NOT_JSON"),
        ({"content": b"[]", "headers": {"content-type": "application/json"}}, 400, "NOT_AN_OBJECT"),
        (
            {"content": b'{"a":1,"a":2}', "headers": {"content-type": "application/json"}},
            400,
            "DUPLICATE_KEY",
        ),
        (
            {"content": json.dumps(deed).encode(), "headers": {"content-type": "text/plain"}},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ({"json": {}}, 400, "CREDENTIAL_MISSING"),
        ({"json": {"verifiableCredential": deed, "offlineBundle": {}}}, 400, "CREDENTIAL_MISSING"),
        ({"json": {"verifiableCredential": json.dumps(deed)}}, 400, "NOT_AN_OBJECT"),
        ({"json": {"verifiableCredential": deed, "options": []}}, 400, "OPTIONS_INVALID"),
        (
            {"json": {"verifiableCredential": deed, "options": {"asOf": "yesterday"}}},
            400,
            "INVALID_DATETIME",
        ),
        (
            {"json": {"verifiableCredential": deed, "options": {"asOf": "2999-01-01T00:00:00Z"}}},
            400,
            "AS_OF_IN_FUTURE",
        ),
        ({"json": {"verifiableCredential": {"x": "y" * 2_000_000}}}, 413, "PAYLOAD_TOO_LARGE"),
    ]
    for kwargs, status, code in cases:
        answer = client.post(VERIFY, **kwargs)
        assert answer.status_code == status, (code, answer.text[:300])
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert client.get("/nowhere").json()["code"] == "NOT_FOUND"
    answer = client.get(VERIFY)
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_batch_answers_one_result_per_item_in_order(world: World, client: TestClient) -> None:
    good = world.issued()
    bad = world.deed(number=2)
    world.anchor(bad)
    world.revoke(bad)
    body = {"verifiableCredentials": [good, bad, "not an object", {"type": "x"}]}
    answer = client.post("/verify/batch", json=body)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == [200, 422, 400, 422]
    assert _failed(results[1]["report"]) == ["REVOKED"]
    assert results[2]["problem"]["code"] == "NOT_AN_OBJECT"


def test_a_batch_too_large_or_without_a_list_is_400(world: World, make_client: MakeClient) -> None:
    client = make_client(max_batch=2)
    too_many = client.post("/verify/batch", json={"verifiableCredentials": [{}, {}, {}]})
    assert too_many.status_code == 400 and too_many.json()["code"] == "BATCH_TOO_LARGE"
    missing = client.post("/verify/batch", json={"verifiableCredential": {}})
    assert missing.status_code == 400 and missing.json()["code"] == "CREDENTIALS_MISSING"


def test_health_names_the_chain_and_the_replica_head(world: World, client: TestClient) -> None:
    world.issued()
    health = client.get("/health").json()
    assert health["genesisHash"] == world.genesis_hash
    assert health["replica"]["height"] == world.ledger.head().height
