"""OpenID4VP 1.0 across REAL processes on 127.0.0.1: a registry node, an issuer, a verifier, and
``ecert-wallet`` run as a child process.

The issuer issues a driving licence to the wallet's holder DID (``credentialSubject.id``) and
anchors it; the verifier syncs its replica from the registry. A requester asks the verifier for
a presentation with its API key; then

- a test wallet written here from the spec answers over HTTP: valid; and the negatives, each
  with its code: wrong nonce, other domain, replay, signed by someone other than the holder, a
  credential that does not answer the DCQL query;
- ``ecert-wallet present <openid4vp link> --yes`` answers a request: exit 0 and the requester
  reads ``valid`` with the claims asked; declining at the prompt tells the verifier; an expired
  or answered request and a query no credential answers are one-line errors with the
  convention's exit codes, and the store still holds everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from issuer.testing import IssuerProcess, running_issuer
from tests.integration.live_registry import LiveChain, live_chain
from tests.integration.offices import PASSPHRASE, make_office
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.did import did_key
from vc_core.keys import KeyPair
from vc_core.oid4vp import read_request_object
from verifier.oid4vp.auth import new_api_key
from verifier.testing import VerifierProcess, running_verifier
from wallet_cli.present import build_presentation

pytestmark = pytest.mark.integration
WALLET_PASSPHRASE = "the holder's own passphrase"
DRIVER = "DriverLicenceCredential"
API_KEY, API_HASH = new_api_key()
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# Long enough for a wallet process on a loaded machine; `late` is used once it has passed.
TTL_S = 30
CLAIMS = ["credentialSubject.licenceNumber", "credentialSubject.vehicleClasses"]


@dataclass
class Scene:
    chain: LiveChain
    issuer: IssuerProcess
    verifier: VerifierProcess
    home: Path
    holder: str
    licence: dict[str, Any]
    tmp: Path
    token: str
    late: dict[str, Any] | None = None
    late_at: float = 0.0

    def wallet(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "ECERT_WALLET_HOME": str(self.home),
            "ECERT_WALLET_PASSPHRASE": WALLET_PASSPHRASE,
            "ECERT_WALLET_TEST_KDF_MINIMUM": "1",
            "COLUMNS": "200",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "wallet_cli", *args],
            check=False,
            capture_output=True,
            text=True,
            input=stdin,
            cwd=self.tmp,
            timeout=120,
            env=env,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def ask(self, credential_type: str = DRIVER, claims: list[str] = CLAIMS) -> dict[str, Any]:
        body = {"credentialType": credential_type, "claims": claims}
        answer = httpx.post(
            self.verifier.url + "/presentation-requests", json=body, headers=AUTH, timeout=30
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def result(self, made: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.get(made["resultUrl"], headers=AUTH, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _office(tmp: Path, chain: LiveChain) -> tuple[Path, str]:
    office = make_office(tmp, chain, roles=("issuer",))
    return office.data, office.tokens["issuer"]


def _issue_to(issuer: IssuerProcess, token: str, holder: str) -> dict[str, Any]:
    name = CREDENTIAL_TYPES[DRIVER].example_file
    draft = json.loads(resources.files("schemas").joinpath("examples", name).read_text("utf-8"))
    draft.pop("id")
    draft["credentialSubject"]["id"] = holder
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(
        issuer.url + "/credentials/issue", json={"credential": draft}, headers=headers, timeout=30
    )
    assert answer.status_code == 201, answer.text
    credential: dict[str, Any] = answer.json()["verifiableCredential"]
    deadline = time.monotonic() + 60
    while True:  # Until anchored (a bound on the wait, not a timing assertion).
        url = f"{issuer.url}/credentials/{credential['id']}/receipt"
        if httpx.get(url, headers=headers, timeout=10).status_code == 200:
            return credential
        assert time.monotonic() < deadline, "not anchored in time:\n" + issuer.log()[-3000:]
        time.sleep(0.1)


def _wait_valid(verifier: VerifierProcess, credential: dict[str, Any]) -> None:
    for _ in range(600):  # Until the verifier's replica holds the anchor (a bound).
        body = {"verifiableCredential": credential}
        answer = httpx.post(verifier.url + "/credentials/verify", json=body, timeout=30)
        if answer.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"never valid at the verifier:\n{answer.text}\n{verifier.log()[-3000:]}")


@contextmanager
def _scene(tmp: Path) -> Iterator[Scene]:
    with live_chain(tmp) as chain:
        data, token = _office(tmp, chain)
        issuer_env = {
            "ISSUER_PASSPHRASE": PASSPHRASE,
            "ISSUER_REGISTRY_URL": chain.url,
            "ISSUER_GENESIS_HASH": chain.genesis_hash,
            "ISSUER_BATCH_MAX_AGE_S": "0.3",
        }
        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
            "VERIFIER_SYNC_INTERVAL_S": "0.2",
            "VERIFIER_REQUESTER_KEY_HASHES": json.dumps([API_HASH]),
            "VERIFIER_PRESENTATION_REQUEST_TTL_S": str(TTL_S),
            "VERIFIER_REQUEST_KEY_PASSPHRASE": PASSPHRASE,
        }
        with (
            running_issuer(data, env=issuer_env) as issuer,
            running_verifier(tmp / "verifier", env=verifier_env) as verifier,
        ):
            scene = Scene(chain, issuer, verifier, tmp / "home", "", {}, tmp, token)
            # Asked first and used last, once expired: the setup's own time counts towards it.
            scene.late, scene.late_at = scene.ask(), time.monotonic()
            made = scene.wallet("init", "--kdf", "interactive")
            assert made.returncode == 0, made.stderr
            scene.holder = made.stdout.split("holder: ")[1].strip()
            scene.licence = _issue_to(issuer, token, scene.holder)
            _wait_valid(verifier, scene.licence)
            (tmp / "licence.json").write_text(json.dumps(scene.licence), encoding="utf-8")
            imported = scene.wallet("import", str(tmp / "licence.json"))
            assert imported.returncode == 0, imported.stderr
            yield scene
            for process in (issuer, verifier):
                assert "Traceback" not in process.log()
            assert PASSPHRASE not in verifier.log() and API_KEY not in verifier.log()


def _fetch(made: dict[str, Any]) -> dict[str, Any]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(made["uri"]).query).items()}
    served = httpx.get(query["request_uri"], timeout=10)
    assert served.status_code == 200, served.text
    now = datetime.now(UTC)
    return read_request_object(served.text, client_id=query["client_id"], now=now)


def _post(
    request: dict[str, Any],
    credential: dict[str, Any],
    signer: KeyPair,
    **change: str,
) -> httpx.Response:
    vp = build_presentation(
        [credential],
        signer,
        challenge=change.get("nonce", request["nonce"]),
        domain=change.get("domain", request["client_id"]),
        now=datetime.now(UTC),
    )
    if "holder" in change:
        vp["holder"] = change["holder"]
    token = json.dumps({request["dcql_query"]["credentials"][0]["id"]: [vp]})
    return httpx.post(
        request["response_uri"], data={"vp_token": token, "state": request["state"]}, timeout=30
    )


def _refused(answer: httpx.Response, *codes: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["code"] in codes, answer.text


def test_oid4vp_with_real_processes(tmp_path: Path) -> None:
    with _scene(tmp_path) as scene:
        late = scene.late
        assert late is not None

        # The test wallet holds a key of its own (the CLI wallet's is sealed in its store) and a
        # licence the issuer issued to that key's DID.
        holder = KeyPair.generate()
        own = _issue_to(scene.issuer, scene.token, did_key(holder.public))
        _wait_valid(scene.verifier, own)
        made = scene.ask()
        request = _fetch(made)
        assert request["client_id"] == made["clientId"]
        ok = _post(request, own, holder)
        assert ok.status_code == 200, ok.text
        result = scene.result(made)
        assert result["verdict"] == "valid", result
        assert set(result["claims"]) == {c for c in CLAIMS}
        _refused(_post(request, own, holder), "PRESENTATION_REQUEST_ANSWERED")

        intruder = KeyPair.generate()
        cases = [
            ({"nonce": "not-the-request-nonce"}, holder, ("INVALID_CHALLENGE_ERROR",)),
            (
                {"domain": "decentralized_identifier:did:web:other.example"},
                holder,
                ("INVALID_DOMAIN_ERROR",),
            ),
            ({}, intruder, ("HOLDER_BINDING_MISSING",)),
            (
                {"holder": did_key(holder.public)},
                intruder,
                ("PROOF_VERIFICATION_ERROR", "VERIFICATION_METHOD_NOT_CONTROLLED"),
            ),
        ]
        for change, signer, codes in cases:
            one = scene.ask()
            _refused(_post(_fetch(one), own, signer, **change), *codes)
            assert scene.result(one)["verdict"] == "invalid"
        other_type = scene.ask("BusinessLicenceCredential", [])
        _refused(_post(_fetch(other_type), own, holder), "DCQL_NOT_SATISFIED")

        _the_cli_wallet(scene, other_type)

        time.sleep(
            max(0.0, TTL_S + 0.5 - (time.monotonic() - scene.late_at))
        )  # Lets `late` expire.
        expired = scene.wallet("present", late["uri"], "--yes")
        assert expired.returncode == 2, expired.stdout + expired.stderr
        assert expired.stderr.count("\n") == 1 and "expired" in expired.stderr
        assert scene.result(late)["status"] == "expired"
        listed = scene.wallet("list", "--json")
        assert [r["type"] for r in json.loads(listed.stdout)] == [DRIVER]


def _the_cli_wallet(scene: Scene, other_type: dict[str, Any]) -> None:
    made = scene.ask()
    presented = scene.wallet("present", made["uri"], "--yes")
    assert presented.returncode == 0, presented.stdout + presented.stderr
    assert (
        made["clientId"] in presented.stdout
        and "credentialSubject.licenceNumber" in presented.stdout
    )
    result = scene.result(made)
    assert result["verdict"] == "valid", result
    assert result["presentation"]["holder"] == scene.holder
    assert (
        result["claims"]["credentialSubject.licenceNumber"]
        == scene.licence["credentialSubject"]["licenceNumber"]
    )

    declined = scene.ask()
    said_no = scene.wallet("present", declined["uri"], stdin="n\n")
    assert said_no.returncode == 1, said_no.stdout + said_no.stderr
    assert scene.result(declined)["verdict"] == "declined"

    # Links of another scheme and unreachable verifiers: tests/unit/wallet_cli (no process needed).
    errors: list[tuple[Callable[[], str], int, str]] = [
        (lambda: scene.ask("BusinessLicenceCredential", [])["uri"], 2, "NO_MATCHING_CREDENTIAL"),
        (lambda: other_type["uri"], 2, "REQUEST_NOT_SERVED"),  # Answered already: 410.
    ]
    for make_link, code, name in errors:
        link = make_link()  # Made just before use: a request lives TTL_S.
        proc = scene.wallet("present", link, "--yes")
        assert proc.returncode == code, (link, proc.stdout, proc.stderr)
        assert proc.stderr.count("\n") == 1 and name in proc.stderr, proc.stderr
