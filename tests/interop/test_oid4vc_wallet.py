"""Interop with an independent wallet: the OpenWallet Foundation's OpenID4VC libraries
(``@openid4vc/openid4vci``, ``oauth2``, ``openid4vp``, ``utils`` 0.4.6, the ones under Credo) in
``tools/node/oid4vc-wallet.mjs`` talk to REAL ecert processes over HTTPS: a registry node, an
issuing office and a verifier on 127.0.0.1, their certificates from a private CA the test makes
(the libraries refuse ``http://``; node trusts the CA through ``NODE_EXTRA_CA_CERTS``).

1. OpenID4VCI 1.0, pre-authorized code: the library resolves the offer by reference and the
   issuer's metadata (as 1.0, not a draft), gets a token with the tx_code, a c_nonce from the
   nonce endpoint, signs an ``openid4vci-proof+jwt`` with the holder's Ed25519 did:key and asks
   by ``credential_configuration_id``. The credential names that did:key as its subject, is
   anchored, and verifies at the verifier.
2. OpenID4VP 1.0: the library fetches and verifies the verifier's signed Request Object
   (``decentralized_identifier:did:key``, resolved locally), the wallet matches the DCQL query,
   Digital Bazaar's ``@digitalbazaar/vc`` signs the ``ldp_vc`` presentation (eddsa-rdfc-2022,
   challenge = nonce, domain = the full client_id: the @openid4vc libraries sign no Data
   Integrity presentations), and the library posts it ``direct_post``. The requester reads
   ``valid`` with exactly the claims it asked for.

A missing node or missing packages FAIL the test: interop is not optional.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyld.documentloader.frozen import BUNDLED_CONTEXTS

from issuer.testing import IssuerProcess, running_issuer
from tests.integration.live_registry import live_chain
from tests.integration.offices import example_draft, issuer_env, make_office
from tests.integration.pki import make_pki
from vc_core.canon import ECERT_CONTEXT_URL
from vc_core.did import did_key
from vc_core.keys import KeyPair
from verifier.oid4vp.auth import new_api_key
from verifier.testing import VerifierProcess, running_verifier

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tools" / "node"
WALLET = NODE_DIR / "oid4vc-wallet.mjs"
PACKAGES = (
    "@openid4vc/openid4vci",
    "@openid4vc/oauth2",
    "@openid4vc/openid4vp",
    "@openid4vc/utils",
    "@digitalbazaar/vc",
    "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
    "dcql",
)
DRIVER = "DriverLicenceCredential"
CLAIMS = ["credentialSubject.licenceNumber", "credentialSubject.vehicleClasses"]
API_KEY, API_HASH = new_api_key()
AUTH = {"Authorization": f"Bearer {API_KEY}"}
WAIT_S = 60.0


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; tools/setup/30-anvil.sh installs it")
    missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / p).is_dir()]
    if missing:
        names = ", ".join(missing)
        pytest.fail(f"{names} not installed in tools/node; run tools/setup/30-anvil.sh")
    return node


def _wallet(node: str, ca: Path, job: dict[str, Any]) -> dict[str, Any]:
    """One job of the node wallet; its JSON answer (a failure fails the test with its reason)."""
    done = subprocess.run(
        [node, str(WALLET)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=NODE_DIR,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "NODE_EXTRA_CA_CERTS": str(ca)},
        check=False,
    )
    assert done.stdout.strip(), f"the wallet printed nothing:\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    assert answer["ok"], json.dumps(answer, indent=1)
    assert done.returncode == 0, done.stderr
    return answer


def _contexts() -> dict[str, str]:
    """The contexts the wallet's JSON-LD loader may serve: ecert's own set (pyld's frozen bundle
    and the ecert context), by path; any other URL is refused, nothing is fetched."""
    files = {url: str(path) for url, path in BUNDLED_CONTEXTS.items()}
    files[ECERT_CONTEXT_URL] = str(resources.files("schemas").joinpath("context.jsonld"))
    return files


def _offer(issuer: IssuerProcess, token: str) -> dict[str, Any]:
    draft = example_draft(DRIVER)
    body = {
        "credentialType": DRIVER,
        "credentialSubject": {k: v for k, v in draft["credentialSubject"].items() if k != "id"},
        "validFrom": draft["validFrom"],
        "validUntil": draft["validUntil"],
    }
    answer = httpx.post(
        issuer.url + "/offers",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def _ask(verifier: VerifierProcess) -> dict[str, Any]:
    """A presentation request for the licence's claims, made by the requester."""
    asked = httpx.post(
        verifier.url + "/presentation-requests",
        json={"credentialType": DRIVER, "claims": CLAIMS},
        headers=AUTH,
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    made: dict[str, Any] = asked.json()
    return made


def _result(request: dict[str, Any]) -> dict[str, Any]:
    """The requester's view of its request."""
    answer = httpx.get(request["resultUrl"], headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _wait_valid(verifier: VerifierProcess, credential: dict[str, Any]) -> None:
    """Until the verifier's replica holds the credential's anchor (a bound on the wait, not a
    timing assertion): then it must verify."""
    deadline = time.monotonic() + WAIT_S
    while True:
        body = {"verifiableCredential": credential}
        answer = httpx.post(verifier.url + "/credentials/verify", json=body, timeout=30)
        if answer.status_code == 200:
            assert answer.json()["verified"] is True, answer.text
            return
        assert time.monotonic() < deadline, f"never valid:\n{answer.text}\n{verifier.log()[-3000:]}"
        time.sleep(0.2)


def test_an_independent_wallet_receives_and_presents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = _node()
    ca, cert, key = make_pki(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    holder = KeyPair.generate()
    seed = holder.seed.hex()
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain, roles=("issuer",))
        env = issuer_env(
            chain, office, ISSUER_TLS_CERT_FILE=str(cert), ISSUER_TLS_KEY_FILE=str(key)
        )
        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
            "VERIFIER_SYNC_INTERVAL_S": "0.2",
            "VERIFIER_REQUESTER_KEY_HASHES": json.dumps([API_HASH]),
            "VERIFIER_TLS_CERT_FILE": str(cert),
            "VERIFIER_TLS_KEY_FILE": str(key),
        }
        with (
            running_issuer(office.data, env=env) as issuer,
            running_verifier(tmp_path / "verifier", env=verifier_env) as verifier,
        ):
            assert issuer.url.startswith("https://") and verifier.url.startswith("https://")

            # OpenID4VCI 1.0 with the library.
            made = _offer(issuer, office.tokens["issuer"])
            got = _wallet(
                node,
                ca,
                {
                    "op": "receive",
                    "offer": made["offer_uri"],
                    "txCode": made["tx_code"],
                    "seed": seed,
                    "probes": True,
                },
            )
            assert got["issuerVersion"] == "V1", got["issuerVersion"]
            assert got["credentialConfigurationId"] == DRIVER
            assert got["tokenResponse"]["token_type"] == "Bearer"
            credential = got["credential"]
            assert got["holder"] == did_key(holder.public)
            assert credential["credentialSubject"]["id"] == did_key(holder.public)
            assert credential["issuer"] == office.office.did
            assert DRIVER in credential["type"]
            _wait_valid(verifier, credential)

            # The library reads each refusal of the issuer as the spec's error code.
            refused = got["refused"]
            assert refused["wrongTxCode"]["error"] == "invalid_grant", refused
            assert refused["unknownNonce"]["error"] == "invalid_nonce", refused
            assert refused["spentToken"]["status"] == 401, refused
            assert refused["spentToken"]["error"] == "invalid_token", refused
            challenge = refused["spentToken"]["wwwAuthenticate"]
            assert [(c["scheme"], c["error"]) for c in challenge] == [("Bearer", "invalid_token")]

            # OpenID4VP 1.0 with the library; the presentation signed by Digital Bazaar's vc.
            request = _ask(verifier)
            sent = _wallet(
                node,
                ca,
                {
                    "op": "present",
                    "request": request["uri"],
                    "seed": seed,
                    "credentials": [credential],
                    "contexts": _contexts(),
                    "replay": True,
                },
            )
            assert sent["clientId"] == request["clientId"]
            assert sent["version"] == 100, sent["version"]  # read as OpenID4VP 1.0, no draft
            assert sent["status"] == 200, sent
            verdict = _result(request)
            assert verdict["status"] == "answered" and verdict["verdict"] == "valid", verdict
            subject = credential["credentialSubject"]
            assert verdict["claims"] == {
                claim: subject[claim.split(".", 1)[1]] for claim in CLAIMS
            }, verdict["claims"]
            proof = sent["presentation"]["proof"]
            assert proof["domain"] == request["clientId"]
            assert proof["proofPurpose"] == "authentication"
            assert sent["replayed"]["status"] == 400, sent["replayed"]
            assert sent["replayed"]["body"]["error"] == "invalid_request"
            assert sent["replayed"]["body"]["code"] == "PRESENTATION_REQUEST_ANSWERED"

            # The holder declines a second request through the library: the requester is told.
            request = _ask(verifier)
            job = {"op": "present", "request": request["uri"], "seed": seed, "decline": True}
            declined = _wallet(node, ca, {**job, "credentials": [], "contexts": {}})
            assert declined["status"] == 200, declined
            verdict = _result(request)
            assert verdict["status"] == "answered" and verdict["verdict"] == "declined", verdict

            # No exchange of the successful runs went through a refusal or a fallback.
            for step in got["trace"][:3] + sent["trace"][:2] + declined["trace"]:
                assert step["status"] == 200, step
            media = {step["url"].rsplit("/", 2)[-2]: step["contentType"] for step in sent["trace"]}
            assert media["requests"] == "application/oauth-authz-req+jwt", media

            for process in (issuer, verifier):
                assert "Traceback" not in process.log()
