"""``ecert issuer rotate-key`` while the issuer issues (issue 8: "issuance never pauses").

A registry node and an issuer run as processes on 127.0.0.1; a thread issues credentials over
HTTP without pause while ``python -m issuer rotate-key`` (a third process) publishes a new key
with proof of possession, the issuer switches to it and the old key is retired. No request
fails, credentials are signed by both keys, and every one of them verifies with ``vc_core``
against an independent replica of the chain after the old key's retirement. Run with the
issuer's database on SQLite and on PostgreSQL (the CLI and the server share it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.config import Settings
from issuer.office import read_description
from issuer.testing import running_issuer
from tests.integration.live_registry import live_chain
from tests.integration.offices import DRIVER, PASSPHRASE, make_office
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.replica import HttpSource, Replica
from vc_core.verification.credential import check_credential

pytestmark = pytest.mark.integration
WAIT_S = 90.0
PACE_S = 0.05


def _draft() -> dict[str, Any]:
    name = CREDENTIAL_TYPES[DRIVER].example_file
    text = resources.files("schemas").joinpath("examples", name).read_text("utf-8")
    draft: dict[str, Any] = json.loads(text)
    draft.pop("id")
    return draft


def test_rotate_key_while_issuing(tmp_path: Path, issuer_db_url: str | None) -> None:
    database = {"ISSUER_DATABASE_URL": issuer_db_url} if issuer_db_url else {}
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain, issuer_db_url, roles=("issuer",))
        data, token = office.data, office.tokens["issuer"]
        did, old_key = office.office.did, office.office.signer
        env = {
            "ISSUER_PASSPHRASE": PASSPHRASE,
            "ISSUER_REGISTRY_URL": chain.url,
            "ISSUER_GENESIS_HASH": chain.genesis_hash,
            "ISSUER_BATCH_MAX_AGE_S": "0.3",
            **database,
        }
        with running_issuer(data, env=env) as issuer:
            issued: list[dict[str, Any]] = []
            failures: list[str] = []
            stop = threading.Event()

            def issue_without_pause() -> None:
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(timeout=30) as client:
                    while not stop.is_set():
                        answer = client.post(
                            issuer.url + "/credentials/issue",
                            json={"credential": _draft()},
                            headers=headers,
                        )
                        if answer.status_code == 201:
                            issued.append(answer.json()["verifiableCredential"])
                        else:
                            failures.append(f"{answer.status_code} {answer.text[:200]}")
                        # A steady trickle is enough to cover every step of the rotation, and
                        # keeps the number to anchor and verify afterwards small.
                        stop.wait(PACE_S)

            worker = threading.Thread(target=issue_without_pause)
            worker.start()
            try:
                time.sleep(0.5)
                rotation = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "issuer",
                        "rotate-key",
                        "--data-dir",
                        str(data),
                        "--registry",
                        chain.url,
                        "--issuer-url",
                        issuer.url,
                        "--kdf",
                        "interactive",
                    ],
                    env={**os.environ, "ISSUER_PASSPHRASE": PASSPHRASE, **database},
                    capture_output=True,
                    text=True,
                    timeout=WAIT_S,
                    check=False,
                )
                time.sleep(0.5)
            finally:
                stop.set()
                worker.join(60)
            assert rotation.returncode == 0, rotation.stderr + issuer.log()[-3000:]
            assert PASSPHRASE not in rotation.stdout + rotation.stderr
            settings = Settings(data_dir=data, database_url=issuer_db_url)
            new_key = read_description(settings)["current"]
            assert new_key != old_key.public_multibase
            assert f"retired: {old_key.public_multibase}" in rotation.stdout
            assert failures == []
            signers = {vc["proof"]["verificationMethod"].split("#")[1] for vc in issued}
            assert signers == {old_key.public_multibase, new_key}, signers

            def anchored(credential_id: str) -> bool:
                answer = httpx.get(
                    f"{issuer.url}/credentials/{credential_id}/receipt",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                return answer.status_code == 200

            deadline = time.monotonic() + WAIT_S
            for vc in issued:
                while not anchored(vc["id"]):
                    assert time.monotonic() < deadline, issuer.log()[-3000:]
                    time.sleep(0.2)
            log = issuer.log()

        replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=chain.genesis_hash)
        replica.sync([HttpSource(chain.url)], now=datetime.now(UTC))
        keys = {k.key: k for k in replica.office_keys(did)}
        assert keys[old_key.public_multibase].retired_at is not None
        reports = [check_credential(vc, reader=replica, now=datetime.now(UTC)) for vc in issued]
        replica.close()
    refused = [
        [(s.step, s.code, s.message) for s in report.steps if s.status == "failed"]
        for report in reports
        if report.verdict != "valid"
    ]
    assert refused == [], refused[:3]
    assert len(reports) == len(issued) > 0
    print(f"{len(issued)} credentials issued during the rotation, all valid")
    assert PASSPHRASE not in log and token not in log
