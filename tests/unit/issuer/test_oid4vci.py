"""OpenID4VCI on the real issuer app (in process, real SQLite file, real keys, pinned clock):
the flow with the wallet's own client, every refusal with its OAuth code and status, and
hypothesis fuzzers over the key proof JWT and the token form that must never get a 500 or a
credential. The same flow over real processes is in ``tests/integration/test_oid4vci_live.py``.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk, jws

from issuer.app import create_app
from issuer.deps import get_now
from vc_core.credential_types import CREDENTIAL_TYPES, example_credential
from vc_core.dataintegrity import verify_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair, PublicKey
from wallet_cli import oid4vci

DRIVER = "DriverLicenceCredential"
DEED = "PropertyDeedCredential"
ISSUER = "http://127.0.0.1"


@dataclass
class Flow:
    client: TestClient
    clock: list[datetime]
    token: str  # the operator's bearer token

    def offer(self, type_name: str = DRIVER, **extra: Any) -> dict[str, Any]:
        from vc_core.credential_types import example_credential

        example = example_credential(type_name)
        body = {
            "credentialType": type_name,
            "credentialSubject": example["credentialSubject"],
            "validFrom": example["validFrom"],
            "validUntil": example["validUntil"],
            **extra,
        }
        answer = self.client.post(
            "/offers", json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        return made

    def code_of(self, made: dict[str, Any]) -> str:
        document = self.client.get(made["credential_offer_uri"]).json()
        code: str = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        return code

    def token_request(self, code: str, tx_code: str | None) -> Any:
        form = {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self.client.post("/token", data=form)

    def access_token(self, made: dict[str, Any]) -> str:
        answer = self.token_request(self.code_of(made), made["tx_code"])
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def nonce(self) -> str:
        value: str = self.client.post("/nonce").json()["c_nonce"]
        return value

    def credential(self, access: str, proof: Any, config: str = DRIVER) -> Any:
        body = {"credential_configuration_id": config, "proofs": {"jwt": [proof]}}
        return self.client.post(
            "/credential", json=body, headers={"Authorization": f"Bearer {access}"}
        )


def _app(office_dir: Any, clock: list[datetime], **settings: Any) -> Any:
    app = create_app(office_dir.settings.model_copy(update=settings), office_dir.office)

    async def pinned() -> datetime:
        return clock[0]

    app.dependency_overrides[get_now] = pinned
    return app


@pytest.fixture
def flow(office_dir: Any, make_operator: Callable[..., Any], now: datetime) -> Iterator[Flow]:
    # Deeds are under dual control by default, and their offers wait for an approval (tested
    # below and in tests/integration/test_oid4vci_live.py); here one operator may issue any type.
    clock = [now]
    app = _app(office_dir, clock, approvals_by_type={DEED: 1})
    token = make_operator(types=tuple(CREDENTIAL_TYPES)).token
    with TestClient(app, base_url=ISSUER) as client:
        yield Flow(client, clock, token)


def test_an_unapproved_offer_issues_no_type_under_dual_control(
    flow: Flow, office_dir: Any, now: datetime
) -> None:
    made = flow.offer(DEED)
    access = flow.access_token(made)
    holder = KeyPair.generate()
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    # The office puts deeds under dual control (the default policy) after the offer was made.
    app = _app(office_dir, [now], approvals_by_type={DEED: 2})
    with TestClient(app, base_url=ISSUER) as guarded:
        body = {"credential_configuration_id": DEED, "proofs": {"jwt": [proof]}}
        bearer = {"Authorization": f"Bearer {access}"}
        _oauth(guarded.post("/credential", json=body, headers=bearer), 400,
               "credential_request_denied")  # fmt: skip
        example = example_credential(DEED)
        offer = {"credentialType": DEED, "credentialSubject": example["credentialSubject"]}
        held = guarded.post(
            "/offers", json=offer, headers={"Authorization": f"Bearer {flow.token}"}
        )
        # Held for approval now (tests/integration/test_oid4vci_live.py follows it to a wallet).
        assert held.status_code == 202, held.text
        assert held.json()["request"]["kind"] == "offer"
        document = guarded.get(held.json()["credential_offer_uri"])
        assert document.status_code == 409, document.text
        assert document.json()["code"] == "OFFER_PENDING_APPROVAL"
    # Nothing was issued: the token still works where the policy allows it.
    fresh = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    assert flow.credential(access, fresh, config=DEED).status_code == 200


def _oauth(answer: Any, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error, answer.text
    assert answer.headers["cache-control"] == "no-store"


def _named_key(vm: str, purpose: str) -> PublicKey:
    return PublicKey.from_multibase(vm.split("#", 1)[1])


def test_wallet_client_receives_each_type_bound_to_its_did(flow: Flow, now: datetime) -> None:
    meta = flow.client.get("/.well-known/openid-credential-issuer").json()
    assert meta["credential_issuer"] == ISSUER and meta["nonce_endpoint"] == ISSUER + "/nonce"
    configs = meta["credential_configurations_supported"]
    assert set(configs) == set(CREDENTIAL_TYPES)
    for config in configs.values():
        assert config["format"] == "ldp_vc"
        assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
            "EdDSA"
        ]
        assert config["credential_metadata"]["display"][0]["name"]
    server = flow.client.get("/.well-known/oauth-authorization-server").json()
    assert server["token_endpoint"] == ISSUER + "/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True

    for type_name in CREDENTIAL_TYPES:
        if type_name in ("BusinessLicenceCredential",):
            extra = {"validUntil": "2031-01-01T00:00:00Z"}
        else:
            extra = {}
        made = flow.offer(type_name, **extra)
        assert made["offer_uri"].startswith("openid-credential-offer://?credential_offer_uri=")
        assert base64.b64decode(made["qr_png_base64"])[:4] == b"\x89PNG"
        holder = KeyPair.generate()
        got = oid4vci.receive(
            made["offer_uri"],
            holder=holder,
            tx_code=lambda spec, code=made["tx_code"]: code,
            now=lambda: now,
            session=oid4vci.Session(flow.client),
        )
        vc = got.credential
        assert vc["credentialSubject"]["id"] == did_key(holder.public)
        assert vc["type"] == ["VerifiableCredential", type_name]
        verify_proofs(vc, now=now, resolver=_named_key)
        # The operator reads back exactly what the holder got (one issuance path).
        read = flow.client.get(
            f"/credentials/{vc['id']}", headers={"Authorization": f"Bearer {flow.token}"}
        )
        assert read.json()["verifiableCredential"] == vc


def test_reused_offer_and_token_are_refused(flow: Flow, now: datetime) -> None:
    made = flow.offer()
    code = flow.code_of(made)
    access = flow.access_token(made)
    # The offer is single-use: its URI is gone, and its code is spent.
    gone = flow.client.get(made["credential_offer_uri"])
    assert gone.status_code == 410 and gone.json()["code"] == "OFFER_USED"
    _oauth(flow.token_request(code, made["tx_code"]), 400, "invalid_grant")
    holder = KeyPair.generate()
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    assert flow.credential(access, proof).status_code == 200
    # The access token gives one credential.
    again = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    answer = flow.credential(access, again)
    _oauth(answer, 401, "invalid_token")
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_wrong_tx_code_past_the_limit_kills_the_offer(flow: Flow) -> None:
    made = flow.offer()
    code = flow.code_of(made)
    wrong = "000000" if made["tx_code"] != "000000" else "111111"
    answers = [flow.token_request(code, wrong) for _ in range(3)]
    for answer in answers:
        _oauth(answer, 400, "invalid_grant")
    assert "2 tries left" in answers[0].json()["error_description"]
    assert "no tries left" in answers[2].json()["error_description"]
    # The right code is now refused too, and the offer URI says the offer is gone.
    _oauth(flow.token_request(code, made["tx_code"]), 400, "invalid_grant")
    assert flow.client.get(made["credential_offer_uri"]).status_code == 410
    # A missing tx_code is a malformed request, not a try.
    other = flow.offer()
    _oauth(flow.token_request(flow.code_of(other), None), 400, "invalid_request")
    assert flow.token_request(flow.code_of(other), other["tx_code"]).status_code == 200


def test_expired_offer_and_token(flow: Flow, now: datetime) -> None:
    made = flow.offer()
    code = flow.code_of(made)
    flow.clock[0] = now + timedelta(minutes=16)
    assert flow.client.get(made["credential_offer_uri"]).json()["code"] == "OFFER_EXPIRED"
    _oauth(flow.token_request(code, made["tx_code"]), 400, "invalid_grant")
    flow.clock[0] = now
    made = flow.offer()
    access = flow.access_token(made)
    nonce = flow.nonce()
    flow.clock[0] = now + timedelta(minutes=6)
    proof = oid4vci.key_proof(KeyPair.generate(), audience=ISSUER, nonce=nonce, now=flow.clock[0])
    _oauth(flow.credential(access, proof), 401, "invalid_token")


def test_stale_or_unknown_nonce_is_invalid_nonce(flow: Flow, now: datetime) -> None:
    made = flow.offer()
    access = flow.access_token(made)
    holder = KeyPair.generate()
    # A nonce this issuer never made.
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce="made-up", now=now)
    _oauth(flow.credential(access, proof), 400, "invalid_nonce")
    # An expired one (nonces live five minutes); the token is fresh.
    old = flow.nonce()
    flow.clock[0] = now + timedelta(minutes=5, seconds=1)
    later = flow.access_token(flow.offer())
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=old, now=flow.clock[0])
    _oauth(flow.credential(later, proof), 400, "invalid_nonce")
    # A used one: the first request succeeds and spends it.
    flow.clock[0] = now
    made = flow.offer()
    access = flow.access_token(made)
    other = flow.access_token(flow.offer())
    nonce = flow.nonce()
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=nonce, now=now)
    assert flow.credential(access, proof).status_code == 200
    _oauth(flow.credential(other, proof), 400, "invalid_nonce")
    # The token survives a refused proof: a fresh nonce works.
    fresh = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    assert flow.credential(other, fresh).status_code == 200


def _sign(
    key: KeyPair, header: dict[str, Any], claims: dict[str, Any], *, alg: str = "EdDSA"
) -> str:
    b64 = base64.urlsafe_b64encode
    private = jwk.JWK(
        kty="OKP",
        crv="Ed25519",
        x=b64(key.public.raw).rstrip(b"=").decode(),
        d=b64(key.seed).rstrip(b"=").decode(),
    )
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(private, alg=alg, protected=json.dumps(header))
    compact: str = token.serialize(compact=True)
    return compact


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _hs256(key: KeyPair, nonce: str, at: datetime) -> str:
    secret = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(b"k" * 32).rstrip(b"=").decode())
    token = jws.JWS(json.dumps({"aud": ISSUER, "iat": int(at.timestamp()), "nonce": nonce}))
    header = {
        "alg": "HS256",
        "typ": "openid4vci-proof+jwt",
        "kid": verification_method_id(key.public),
    }
    token.add_signature(secret, alg="HS256", protected=json.dumps(header))
    compact: str = token.serialize(compact=True)
    return compact


BAD_PROOFS: dict[str, Callable[[KeyPair, str, datetime], Any]] = {
    "another audience": lambda k, n, t: oid4vci.key_proof(
        k, audience="https://other.example", nonce=n, now=t
    ),
    "signed by a key that is not the kid": lambda k, n, t: _sign(
        KeyPair.generate(),
        {"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": verification_method_id(k.public)},
        {"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n},
    ),
    "typ missing": lambda k, n, t: _sign(
        k,
        {"alg": "EdDSA", "kid": verification_method_id(k.public)},
        {"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n},
    ),
    "typ of a plain JWT": lambda k, n, t: _sign(
        k,
        {"alg": "EdDSA", "typ": "JWT", "kid": verification_method_id(k.public)},
        {"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n},
    ),
    "alg none": lambda k, n, t: (
        _b64(
            {"alg": "none", "typ": "openid4vci-proof+jwt", "kid": verification_method_id(k.public)}
        )
        + "."
        + _b64({"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n})
        + "."
    ),
    "alg none with a signature part": lambda k, n, t: (
        _b64(
            {"alg": "none", "typ": "openid4vci-proof+jwt", "kid": verification_method_id(k.public)}
        )
        + "."
        + _b64({"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n})
        + ".AAAA"
    ),
    "a MAC": _hs256,
    "jwk in the header": lambda k, n, t: _sign(
        k,
        {
            "alg": "EdDSA",
            "typ": "openid4vci-proof+jwt",
            "kid": verification_method_id(k.public),
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        },
        {"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n},
    ),
    "kid not a did:key": lambda k, n, t: _sign(
        k,
        {"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": "did:web:evil.example#k"},
        {"aud": ISSUER, "iat": int(t.timestamp()), "nonce": n},
    ),
    "iat an hour old": lambda k, n, t: oid4vci.key_proof(
        k, audience=ISSUER, nonce=n, now=t - timedelta(hours=1)
    ),
    "iat in the future": lambda k, n, t: oid4vci.key_proof(
        k, audience=ISSUER, nonce=n, now=t + timedelta(minutes=5)
    ),
    "no nonce": lambda k, n, t: oid4vci.key_proof(k, audience=ISSUER, nonce=None, now=t),
    "malformed JWT": lambda k, n, t: "eyJhbGciOiJFZERTQSJ9.not-json.c2ln",
    "two parts": lambda k, n, t: "eyJhbGciOiJFZERTQSJ9.e30",
    "not a string": lambda k, n, t: {"jwt": "x"},
    "huge": lambda k, n, t: "a" * 20_000 + ".b.c",
}


@pytest.mark.parametrize("case", sorted(BAD_PROOFS))
def test_bad_key_proofs_are_invalid_proof_and_keep_the_token(
    flow: Flow, now: datetime, case: str
) -> None:
    access = flow.access_token(flow.offer())
    holder = KeyPair.generate()
    _oauth(
        flow.credential(access, BAD_PROOFS[case](holder, flow.nonce(), now)), 400, "invalid_proof"
    )
    # Nothing was issued and the token still works with a good proof.
    good = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    assert flow.credential(access, good).status_code == 200


def test_credential_request_shapes(flow: Flow, now: datetime) -> None:
    access = flow.access_token(flow.offer())
    holder = KeyPair.generate()
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=flow.nonce(), now=now)
    bearer = {"Authorization": f"Bearer {access}"}
    post = flow.client.post
    _oauth(flow.credential(access, proof, config="PropertyDeedCredential"), 400,
           "unknown_credential_configuration")  # fmt: skip
    cases: list[tuple[dict[str, Any], str]] = [
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        ({"credential_configuration_id": DRIVER, "proof": {"jwt": proof}},
         "invalid_credential_request"),
        ({"credential_identifier": "x", "proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        ({"credential_configuration_id": DRIVER}, "invalid_proof"),
        ({"credential_configuration_id": DRIVER, "proofs": {"jwt": [proof, proof]}},
         "invalid_proof"),
        ({"credential_configuration_id": DRIVER, "proofs": {"di_vp": [{}]}}, "invalid_proof"),
    ]  # fmt: skip
    for body, error in cases:
        _oauth(post("/credential", json=body, headers=bearer), 400, error)
    answer = post(
        "/credential", content=b"{", headers={**bearer, "content-type": "application/json"}
    )
    _oauth(answer, 400, "invalid_credential_request")
    answer = post("/credential", content=b"x=1", headers={**bearer, "content-type": FORM})
    _oauth(answer, 400, "invalid_credential_request")
    # No or a wrong bearer token is 401 before the body is even parsed.
    _oauth(post("/credential", content=b"{"), 401, "invalid_token")
    _oauth(post("/credential", json={}, headers={"Authorization": "Bearer nope"}), 401,
           "invalid_token")  # fmt: skip
    # A body over the limit is 413 before it is read (problem details, like every service edge).
    huge = post("/credential", content=b"{" + b" " * 2_000_000 + b"}", headers=bearer)
    assert huge.status_code == 413


FORM = "application/x-www-form-urlencoded"


def test_token_request_shapes(flow: Flow) -> None:
    made = flow.offer()
    code = flow.code_of(made)
    post = flow.client.post
    grant = oid4vci.PRE_AUTHORIZED_GRANT
    _oauth(post("/token", data={"grant_type": "authorization_code", "code": "x"}), 400,
           "unsupported_grant_type")  # fmt: skip
    _oauth(post("/token", data={"pre-authorized_code": code}), 400, "invalid_request")
    _oauth(post("/token", json={"grant_type": grant}), 400, "invalid_request")
    body = f"grant_type={grant}&pre-authorized_code={code}&pre-authorized_code={code}&tx_code=1"
    _oauth(post("/token", content=body.encode(), headers={"content-type": FORM}), 400,
           "invalid_request")  # fmt: skip
    bad_utf8 = b"grant_type=\xff\xfe"
    _oauth(post("/token", content=bad_utf8, headers={"content-type": FORM}), 400,
           "invalid_request")  # fmt: skip
    many = "&".join(f"a{i}=1" for i in range(100)).encode()
    _oauth(post("/token", content=many, headers={"content-type": FORM}), 400, "invalid_request")
    # None of that was a tx_code try.
    assert flow.token_request(code, made["tx_code"]).status_code == 200


def test_offer_request_is_checked_like_issuance(flow: Flow) -> None:
    headers = {"Authorization": f"Bearer {flow.token}"}
    from vc_core.credential_types import example_credential

    subject = example_credential(DRIVER)["credentialSubject"]
    number = subject["licenceNumber"]
    flipped = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad_id = {**subject, "licenceNumber": flipped}  # a wrong check character
    for body, status, code in [
        ({"credentialType": "Nope", "credentialSubject": subject}, 422, "CREDENTIAL_TYPE_UNKNOWN"),
        ({"credentialType": DRIVER, "credentialSubject": bad_id}, 422, None),
        ({"credentialType": DRIVER, "credentialSubject": {**subject, "id": "did:key:z6Mk"}}, 422,
         "SUBJECT_ID_SET"),
        ({"credentialType": DRIVER, "credentialSubject": subject,
          "validFrom": "2019-01-01T00:00:00Z", "validUntil": "2020-01-01T00:00:00Z"}, 422,
         "VALIDITY_PERIOD_OVER"),
        ({"credentialType": DRIVER}, 422, "REQUEST_INVALID"),
    ]:  # fmt: skip
        answer = flow.client.post("/offers", json=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        if code:
            assert answer.json()["code"] == code
    assert flow.client.get("/credential-offer/" + "A" * 43).status_code == 404


def test_no_secret_or_claim_in_the_logs(
    flow: Flow, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = flow.offer()
    code = flow.code_of(made)
    flow.token_request(code, "999999" if made["tx_code"] != "999999" else "000000")
    access = flow.access_token(made)
    nonce = flow.nonce()
    holder = KeyPair.generate()
    proof = oid4vci.key_proof(holder, audience=ISSUER, nonce=nonce, now=now)
    vc = flow.credential(access, proof).json()["credentials"][0]["credential"]
    # The test's own HTTP client logs the URLs it calls; the issuer's records are the subject.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert any(r.name.startswith("httpx") for r in caplog.records), "logging was captured"
    name = vc["credentialSubject"]["name"]
    for secret in (made["tx_code"], code, access, nonce, proof, name, made["credential_offer_uri"]):
        assert secret not in text


# Fuzzers: whatever the proof or the form, never a 500 and never a credential.

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


def _mutated_proof(holder: KeyPair, nonce: str, now: datetime, data: st.DataObject) -> Any:
    good = oid4vci.key_proof(holder, audience=ISSUER, nonce=nonce, now=now)
    header, payload, signature = good.split(".")
    part = data.draw(st.sampled_from(["header", "payload", "signature", "whole", "json"]))
    if part == "json":
        return data.draw(st.one_of(st.none(), st.integers(), _TEXT, st.lists(_TEXT, max_size=3)))
    if part == "whole":
        return data.draw(_TEXT)
    target = {"header": header, "payload": payload, "signature": signature}[part]
    i = data.draw(st.integers(0, max(0, len(target) - 1)))
    replacement = data.draw(st.text(alphabet="AZaz09-_.=+/ ", min_size=0, max_size=3))
    changed = target[:i] + replacement + target[i + 1 :]
    if changed == target:
        changed += "A"
    parts = {"header": header, "payload": payload, "signature": signature, part: changed}
    return ".".join((parts["header"], parts["payload"], parts["signature"]))


def test_a_non_canonical_base64url_spelling_of_a_signed_proof_is_refused(
    flow: Flow, now: datetime
) -> None:
    """Found by the fuzzer below: the header's last character changed in its unused bits only
    decodes to the same bytes, and jwcrypto checked the signature over a re-encoding of them."""
    access = flow.access_token(flow.offer())
    proof = oid4vci.key_proof(KeyPair.generate(), audience=ISSUER, nonce=flow.nonce(), now=now)
    header, payload, signature = proof.split(".")
    bits = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    assert base64.urlsafe_b64encode(bits).rstrip(b"=").decode() == header
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = [
        header[:-1] + c
        for c in alphabet
        if c != header[-1]
        and base64.urlsafe_b64decode(header[:-1] + c + "=" * (-len(header) % 4)) == bits
    ]
    assert twins, "the header's length leaves unused bits in its last character"
    answer = flow.credential(access, ".".join((twins[0], payload, signature)))
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["error"] == "invalid_proof"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzz_key_proof_never_500_never_issues(
    flow: Flow, now: datetime, data: st.DataObject
) -> None:
    access = flow.access_token(flow.offer())
    holder = KeyPair.generate()
    proof = _mutated_proof(holder, flow.nonce(), now, data)
    answer = flow.credential(access, proof)
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["error"] in {
        "invalid_proof",
        "invalid_nonce",
        "invalid_credential_request",
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["grant_type", "pre-authorized_code", "tx_code", "client_id", "x"]),
        _TEXT,
        max_size=5,
    ),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
)
def test_fuzz_token_form_never_500(flow: Flow, fields: dict[str, str], raw: bytes | None) -> None:
    if raw is None:
        answer = flow.client.post("/token", data=fields)
    else:
        answer = flow.client.post("/token", content=raw, headers={"content-type": FORM})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] in {"invalid_request", "invalid_grant", "unsupported_grant_type"}
