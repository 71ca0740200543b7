"""``POST /challenges`` and ``POST /presentations/verify`` over a real replica: the holder signs
a presentation with the wallet's own code, and every refusal has its stable code."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
from vc_core.dataintegrity import add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair
from wallet_cli.present import build_presentation

HOLDER = KeyPair.from_seed(b"\x51" * 32)
OTHER = KeyPair.from_seed(b"\x52" * 32)
VERIFY = "/presentations/verify"


def _challenge(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/challenges", json=body) if body else client.post("/challenges")
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _vp(
    world: World,
    credentials: list[dict[str, Any]],
    challenge: dict[str, Any],
    *,
    holder: KeyPair = HOLDER,
    domain: str | None = None,
) -> dict[str, Any]:
    return build_presentation(
        credentials,
        holder,
        challenge=challenge["challenge"],
        domain=domain or challenge["domain"],
        now=world.now,
    )


def _post(client: TestClient, vp: dict[str, Any], **options: Any) -> Any:
    return client.post(VERIFY, json={"verifiablePresentation": vp, "options": options})


def _code(answer: Any) -> str:
    return str(answer.json()["code"])


def test_a_challenge_is_fresh_random_and_names_its_domain(client: TestClient) -> None:
    one, two = _challenge(client), _challenge(client, domain="bank.example")
    assert one["challenge"] != two["challenge"] and len(one["challenge"]) >= 43
    assert one["domain"] == "verifier.ecert.example" and two["domain"] == "bank.example"
    bad = client.post("/challenges", json={"domain": ""})
    assert bad.status_code == 400 and _code(bad) == "DOMAIN_INVALID"
    plain = client.post("/challenges", content=b"x", headers={"content-type": "text/plain"})
    assert plain.status_code == 415


def test_a_presentation_of_a_valid_deed_is_200(world: World, client: TestClient) -> None:
    deed = world.issued()
    challenge = _challenge(client, domain="bank.example")
    answer = _post(client, _vp(world, [deed], challenge), domain="bank.example")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["verdict"] == "valid" and report["holder"] == did_key(HOLDER.public)
    assert [c["verdict"] for c in report["credentials"]] == ["valid"]


def test_a_presentation_of_a_revoked_deed_is_422_revoked(world: World, client: TestClient) -> None:
    deed = world.issued()
    world.revoke(deed)
    answer = _post(client, _vp(world, [deed], _challenge(client)))
    assert answer.status_code == 422, answer.text
    assert _code(answer) == "REVOKED"


def test_a_challenge_is_single_use(world: World, client: TestClient) -> None:
    deed = world.issued()
    vp = _vp(world, [deed], _challenge(client))
    assert _post(client, vp).status_code == 200
    replay = _post(client, vp)
    assert replay.status_code == 422 and _code(replay) == "CHALLENGE_USED"


def test_racing_presentations_with_one_challenge_let_exactly_one_through(
    world: World, client: TestClient
) -> None:
    deed = world.issued()
    vp = _vp(world, [deed], _challenge(client))
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: _post(client, vp), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 422, 422, 422]


def test_refusals_have_stable_codes(world: World, make_client: MakeClient) -> None:
    client = make_client(challenge_ttl_s=60)
    deed = world.issued()
    made = _challenge(client, domain="bank.example")
    unknown = {"challenge": "not-issued-here", "domain": "bank.example"}
    cases = [
        (_vp(world, [deed], unknown), {}, "CHALLENGE_UNKNOWN"),
        (_vp(world, [deed], made, domain="evil.example"), {}, "INVALID_DOMAIN_ERROR"),
        (_vp(world, [deed], made), {"domain": "evil.example"}, "INVALID_DOMAIN_ERROR"),
        (_vp(world, [deed], made), {"challenge": "another"}, "INVALID_CHALLENGE_ERROR"),
        (_vp(world, [], made), {}, "PRESENTATION_EMPTY"),
        (_vp(world, [_vp(world, [deed], made)], made), {}, "NESTED_PRESENTATION"),
    ]
    for vp, options, code in cases:
        answer = _post(client, vp, **options)
        assert answer.status_code == 422, (code, answer.text[:400])
        assert _code(answer) == code, answer.text[:400]
    # None of those refusals used the challenge up.
    assert _post(client, _vp(world, [deed], made)).status_code == 200


def test_an_expired_challenge_is_refused(world: World, make_client: MakeClient) -> None:
    client = make_client(challenge_ttl_s=60)
    deed = world.issued()
    made = _challenge(client)
    world.tick(61)
    answer = _post(client, _vp(world, [deed], made))
    assert answer.status_code == 422 and _code(answer) == "CHALLENGE_EXPIRED"


def test_the_holder_must_be_the_signer(world: World, client: TestClient) -> None:
    deed = world.issued()
    made = _challenge(client)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_key(HOLDER.public),
        "verifiableCredential": [deed],
    }
    forged = add_proof(
        unsigned,
        OTHER,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(OTHER.public),
        proof_purpose="authentication",
        created=world.now,
        challenge=made["challenge"],
        domain=made["domain"],
    )
    answer = _post(client, forged)
    assert answer.status_code == 422 and _code(answer) == "VERIFICATION_METHOD_NOT_CONTROLLED"
    # A tampered presentation fails its signature.
    genuine = _vp(world, [deed], made)
    genuine["holder"] = did_key(OTHER.public)
    assert _post(client, genuine).status_code == 422
    assert _post(client, _vp(world, [deed], made)).status_code == 200


def test_a_proof_for_assertion_is_not_an_authentication(world: World, client: TestClient) -> None:
    deed = world.issued()
    made = _challenge(client)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did_key(HOLDER.public),
        "verifiableCredential": [deed],
    }
    vp = add_proof(
        unsigned,
        HOLDER,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(HOLDER.public),
        proof_purpose="assertionMethod",
        created=world.now,
        challenge=made["challenge"],
        domain=made["domain"],
    )
    answer = _post(client, vp)
    assert answer.status_code == 422 and _code(answer) == "MISMATCHED_PROOF_PURPOSE_ERROR"


def test_a_stale_replica_makes_a_presentation_503(world: World, make_client: MakeClient) -> None:
    client = make_client(freshness_max_age_s=60, challenge_ttl_s=86_400)
    deed = world.issued()
    made = _challenge(client)
    world.tick(3600)
    answer = _post(client, _vp(world, [deed], made))
    assert answer.status_code == 503, answer.text
    assert _code(answer) == "REPLICA_TOO_OLD"
    assert answer.json()["report"]["verdict"] == "could_not_check"


def test_malformed_presentations_are_400(world: World, make_client: MakeClient) -> None:
    client = make_client(max_presented=2)
    deed = world.issued()
    made = _challenge(client)
    missing = client.post(VERIFY, json={"verifiableCredential": deed})
    assert missing.status_code == 400 and _code(missing) == "PRESENTATION_MISSING"
    # Counted before any proof is checked, so this one need not even be signed.
    many = _post(client, {"type": ["VerifiablePresentation"], "verifiableCredential": [deed] * 3})
    assert many.status_code == 400 and _code(many) == "TOO_MANY_CREDENTIALS"
    as_of = _post(client, _vp(world, [deed], made), asOf="soon")
    assert as_of.status_code == 400


def test_as_of_applies_to_every_presented_credential(world: World, client: TestClient) -> None:
    deed = world.issued()
    before = world.tick(60)
    world.tick(60)
    world.revoke(deed)
    made = _challenge(client)
    answer = _post(client, _vp(world, [deed], made), asOf=before.isoformat())
    assert answer.status_code == 200, answer.text
    later = _post(client, _vp(world, [deed], _challenge(client)))
    assert later.status_code == 422 and _code(later) == "REVOKED"


def test_a_credential_about_another_did_is_not_the_holders_to_present(
    world: World, client: TestClient
) -> None:
    deed = world.issued()
    about_other = {
        **deed,
        "credentialSubject": {**deed["credentialSubject"], "id": did_key(OTHER.public)},
    }
    made = _challenge(client)
    answer = _post(client, _vp(world, [about_other], made))
    assert answer.status_code == 422 and _code(answer) == "HOLDER_NOT_SUBJECT"
    # Refused for its contents before the challenge was looked at: the challenge is still good.
    assert _post(client, _vp(world, [deed], made)).status_code == 200
