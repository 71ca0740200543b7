"""The issuer with real processes: init an office, add operators, serve with real uvicorn on
127.0.0.1 over a SQLite file in a temp dir (and again over a PostgreSQL database), issue and
read back a credential, verify its proof with vc_core, see each refusal as problem details,
survive a restart, and leak no secret."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from issuer.config import DB_FILE
from issuer.db import make_engine
from issuer.tables import CredentialRow
from issuer.testing import running_issuer
from vc_core.dataintegrity import verify_proofs
from vc_core.errors import ProofError
from vc_core.keys import PublicKey
from vc_core.keystore import SealedKey
from vc_core.problems import problem_type

pytestmark = pytest.mark.integration
DID = "did:ecert:it:traffic-police"
PASSPHRASE = "integration passphrase, never logged"
DRIVER = "DriverLicenceCredential"


def _cli(tmp: Path, *args: str, db_url: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSUER_")}
    env["ISSUER_PASSPHRASE"] = PASSPHRASE
    if db_url is not None:
        env["ISSUER_DATABASE_URL"] = db_url
    done = subprocess.run(
        [sys.executable, "-m", "ecert", "issuer", *args],
        check=False,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=tmp,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _token(tmp: Path, data: Path, role: str, *types: str, db_url: str | None = None) -> str:
    scope = [a for t in types for a in ("--type", t)]
    args = ["operator", "add", "--name", role, "--role", role, *scope, "--data-dir", str(data)]
    out = _cli(tmp, *args, db_url=db_url)
    return out.strip().splitlines()[-1].split()[-1]


def _driver_licence() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("examples", "driver-licence.json").read_text("utf-8")
    draft: dict[str, Any] = json.loads(text)
    draft.pop("id")
    return draft


def _resolver(office_json: Path) -> Callable[[str, str], PublicKey]:
    """Resolve only ``<did>#<key>`` for the keys the office publishes, for assertions."""
    description = json.loads(office_json.read_text(encoding="utf-8"))
    keys = {f"{description['did']}#{k['publicKeyMultibase']}" for k in description["keys"]}

    def resolve(vm: str, purpose: str) -> PublicKey:
        if vm not in keys or purpose != "assertionMethod":
            raise ProofError(f"{vm} is not an assertion key of {description['did']}")
        return PublicKey.from_multibase(vm.split("#", 1)[1])

    return resolve


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, problem_type(code))


def test_issue_fetch_verify_refuse_restart(tmp_path: Path, issuer_db_url: str | None) -> None:
    data = tmp_path / "office"
    _cli(tmp_path, "init", "--did", DID, "--name", "Traffic police", "--data-dir", str(data),
         "--kdf", "interactive", db_url=issuer_db_url)  # fmt: skip
    issuer_token = _token(tmp_path, data, "issuer", DRIVER, db_url=issuer_db_url)
    approver_token = _token(tmp_path, data, "approver", DRIVER, db_url=issuer_db_url)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    # The passphrase reaches the server through a file here, and through the environment in the
    # CLI calls above: both ways are in use.
    env = {"ISSUER_PASSPHRASE_FILE": str(secret_file), "ISSUER_PASSPHRASE": ""}
    if issuer_db_url is not None:
        env["ISSUER_DATABASE_URL"] = issuer_db_url
    as_issuer = {"Authorization": f"Bearer {issuer_token}"}

    with running_issuer(data, env=env) as issuer:
        issued = httpx.post(
            issuer.url + "/credentials/issue",
            json={"credential": _driver_licence(), "options": {"anything": 1}},
            headers=as_issuer,
        )
        assert issued.status_code == 201, issued.text
        vc = issued.json()["verifiableCredential"]
        fetched = httpx.get(issuer.url + issued.headers["location"], headers=as_issuer)
        assert fetched.status_code == 200 and fetched.json()["verifiableCredential"] == vc

        url = issuer.url + "/credentials/issue"
        body = {"credential": _driver_licence()}
        _problem(httpx.post(url, json=body), 401, "TOKEN_MISSING")
        as_approver = {"Authorization": f"Bearer {approver_token}"}
        _problem(httpx.post(url, json=body, headers=as_approver), 403, "ROLE_NOT_ALLOWED")
        deed = {**_driver_licence(), "type": ["VerifiableCredential", "PropertyDeedCredential"]}
        refused = httpx.post(url, json={"credential": deed}, headers=as_issuer)
        _problem(refused, 403, "TYPE_OUT_OF_SCOPE")
        plain = {**as_issuer, "Content-Type": "text/plain"}
        _problem(httpx.post(url, content=json.dumps(body), headers=plain), 415,
                 "UNSUPPORTED_MEDIA_TYPE")  # fmt: skip
        # One id asked for by eight requests at once: one credential, seven 409s, never a 500
        # (the loser of the race meets the id's unique keys, on SQLite and on PostgreSQL).
        same = {"credential": {**_driver_licence(), "id": f"urn:uuid:{uuid.uuid4()}"}}
        with ThreadPoolExecutor(max_workers=8) as pool:
            race = list(
                pool.map(
                    lambda _: httpx.post(url, json=same, headers=as_issuer, timeout=60), range(8)
                )
            )
        assert sorted(a.status_code for a in race) == [201] + [409] * 7, [a.text for a in race]
        for lost in (a for a in race if a.status_code == 409):
            _problem(lost, 409, "CREDENTIAL_ID_TAKEN")
        broken = _driver_licence()
        broken["credentialSubject"]["licenceNumber"] = "510105199203150287"
        _problem(httpx.post(url, json={"credential": broken}, headers=as_issuer), 422,
                 "RESIDENT_ID_CHECK_CHARACTER_MISMATCH")  # fmt: skip

    # vc_core's default policy: assertionMethod, a key the issuer controls, created <= now.
    now = datetime.now(UTC)
    report = verify_proofs(vc, now=now, resolver=_resolver(data / "office.json"))
    assert report.results[0].issuer_controls_method is True
    tampered = {**vc, "credentialSubject": {**vc["credentialSubject"], "name": "王五"}}
    with pytest.raises(ProofError):
        verify_proofs(tampered, now=now, resolver=_resolver(data / "office.json"))

    if issuer_db_url is not None:
        # The credential went to PostgreSQL, not to a SQLite file beside the office.
        engine = make_engine(issuer_db_url)
        with Session(engine) as session:
            assert session.get(CredentialRow, vc["id"]) is not None
        engine.dispose()
        assert not (data / DB_FILE).exists()

    # What the API answered 201 for is stored durably: a fresh process serves it.
    with running_issuer(data, env=env) as again:
        back = httpx.get(again.url + f"/credentials/{vc['id']}", headers=as_issuer)
        assert back.status_code == 200 and back.json()["verifiableCredential"] == vc

    logs = "".join(p.read_text("utf-8") for p in tmp_path.glob("issuer-*.log"))
    assert "unlocked " + DID in logs, "the logs checked below are the servers' own"
    stored = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    key_file = next((data / "keys").iterdir())
    seed = SealedKey.read(key_file).unseal(PASSPHRASE)
    secrets = [PASSPHRASE, issuer_token.split(".")[2], approver_token.split(".")[2]]
    secrets += [seed.secret_multibase, seed.seed.hex(), base64.b64encode(seed.seed).decode()]
    for secret in secrets:
        assert secret not in logs
        assert secret.encode() not in stored
    # Nor any claim about the citizen in a log line (the database holds them, the logs do not).
    subject = vc["credentialSubject"]
    for claim in (subject["name"], subject["licenceNumber"], subject["address"]):
        assert claim not in logs
    assert seed.seed not in stored
