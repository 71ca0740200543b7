"""``ecert verify --registry URL`` against a real registry node on 127.0.0.1: the CLI syncs a
temporary replica from the node, then verifies with no further network use. A valid deed exits
0, a revoked one 1, and with the node stopped the answer is "could not check" (3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.live_registry import live_chain
from vc_core.anchoring import credential_digest
from vc_core.credential_types import example_credential
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger import RevokeEvent

pytestmark = pytest.mark.integration
DEED = "PropertyDeedCredential"


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "ecert", "verify", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _deed(office: str, key: KeyPair, number: int) -> dict[str, Any]:
    draft = {**example_credential(DEED), "id": f"urn:ecert:live-verify:{number}"}
    vm = f"{office}#{key.public_multibase}"
    return issue_credential(
        draft, key, suite="eddsa-rdfc-2022", now=datetime.now(UTC), verification_method=vm
    )


def test_verify_against_a_live_registry(tmp_path: Path) -> None:
    key = KeyPair.generate()
    files = {name: tmp_path / f"{name}.json" for name in ("valid", "revoked")}
    with live_chain(tmp_path) as chain:
        office = chain.accredit("land-bureau", key, types=[DEED])
        deeds = {"valid": _deed(office, key, 1), "revoked": _deed(office, key, 2)}
        chain.anchor(office, key, [credential_digest(d) for d in deeds.values()], "b1")
        chain.status(office, key, deeds["revoked"]["id"], RevokeEvent(reason="court order"))
        for name, deed in deeds.items():
            files[name].write_text(json.dumps(deed, ensure_ascii=False), encoding="utf-8")
        source = ("--registry", chain.url, "--genesis", chain.genesis_hash)
        valid = _verify(str(files["valid"]), *source)
        revoked = _verify(str(files["revoked"]), *source, "--json")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "verdict: valid" in valid.stdout
    assert revoked.returncode == 1, revoked.stdout + revoked.stderr
    report = json.loads(revoked.stdout)
    assert [s["code"] for s in report["steps"] if s["status"] == "failed"] == ["REVOKED"]
    stopped = _verify(str(files["valid"]), *source)
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
