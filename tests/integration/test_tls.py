"""The services serve HTTPS themselves: a registry, an issuer and a verifier, each a real process
on 127.0.0.1 with a certificate from a private CA that the clients trust through
``SSL_CERT_FILE``. The issuer anchors over HTTPS, the verifier syncs over HTTPS, and an operator's
token only ever crosses TLS. Half a configuration, a key others can read and a key that does not
match its certificate stop ``serve`` with one line and exit 2, before anything listens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from issuer.testing import running_issuer
from tests.integration.live_registry import live_chain
from tests.integration.offices import driver_draft, issuer_env, make_office, wait_receipt
from tests.integration.pki import make_pki, pem_key
from verifier.testing import running_verifier

pytestmark = pytest.mark.integration


def test_the_story_over_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca, cert, key = make_pki(tmp_path)
    # The test and the children it starts trust the private CA, and nothing else changes.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    tls = {"TLS_CERT_FILE": str(cert), "TLS_KEY_FILE": str(key)}
    node_env = {f"REGISTRY_{k}": v for k, v in tls.items()}
    with live_chain(tmp_path, node_env=node_env) as chain:
        assert chain.url.startswith("https://")
        office = make_office(tmp_path, chain)
        env = issuer_env(chain, office, **{f"ISSUER_{k}": v for k, v in tls.items()})
        with running_issuer(office.data, env=env) as issuer:
            assert issuer.url.startswith("https://")
            answer = httpx.post(
                issuer.url + "/credentials/issue",
                json={"credential": driver_draft()},
                headers=office.headers("issuer"),
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            credential = answer.json()["verifiableCredential"]
            # Anchored over HTTPS: the issuer's registry URL is the TLS one.
            receipt = wait_receipt(issuer, office, credential["id"])
            assert receipt.leaf

            # The same port spoken to in clear is no HTTP server at all: no token is answered.
            with pytest.raises(httpx.TransportError):
                httpx.get(issuer.url.replace("https://", "http://") + "/health", timeout=5)
            # A client that trusts only the public CAs refuses the connection.
            with pytest.raises(httpx.ConnectError):
                httpx.get(issuer.url + "/health", timeout=5, trust_env=False)

        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": f'["{chain.url}"]',
            "VERIFIER_SYNC_INTERVAL_S": "0.2",
            **{f"VERIFIER_{k}": v for k, v in tls.items()},
        }
        with running_verifier(tmp_path / "verifier", env=verifier_env) as verifier:
            assert verifier.url.startswith("https://")
            verdict = _verify_when_synced(verifier.url, credential)
            assert verdict.status_code == 200, verdict.text
            assert verdict.json()["verified"] is True


def _verify_when_synced(url: str, credential: dict[str, object]) -> httpx.Response:
    for _ in range(200):  # A bound on the wait for the first sync, not a timing assertion.
        answer = httpx.post(
            url + "/credentials/verify", json={"verifiableCredential": credential}, timeout=30
        )
        if answer.status_code != 503:
            return answer
        httpx.get(url + "/health", timeout=5)
    return answer


def _serve(service: str, folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", service, "serve", "--data-dir", str(folder), *options]
    env = {
        **os.environ,
        "ISSUER_PASSPHRASE": "x",
        "VERIFIER_PASSPHRASE": "x",
        "VERIFIER_GENESIS_HASH": "0" * 64,
    }
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.mark.parametrize("service", ["registry", "issuer", "verifier"])
def test_a_bad_tls_configuration_is_one_line(tmp_path: Path, service: str) -> None:
    _ca, cert, key = make_pki(tmp_path)
    other_key = tmp_path / "other.pem"
    other_key.write_bytes(pem_key(ec.generate_private_key(ec.SECP256R1())))
    other_key.chmod(0o600)
    open_key = tmp_path / "open.pem"
    open_key.write_bytes(key.read_bytes())
    open_key.chmod(0o644)
    cases = {
        "half": ["--tls-cert", str(cert)],
        "readable by others": ["--tls-cert", str(cert), "--tls-key", str(open_key)],
        "not its key": ["--tls-cert", str(cert), "--tls-key", str(other_key)],
        "missing": ["--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key)],
    }
    for case, options in cases.items():
        done = _serve(service, tmp_path / "data", *options)
        assert done.returncode == 2, (case, done.stderr)
        assert "TLS_CONFIG" in done.stderr, (case, done.stderr)
        assert "Traceback" not in done.stderr, (case, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (case, done.stderr)
