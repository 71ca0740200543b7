"""OpenID4VP 1.0 over the verifier app in-process, with a real replica of a real chain.

A test wallet (written from the spec, not from the verifier's code) reads the link, checks the
signed Request Object, signs a presentation with the wallet's own code and posts it
``direct_post``; the requester polls. Each refusal is reproduced: wrong nonce, other domain,
replay, expired, a presentation signed by someone other than the holder, a credential that does
not answer the DCQL query, no holder binding, a wallet that declines; and a fuzzer posts arbitrary
form bodies to the Response Endpoint (never a 500).
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
from vc_core.credential_types import example_credential
from vc_core.did import did_key
from vc_core.keys import KeyPair
from vc_core.oid4vp import read_request_object
from verifier.oid4vp.auth import new_api_key
from wallet_cli.present import build_presentation

HOLDER = KeyPair.from_seed(b"\x61" * 32)
OTHER = KeyPair.from_seed(b"\x62" * 32)
API_KEY, API_HASH = new_api_key()
OTHER_KEY, OTHER_HASH = new_api_key()
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CLAIMS = [["credentialSubject", "address"], "credentialSubject.unitNumber"]
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(
        public_url="http://testserver",
        requester_key_hashes=[API_HASH, OTHER_HASH],
        presentation_request_ttl_s=60,
    )


def _bound_deed(world: World, holder: KeyPair = HOLDER, number: int = 1) -> dict[str, Any]:
    subject = {**example_credential("PropertyDeedCredential")["credentialSubject"]}
    subject["id"] = did_key(holder.public)
    world.accredit()
    deed = world.deed(number=number, credentialSubject=subject)
    world.anchor(deed)
    return deed


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    body = body or {"credentialType": "PropertyDeedCredential", "claims": CLAIMS}
    answer = client.post("/presentation-requests", json=body, headers=AUTH)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _fetch(client: TestClient, made: dict[str, Any], world: World) -> dict[str, Any]:
    """The wallet's steps 1–2: the link's request_uri, the signed object checked."""
    link = urlsplit(made["uri"])
    assert link.scheme == "openid4vp"
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    served = client.get(query["request_uri"])
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    return read_request_object(served.text, client_id=query["client_id"], now=world.now)


def _answer(
    client: TestClient,
    world: World,
    request: dict[str, Any],
    credentials: list[dict[str, Any]],
    *,
    signer: KeyPair = HOLDER,
    nonce: str | None = None,
    domain: str | None = None,
) -> Any:
    vp = build_presentation(
        credentials,
        signer,
        challenge=nonce or request["nonce"],
        domain=domain or request["client_id"],
        now=world.now,
    )
    query_id = request["dcql_query"]["credentials"][0]["id"]
    form = {"vp_token": json.dumps({query_id: [vp]}), "state": request["state"]}
    return client.post(urlsplit(request["response_uri"]).path, data=form)


def _poll(client: TestClient, made: dict[str, Any], key: str = API_KEY) -> Any:
    return client.get(urlsplit(made["resultUrl"]).path, headers={"Authorization": f"Bearer {key}"})


def test_the_flow_end_to_end(world: World, client: TestClient) -> None:
    deed = _bound_deed(world)
    made = _ask(client)
    assert made["status"] == "pending" and made["qrPng"].startswith("data:image/png;base64,")
    assert base64.b64decode(made["qrPng"].split(",", 1)[1])[:4] == b"\x89PNG"
    assert made["clientId"].startswith("decentralized_identifier:did:key:z6Mk")
    assert _poll(client, made).json()["status"] == "pending"
    request = _fetch(client, made, world)
    assert request["response_type"] == "vp_token" and request["response_mode"] == "direct_post"
    assert len(base64.urlsafe_b64decode(request["nonce"] + "==")) >= 16
    wanted = request["dcql_query"]["credentials"][0]
    assert wanted["format"] == "ldp_vc"
    assert wanted["meta"]["type_values"] == [["https://ecert.example/vocab#PropertyDeedCredential"]]
    assert [c["path"] for c in wanted["claims"]] == [
        ["credentialSubject", "address"],
        ["credentialSubject", "unitNumber"],
    ]
    answer = _answer(client, world, request, [deed])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    result = _poll(client, made).json()
    assert result["status"] == "answered" and result["verdict"] == "valid", result
    assert result["claims"]["credentialSubject.address"] == deed["credentialSubject"]["address"]
    assert result["presentation"]["holder"] == did_key(HOLDER.public)
    # Another requester cannot read it, nor can anyone without a key.
    assert _poll(client, made, OTHER_KEY).status_code == 404
    assert client.get(urlsplit(made["resultUrl"]).path).status_code == 401


def _refused(answer: Any, code: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "invalid_request" and body["code"] == code, body


def test_wrong_nonce_other_domain_and_another_signer_are_refused(
    world: World, client: TestClient
) -> None:
    deed = _bound_deed(world)
    cases = [
        ({"nonce": "a-nonce-this-verifier-never-issued"}, "INVALID_CHALLENGE_ERROR"),
        ({"domain": "decentralized_identifier:did:web:evil.example"}, "INVALID_DOMAIN_ERROR"),
        ({"signer": OTHER}, "HOLDER_BINDING_MISSING"),
    ]
    for change, code in cases:
        made = _ask(client)
        request = _fetch(client, made, world)
        _refused(_answer(client, world, request, [deed], **change), code)
        result = _poll(client, made).json()
        assert result["verdict"] == "invalid" and result["code"] == code
        assert "claims" not in result


def test_a_presentation_signed_by_someone_else_for_the_holder_is_refused(
    world: World, client: TestClient
) -> None:
    """The holder is named, but another key signs: the proof is not the holder's."""
    deed = _bound_deed(world)
    request = _fetch(client, _ask(client), world)
    vp = build_presentation(
        [deed], OTHER, challenge=request["nonce"], domain=request["client_id"], now=world.now
    )
    vp["holder"] = did_key(HOLDER.public)
    form = {"vp_token": json.dumps({"ecert": [vp]}), "state": request["state"]}
    answer = client.post("/oid4vp/response", data=form)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] in {
        "PROOF_VERIFICATION_ERROR",
        "VERIFICATION_METHOD_NOT_CONTROLLED",
    }


def test_a_replay_is_refused_and_an_expired_request_too(world: World, client: TestClient) -> None:
    deed = _bound_deed(world)
    made = _ask(client)
    request = _fetch(client, made, world)
    assert _answer(client, world, request, [deed]).status_code == 200
    _refused(_answer(client, world, request, [deed]), "PRESENTATION_REQUEST_ANSWERED")
    assert client.get(parse_qs(urlsplit(made["uri"]).query)["request_uri"][0]).status_code == 410
    late = _ask(client)
    late_request = _fetch(client, late, world)
    world.tick(61)
    _refused(_answer(client, world, late_request, [deed]), "PRESENTATION_REQUEST_EXPIRED")
    served = client.get(parse_qs(urlsplit(late["uri"]).query)["request_uri"][0])
    assert served.status_code == 410 and served.json()["code"] == "PRESENTATION_REQUEST_EXPIRED"
    assert _poll(client, late).json()["status"] == "expired"


def test_a_credential_that_does_not_answer_the_query_is_refused(
    world: World, client: TestClient
) -> None:
    deed = _bound_deed(world)
    made = _ask(client, credentialType="PropertyDeedCredential", claims=["credentialSubject.vin"])
    _refused(_answer(client, world, _fetch(client, made, world), [deed]), "DCQL_NOT_SATISFIED")
    made = _ask(client, credentialType="DriverLicenceCredential", claims=[])
    _refused(_answer(client, world, _fetch(client, made, world), [deed]), "DCQL_NOT_SATISFIED")


def test_an_unbound_credential_is_refused(world: World, client: TestClient) -> None:
    deed = world.issued()  # The example deed names no subject DID.
    request = _fetch(client, _ask(client), world)
    _refused(_answer(client, world, request, [deed]), "HOLDER_BINDING_MISSING")


def test_a_wallet_that_declines_closes_the_request(world: World, client: TestClient) -> None:
    made = _ask(client)
    request = _fetch(client, made, world)
    answer = client.post(
        "/oid4vp/response", data={"error": "access_denied", "state": request["state"]}
    )
    assert answer.status_code == 200
    result = _poll(client, made).json()
    assert result["verdict"] == "declined" and result["code"] == "access_denied"


def test_requests_need_a_configured_key_and_a_sound_body(client: TestClient) -> None:
    body = {"credentialType": "PropertyDeedCredential", "claims": CLAIMS}
    assert client.post("/presentation-requests", json=body).status_code == 401
    wrong = {"Authorization": "Bearer ecert-vr.not-a-key"}
    answer = client.post("/presentation-requests", json=body, headers=wrong)
    assert answer.status_code == 401 and answer.json()["code"] == "REQUESTER_KEY_INVALID"
    for bad in (
        {"credentialType": "Nope"},
        {"credentialType": "PropertyDeedCredential", "claims": "x"},
        {"credentialType": "PropertyDeedCredential", "claims": [[-1]]},
        {"credentialType": "PropertyDeedCredential", "claims": [["a"]] * 99},
    ):
        answer = client.post("/presentation-requests", json=bad, headers=AUTH)
        assert answer.status_code == 400, (bad, answer.text)
    assert client.get("/oid4vp/requests/nope").status_code == 404
    assert client.get("/presentation-requests/nope", headers=AUTH).status_code == 404


def test_a_verifier_with_no_keys_lets_nobody_ask(make_client: MakeClient) -> None:
    closed = make_client()
    body = {"credentialType": "PropertyDeedCredential"}
    answer = closed.post("/presentation-requests", json=body, headers=AUTH)
    assert answer.status_code == 401


def test_response_endpoint_refusals_are_oauth_errors(world: World, client: TestClient) -> None:
    request = _fetch(client, _ask(client), world)
    state = request["state"]
    cases = [
        (b"vp_token=x&state=" + state.encode(), FORM, "VP_TOKEN_INVALID"),
        (b"state=" + state.encode(), FORM, "VP_TOKEN_INVALID"),
        (
            json.dumps({"state": state}).encode(),
            {"content-type": "application/json"},
            "VP_TOKEN_INVALID",
        ),
        (b"state=" + state.encode() + b"&state=x", FORM, "VP_TOKEN_INVALID"),
        (b"vp_token=%7B%7D&state=unknown", FORM, "PRESENTATION_REQUEST_UNKNOWN"),
        (
            urlencode({"vp_token": json.dumps({"ecert": [{}, {}]}), "state": state}).encode(),
            FORM,
            "VP_TOKEN_INVALID",
        ),
        (
            urlencode({"vp_token": json.dumps({"other": [{}]}), "state": state}).encode(),
            FORM,
            "VP_TOKEN_INVALID",
        ),
    ]
    for raw, headers, code in cases:
        _refused(client.post("/oid4vp/response", content=raw, headers=headers), code)


_FORM_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(st.sampled_from(["vp_token", "state", "error", "x"]), _FORM_TEXT).map(
            lambda d: urlencode(d).encode()
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=12,
        ).map(lambda v: urlencode({"vp_token": json.dumps({"ecert": [v]}), "state": "s"}).encode()),
    ),
    live_state=st.booleans(),
)
def test_fuzz_the_response_endpoint_never_500(
    world: World, client: TestClient, raw: bytes, live_state: bool
) -> None:
    if live_state:
        # Aim at a live request: the fuzzed body's state is replaced by a pending one's.
        state = _fetch(client, _ask(client), world)["state"]
        raw = raw.replace(b"state=s", b"state=" + state.encode())
    answer = client.post("/oid4vp/response", content=raw, headers=FORM)
    assert answer.status_code in (200, 400), answer.text
    body = answer.json()
    assert answer.status_code == 200 or body["error"] == "invalid_request"


def test_request_ttl_is_bounded(world: World, client: TestClient) -> None:
    made = _ask(client)
    request = _fetch(client, made, world)
    assert request["exp"] - request["iat"] <= 60
    assert timedelta(seconds=request["exp"] - world.now.timestamp()) <= timedelta(seconds=60)


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["PropertyDeedCredential", "Nope", ""]) | _JSONISH,
    claims=_JSONISH,
    request_id=st.text(max_size=80),
)
def test_fuzz_making_and_reading_requests_never_500(
    client: TestClient, kind: Any, claims: Any, request_id: str
) -> None:
    made = client.post(
        "/presentation-requests", json={"credentialType": kind, "claims": claims}, headers=AUTH
    )
    assert made.status_code in (201, 400), made.text
    for path in ("/oid4vp/requests/", "/presentation-requests/"):
        read = client.get(path + quote(request_id, safe=""), headers=AUTH)
        assert read.status_code in (404, 405), read.text
