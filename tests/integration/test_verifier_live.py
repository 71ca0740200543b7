"""A REAL verifier process syncing from a REAL registry process, both on 127.0.0.1.

The verifier's replica is synced in the background; verification reads it alone. So a valid
deed is 200 and a revoked one 422 (REVOKED); a holder's presentation with a challenge from this
verifier is 200, and with a wrong, reused or expired challenge or another domain 422 with a
stable code; with the registry stopped, a fresh-enough replica still answers 200; once the
replica is older than the policy, 503 REPLICA_TOO_OLD.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.live_registry import live_chain
from vc_core.anchoring import credential_digest
from vc_core.credential_types import example_credential
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger import RevokeEvent
from verifier.testing import VerifierProcess, running_verifier
from wallet_cli.present import build_presentation

pytestmark = pytest.mark.integration
DEED = "PropertyDeedCredential"
MAX_AGE_S = 4
CHALLENGE_TTL_S = 2
HOLDER = KeyPair.generate()


def _deed(office: str, key: KeyPair, number: int) -> dict[str, Any]:
    draft = {**example_credential(DEED), "id": f"urn:ecert:live-verifier:{number}"}
    vm = f"{office}#{key.public_multibase}"
    return issue_credential(
        draft, key, suite="eddsa-rdfc-2022", now=datetime.now(UTC), verification_method=vm
    )


def _wait_synced(verifier: VerifierProcess, height: int) -> None:
    for _ in range(400):  # A bound on the wait, not a timing assertion.
        replica = httpx.get(verifier.url + "/health", timeout=5).json()["replica"]
        if replica["height"] is not None and replica["height"] >= height:
            return
        time.sleep(0.05)
    raise AssertionError(f"the verifier never synced to {height}:\n{verifier.log()[-3000:]}")


def _verify(verifier: VerifierProcess, deed: dict[str, Any]) -> httpx.Response:
    body = {"verifiableCredential": deed}
    return httpx.post(verifier.url + "/credentials/verify", json=body, timeout=30)


def _present(
    verifier: VerifierProcess, deed: dict[str, Any], made: dict[str, Any], **change: str
) -> httpx.Response:
    given = {**made, **change}
    vp = build_presentation(
        [deed],
        HOLDER,
        challenge=given["challenge"],
        domain=given["domain"],
        now=datetime.now(UTC),
    )
    body = {"verifiablePresentation": vp, "options": {"domain": made["domain"]}}
    return httpx.post(verifier.url + "/presentations/verify", json=body, timeout=30)


def _challenge(verifier: VerifierProcess) -> dict[str, Any]:
    answer = httpx.post(verifier.url + "/challenges", json={"domain": "bank.example"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _presentations(verifier: VerifierProcess, deed: dict[str, Any]) -> None:
    made = _challenge(verifier)
    ok = _present(verifier, deed, made)
    assert ok.status_code == 200, ok.text
    refusals = {
        "CHALLENGE_USED": _present(verifier, deed, made),
        "CHALLENGE_UNKNOWN": _present(verifier, deed, made, challenge="made-up"),
        "INVALID_DOMAIN_ERROR": _present(
            verifier, deed, _challenge(verifier), domain="other.example"
        ),
    }
    expiring = _challenge(verifier)
    time.sleep(CHALLENGE_TTL_S + 0.5)  # Lets the challenge expire; nothing is timed.
    refusals["CHALLENGE_EXPIRED"] = _present(verifier, deed, expiring)
    for code, answer in refusals.items():
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["code"] == code


def test_a_live_verifier_answers_from_its_replica(tmp_path: Path) -> None:
    key = KeyPair.generate()
    with ExitStack() as outer:
        with live_chain(tmp_path) as chain:
            office = chain.accredit("land-bureau", key, types=[DEED])
            valid, revoked = _deed(office, key, 1), _deed(office, key, 2)
            chain.anchor(office, key, [credential_digest(d) for d in (valid, revoked)], "b1")
            status = chain.status(office, key, revoked["id"], RevokeEvent(reason="court order"))
            env = {
                "VERIFIER_GENESIS_HASH": chain.genesis_hash,
                "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
                "VERIFIER_SYNC_INTERVAL_S": "0.2",
                "VERIFIER_SYNC_TIMEOUT_S": "2",
                "VERIFIER_FRESHNESS_MAX_AGE_S": str(MAX_AGE_S),
                "VERIFIER_CHALLENGE_TTL_S": str(CHALLENGE_TTL_S),
            }
            verifier = outer.enter_context(running_verifier(tmp_path / "verifier", env=env))
            assert status.height is not None
            _wait_synced(verifier, status.height)
            ok = _verify(verifier, valid)
            assert ok.status_code == 200, ok.text
            gone = _verify(verifier, revoked)
            assert gone.status_code == 422, gone.text
            failed = [s["code"] for s in gone.json()["steps"] if s["status"] == "failed"]
            assert failed == ["REVOKED"]
            _presentations(verifier, valid)
        # The registry is stopped now; the replica was synced within the last moments.
        still = _verify(verifier, valid)
        assert still.status_code == 200, still.text
        stale = None
        for _ in range(300):  # Until the replica ages past the policy (a bound, not a timing).
            stale = _verify(verifier, valid)
            if stale.status_code != 200:
                break
            time.sleep(0.1)
        assert stale is not None and stale.status_code == 503, stale.text if stale else None
        assert stale.json()["code"] == "REPLICA_TOO_OLD"
        assert stale.json()["report"]["verdict"] == "could_not_check"
        assert "Traceback" not in verifier.log()
