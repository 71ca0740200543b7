"""Hostile content that gets past parsing, against the real services: credentials that point
outside (remote ``@context``, ``did:web``, status lists and keys on a URL) or are broken in
their proof (unknown cryptosuite, proofValue that is not base58, multibase keys of the wrong
length, did:key with the wrong multicodec), 10 000 contexts, presentations inside presentations;
OpenID4VCI key proofs with ``alg: none``, HS256, a 2 MB header, remote key URLs; CSV and JSON
Lines batches with byte order marks, CRLF, quoted newlines, formulas, a 300 000-column row and
terminal escapes; and hypothesis-made hostile JSON on every body route. A local HTTP server
stands where every URL points, and must never be asked for anything: verification never
fetches. Nothing garbled is ever "valid"."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import base58
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecert.cli import run as ecert_run
from tests.adversarial.probes import judge, operations
from tests.adversarial.scene import Scene
from tests.integration.offices import driver_draft
from vc_core.credential_types import example_credential
from vc_core.did import verification_method_id
from vc_core.keys import KeyPair
from wallet_cli import oid4vci

pytestmark = pytest.mark.integration
HOLE = '"@@HOSTILE@@"'


class _Trap(BaseHTTPRequestHandler):
    """Answers anything, and remembers it was asked."""

    asked: list[str] = []  # noqa: RUF012 (one list for the module's one trap)

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/ld+json")
        self.end_headers()
        self.wfile.write(b'{"@context": {"@vocab": "https://trap.example/#"}}')

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def trap() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    assert _Trap.asked == [], f"a service fetched {_Trap.asked}"


@pytest.fixture(scope="module")
def valid_vc(services: Scene) -> dict[str, Any]:
    """A driving licence the issuer signed and anchored, valid at the verifier."""
    draft = driver_draft()
    subject = draft["credentialSubject"]
    services.sent += [v for k, v in subject.items() if k in ("name", "licenceNumber")]
    answer = httpx.post(
        services.issuer.url + "/credentials/issue",
        json={"credential": draft},
        headers=services.auth("issuer"),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    vc: dict[str, Any] = answer.json()["verifiableCredential"]
    for _ in range(600):  # a bound on the wait for the anchor to reach the verifier's replica
        verdict = _verify(services, {"verifiableCredential": vc})
        if verdict.status_code == 200:
            return vc
        time.sleep(0.1)
    raise AssertionError(f"never valid: {verdict.text}\n{services.verifier.log()[-2000:]}")


def _verify(services: Scene, body: Any, path: str = "/credentials/verify") -> httpx.Response:
    raw = json.dumps(body).encode()
    return httpx.post(
        services.verifier.url + path,
        content=raw,
        headers={"content-type": "application/json"},
        timeout=60,
    )


def _b58(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode()


def _mutations(trap: str) -> dict[str, Callable[[dict[str, Any]], Any]]:
    port = trap.rsplit(":", 1)[1]
    did_web = f"did:web:127.0.0.1%3A{port}"

    def proof(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda d: d["proof"].__setitem__(name, value)

    def top(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda d: d.__setitem__(name, value)

    return {
        "remote-context": lambda d: d["@context"].append(trap + "/context"),
        "remote-context-first": lambda d: d.__setitem__("@context", [trap, *d["@context"]]),
        "10k-contexts": lambda d: d["@context"].extend([d["@context"][-1]] * 10_000),
        "10k-remote-contexts": lambda d: d["@context"].extend(f"{trap}/{i}" for i in range(10_000)),
        "inline-vocab": lambda d: d["@context"].append({"@vocab": trap + "/#"}),
        "context-import": lambda d: d["@context"].append({"@import": trap + "/import"}),
        "unknown-cryptosuite": proof("cryptosuite", "ecdsa-rdfc-2019"),
        "cryptosuite-number": proof("cryptosuite", 5),
        "proofValue-not-base58": proof("proofValue", "z0OIl+/="),
        "proofValue-no-multibase": lambda d: d["proof"].__setitem__(
            "proofValue", d["proof"]["proofValue"][1:]
        ),
        "proofValue-63-bytes": proof("proofValue", _b58(b"\0" * 63)),
        "proofValue-65-bytes": proof("proofValue", _b58(b"\1" * 65)),
        "proofValue-100k": proof("proofValue", "z" + "2" * 100_000),
        "proofValue-list": proof("proofValue", ["z1"]),
        "two-proofs": lambda d: d.__setitem__("proof", [d["proof"], d["proof"]]),
        "no-proof": lambda d: d.pop("proof"),
        "key-on-a-url": proof("verificationMethod", trap + "/key#1"),
        "key-did-web": proof("verificationMethod", did_web + "#key-1"),
        "did-key-secp256k1-codec": proof(
            "verificationMethod", "did:key:" + _b58(b"\xe7\x01" + b"\2" * 33) + "#k"
        ),
        "did-key-31-bytes": proof(
            "verificationMethod", "did:key:" + _b58(b"\xed\x01" + b"\2" * 31) + "#k"
        ),
        "did-key-40-bytes": proof(
            "verificationMethod", "did:key:" + _b58(b"\xed\x01" + b"\2" * 40) + "#k"
        ),
        "multikey-5-bytes": lambda d: d["proof"].__setitem__(
            "verificationMethod", d["issuer"] + "#" + _b58(b"\xed\x01" + b"\2" * 5)
        ),
        "multikey-not-multibase": lambda d: d["proof"].__setitem__(
            "verificationMethod", d["issuer"] + "#u!!!"
        ),
        "issuer-did-web": top("issuer", did_web),
        "issuer-url": top("issuer", trap + "/issuer"),
        "status-list-on-a-url": top(
            "credentialStatus",
            {
                "id": trap + "/status#1",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "1",
                "statusListCredential": trap + "/status",
            },
        ),
        "schema-on-a-url": top("credentialSchema", {"id": trap + "/schema", "type": "JsonSchema"}),
        "subject-nul": lambda d: d["credentialSubject"].__setitem__("name", "a\x00b"),
        "10k-types": lambda d: d["type"].extend(["X"] * 10_000),
        "validUntil-not-a-date": top("validUntil", "9999-99-99"),
        "validFrom-year-99999999": top("validFrom", "99999999-01-01T00:00:00Z"),
        "created-not-a-date": proof("created", "yesterday"),
        "a-number": lambda d: 1,
        "a-list": lambda d: [d],
        "a-string": json.dumps,
    }


MUTATIONS = sorted(_mutations("http://127.0.0.1:1"))


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_garbled_credentials_are_never_valid(
    services: Scene, valid_vc: dict[str, Any], trap: str, mutation: str
) -> None:
    doc = copy.deepcopy(valid_vc)
    changed = _mutations(trap)[mutation](doc)
    doc = doc if changed is None else changed
    answer = _verify(services, {"verifiableCredential": doc})
    assert answer.status_code in (400, 413, 422), answer.text[:500]
    assert judge(answer, path="/credentials/verify", method="POST") is None, answer.text[:500]


def _presentation(*credentials: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }


def test_presentations_nesting_presentations(
    services: Scene, valid_vc: dict[str, Any], trap: str
) -> None:
    nested: Any = valid_vc
    for _ in range(30):
        nested = _presentation(nested)
    port = trap.rsplit(":", 1)[1]
    bodies = {
        "a presentation inside": _presentation(_presentation(valid_vc), valid_vc),
        "30 levels": nested,
        "unsigned": _presentation(valid_vc),
        "credential not an object": _presentation("x"),
        "enveloped": _presentation(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+jwt,eyJ",
            }
        ),
        "holder did:web": {**_presentation(valid_vc), "holder": f"did:web:127.0.0.1%3A{port}"},
    }
    for name, vp in bodies.items():
        answer = _verify(services, {"verifiablePresentation": vp}, "/presentations/verify")
        assert answer.status_code in (400, 413, 422), (name, answer.text[:300])
        assert judge(answer, path="/presentations/verify", method="POST") is None, name


def _b64(data: bytes | dict[str, Any]) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Wallet:
    """A holder talking OpenID4VCI to the real issuer by hand, to send what no wallet would."""

    def __init__(self, services: Scene) -> None:
        self.services = services
        self.url = services.issuer.url
        self.holder = KeyPair.generate()
        self.kid = verification_method_id(self.holder.public)

    def access_token(self) -> str:
        example = example_credential("DriverLicenceCredential")
        offer = {
            "credentialType": "DriverLicenceCredential",
            "credentialSubject": example["credentialSubject"],
            "validFrom": example["validFrom"],
            "validUntil": "2035-01-01T00:00:00Z",
        }
        made = httpx.post(
            self.url + "/offers", json=offer, headers=self.services.auth("issuer"), timeout=30
        )
        assert made.status_code == 201, made.text
        document = httpx.get(made.json()["credential_offer_uri"], timeout=10).json()
        code = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        tx_code = made.json()["tx_code"]
        form = {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
        answer = httpx.post(self.url + "/token", data={**form, "tx_code": tx_code}, timeout=10)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        self.services.sent += [code, tx_code, token]
        return token

    def claims(self, **change: Any) -> dict[str, Any]:
        nonce = httpx.post(self.url + "/nonce", timeout=10).json()["c_nonce"]
        self.services.sent.append(nonce)
        return {"aud": self.url, "iat": int(time.time()), "nonce": nonce, **change}

    def header(self, **change: Any) -> dict[str, Any]:
        return {"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": self.kid, **change}

    def signed(self, header: dict[str, Any], claims: dict[str, Any] | bytes) -> str:
        signing_input = _b64(header) + "." + _b64(claims)
        return signing_input + "." + _b64(self.holder.sign(signing_input.encode()))


def _proofs(w: Wallet, trap: str) -> dict[str, Callable[[], Any]]:
    def hs256() -> str:
        signing_input = _b64(w.header(alg="HS256")) + "." + _b64(w.claims())
        mac = hmac.new(w.holder.public.raw, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(mac)

    return {
        "alg-none": lambda: _b64(w.header(alg="none")) + "." + _b64(w.claims()) + ".",
        "alg-HS256-keyed-with-the-public-key": hs256,
        "2MB-header": lambda: w.signed(w.header(x="a" * 2_000_000), w.claims()),
        "kid-on-a-url": lambda: w.signed(w.header(kid=trap + "/key#1"), w.claims()),
        "jku": lambda: w.signed(w.header(jku=trap + "/jwks"), w.claims()),
        "x5u": lambda: w.signed(w.header(x5u=trap + "/x5u"), w.claims()),
        "kid-did-key-wrong-codec": lambda: w.signed(
            w.header(kid="did:key:" + _b58(b"\xe7\x01" + b"\2" * 33) + "#k"), w.claims()
        ),
        "kid-did-key-short": lambda: w.signed(w.header(kid="did:key:z6Mk#z6Mk"), w.claims()),
        "jwk-Ed448": lambda: w.signed(
            w.header(jwk={"kty": "OKP", "crv": "Ed448", "x": _b64(b"\0" * 57)}), w.claims()
        ),
        "header-a-list": lambda: _b64(b"[1]") + "." + _b64(w.claims()) + ".AA",
        "header-not-utf8": lambda: _b64(b"\xff\xfe") + "." + _b64(w.claims()) + ".AA",
        "header-lone-surrogate": lambda: _b64(b'{"alg":"EdDSA","kid":"\\ud800"}') + ".e30.AA",
        "header-deep": lambda: _b64(b"[" * 100_000 + b"]" * 100_000) + ".e30.AA",
        "iat-NaN": lambda: w.signed(w.header(), b'{"aud": "x", "iat": NaN}'),
        "iat-10^400": lambda: w.signed(w.header(), w.claims(iat=10**400)),
        "iat-1e308": lambda: w.signed(w.header(), w.claims(iat=1e308)),
        "iat-true": lambda: w.signed(w.header(), w.claims(iat=True)),
        "nonce-a-number": lambda: w.signed(w.header(), w.claims(nonce=5)),
        "five-parts": lambda: "a.b.c.d.e",
        "100k-dots": lambda: "." * 100_000,
        "not-a-string": lambda: 5,
    }


def test_hostile_key_proofs_are_refused(services: Scene, trap: str) -> None:
    wallet = Wallet(services)
    token = wallet.access_token()
    refused = {}
    for name, make in sorted(_proofs(wallet, trap).items()):
        body = {
            "credential_configuration_id": "DriverLicenceCredential",
            "proofs": {"jwt": [make()]},
        }
        answer = httpx.post(
            wallet.url + "/credential",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert judge(answer, path="/credential", method="POST") is None, (name, answer.text)
        refused[name] = answer.status_code
        if answer.status_code in (200, 401):
            token = wallet.access_token()
    assert all(status in (400, 413) for status in refused.values()), refused


CSV_BATCHES: dict[str, bytes] = {
    "bom-crlf-quoted-newline": (
        "\ufeff/credentialSubject/name,/credentialSubject/address\r\n"
        '"Li\r\nSi","=cmd|\' /C calc\'!A1"\r\n'
    ).encode(),
    "formulas": b'/credentialSubject/name\n=1+1\n+SUM(A1)\n-2+3\n@x\n"=HYPERLINK(""http://x"")"\n',
    "300k-columns": b"," * 300_000 + b"\n1\n",
    "unterminated-quote": b'/credentialSubject/name\n"abc\n',
    "nul-cells": b"/credentialSubject/name\na\x00b\n",
    "latin-1": "/credentialSubject/name\nJos\xe9\n".encode("latin-1"),
    "only-a-bom": b"\xef\xbb\xbf",
}
JSONL_BATCHES: dict[str, bytes] = {
    "bom-crlf": b'\xef\xbb\xbf{"credentialSubject": {"name": "x"}}\r\n{"a": 1}\r\n',
    "scalars-and-garbage": b'1\n"x"\n[]\nnull\n{\n' + b"[" * 50_000 + b"\n",
    "duplicate-keys": b'{"credentialSubject": {"name": "a", "name": "b"}}\n',
}


def test_hostile_batches(services: Scene) -> None:
    headers = {**services.auth("issuer"), "Credential-Type": "DriverLicenceCredential"}
    sent = [(n, b, "text/csv") for n, b in sorted(CSV_BATCHES.items())]
    sent += [(n, b, "application/jsonl") for n, b in sorted(JSONL_BATCHES.items())]
    for name, body, media in sent:
        answer = httpx.post(
            services.issuer.url + "/batches",
            content=body,
            headers={**headers, "content-type": media},
            timeout=60,
        )
        assert answer.status_code in (202, 400, 413, 415, 422), (name, answer.text[:300])
        assert judge(answer, path="/batches", method="POST") is None, (name, answer.text[:300])


def test_the_batch_report_shows_hostile_cells_as_text(
    services: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Column names come back in the report of failed rows: Rich markup in them is shown, not
    applied (``[/]`` made the report crash), and terminal escapes never reach the terminal."""
    rows = tmp_path / "rows.csv"
    rows.write_bytes(
        b"/credentialSubject/[/],/credentialSubject/x[bold],/credentialSubject/\x1b]0;pwn\x07\n"
        b"[oops,a,a\na,[oops,a\na,a,[oops\n"
    )
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that Rich cuts no pointer short
    token = tmp_path / "token"
    token.write_text(services.auth("issuer")["Authorization"].removeprefix("Bearer "))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ecert_run(
            [
                *("issuer", "batch", str(rows), "--type", "DriverLicenceCredential"),
                *("--url", services.issuer.url, "--token-file", str(token)),
            ]
        )
    report = out.getvalue()
    assert code == 1, err.getvalue()
    assert "BATCH_ROWS_FAILED" in err.getvalue()
    assert "\x1b" not in report + err.getvalue()
    assert "[/]" in report and "[bold]" in report


SERVICES = ("registry", "issuer", "verifier")


@pytest.mark.parametrize("service", SERVICES)
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hypothesis_hostile_json_on_every_body_route(
    services: Scene,
    valid_vc: dict[str, Any],
    hostile_json: Callable[[str | None], Any],
    service: str,
    data: st.DataObject,
) -> None:
    """Hostile JSON (tests/conftest.py's strategy: numbers of any length, surrogates, other
    encodings, deep nesting, NaN, duplicate keys, garbage), alone or inside a real body, at
    every operation that takes one, with the service's valid token."""
    base = services.urls()[service]
    templates = {
        "verifier": json.dumps({"verifiableCredential": valid_vc}),
        "issuer": json.dumps({"credential": driver_draft()}),
        "registry": json.dumps({"type": "anchor", "body": {"batch_id": "b"}}),
    }
    name = "name" if service != "registry" else "batch_id"
    template = _hole(templates[service], name)
    body = data.draw(hostile_json(template))
    with httpx.Client(timeout=60, headers=services.auth(service)) as client:
        for op in operations(client, base):
            if op.method != "POST":
                continue
            answer = client.post(
                base + op.url(), content=body, headers={"content-type": "application/json"}
            )
            why = judge(answer, path=op.url(), method="POST")
            assert why is None, (op.path, why, answer.text[:300])
            if op.path in ("/credentials/verify", "/presentations/verify"):
                assert answer.status_code != 200, body[:300]


def _hole(text: str, key: str) -> str:
    """``text`` with the first string value of ``key`` replaced by the hostile hole."""
    doc = json.loads(text)

    def place(node: Any) -> bool:
        if isinstance(node, dict):
            if isinstance(node.get(key), str):
                node[key] = "@@HOSTILE@@"
                return True
            return any(place(v) for v in node.values())
        if isinstance(node, list):
            return any(place(v) for v in node)
        return False

    assert place(doc)
    return json.dumps(doc, ensure_ascii=False)
