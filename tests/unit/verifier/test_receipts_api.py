"""Receipts from the verifier's API over a real replica, and the sealed receipt key.

Every report that ran past step 0 comes with a receipt that checks offline with
vc_core alone, signed by this verifier's key and naming the replica checkpoint the report used
(chain id, genesis hash, height, head hash) and the as_of asked for. A refused input gets none.
"""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ecert.cli import app as ecert_app
from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
from tests.unit.verifier.test_presentations_api import _challenge, _post, _vp
from vc_core.did import did_key
from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits, KeystoreUnlockError
from vc_core.verification.receipt import check_receipt
from verifier.app import create_app
from verifier.config import Settings
from verifier.receipts import init_key, load_or_init_key

VERIFY = "/credentials/verify"
KEY = KeyPair.from_seed(b"\x77" * 32)
PASSPHRASE = "receipt key passphrase for a unit test"


@pytest.fixture
def keyed(world: World, tmp_path: Path) -> Any:
    settings = Settings(genesis_hash=world.genesis_hash, data_dir=tmp_path / "keyed")
    app = create_app(settings, replica=world.replica, clock=lambda: world.now, receipt_key=KEY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_valid_report_comes_with_a_receipt_of_its_checkpoint(
    world: World, keyed: TestClient
) -> None:
    deed = world.issued()
    answer = keyed.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    checked = check_receipt(body["receipt"], now=world.now, verifier=did_key(KEY.public))
    assert checked.verdict.value == "valid"
    report = {k: v for k, v in body.items() if k != "receipt"}
    assert checked.report == report
    assert checked.checkpoint is not None
    assert checked.checkpoint.genesis_hash == world.genesis_hash
    assert checked.checkpoint.chain_id == world.replica.chain_id
    assert checked.checkpoint.height == report["chain"]["height"]
    assert checked.checkpoint.head_hash == report["chain"]["hash"]
    assert checked.as_of is None


def test_a_revoked_report_and_its_as_of_are_signed(world: World, keyed: TestClient) -> None:
    deed = world.issued()
    before = world.tick(60)
    world.tick(60)
    world.revoke(deed)
    answer = keyed.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 422
    assert check_receipt(answer.json()["receipt"], now=world.now).verdict.value == "invalid"
    options = {"asOf": before.isoformat()}
    then = keyed.post(VERIFY, json={"verifiableCredential": deed, "options": options})
    assert then.status_code == 200, then.text
    checked = check_receipt(then.json()["receipt"], now=world.now)
    assert checked.verdict.value == "valid" and checked.as_of == before


def test_could_not_check_is_signed_as_such(world: World, make_client: MakeClient) -> None:
    deed = world.issued()
    client = make_client(freshness_max_age_s=60)
    world.tick(3600)
    answer = client.post(VERIFY, json={"verifiableCredential": deed})
    assert answer.status_code == 503, answer.text
    checked = check_receipt(answer.json()["receipt"], now=world.now)
    assert checked.verdict.value == "could_not_check"
    assert checked.report == answer.json()["report"]


def test_refused_input_gets_no_receipt(client: TestClient) -> None:
    answer = client.post(VERIFY, json={"verifiableCredential": "not an object"})
    assert answer.status_code == 400
    assert "receipt" not in answer.json()


def test_a_presentation_report_is_signed_with_its_checkpoint(
    world: World, keyed: TestClient
) -> None:
    deed = world.issued()
    answer = _post(keyed, _vp(world, [deed], _challenge(keyed)))
    assert answer.status_code == 200, answer.text
    checked = check_receipt(answer.json()["receipt"], now=world.now)
    assert checked.verdict.value == "valid"
    assert checked.report["holder"] == answer.json()["holder"]
    assert checked.checkpoint is not None and checked.checkpoint.height is not None


def test_the_sealed_key_is_made_once_and_only_its_passphrase_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "receipt-key.json"
    made = load_or_init_key(path, PASSPHRASE, KdfLimits.minimum())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert made.secret_multibase not in path.read_text()
    again = load_or_init_key(path, PASSPHRASE, KdfLimits.minimum())
    assert again.public_multibase == made.public_multibase
    with pytest.raises(KeystoreUnlockError):
        load_or_init_key(path, PASSPHRASE + "!", KdfLimits.minimum())
    with pytest.raises(Exception, match="already holds"):
        init_key(path, PASSPHRASE, KdfLimits.minimum())


def test_ecert_verifier_init_prints_the_did_and_refuses_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    args = ["verifier", "init", "--data-dir", str(tmp_path / "v"), "--passphrase-file"]
    args += [str(secret), "--kdf", "interactive"]
    first = CliRunner().invoke(ecert_app, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("did:key:z6Mk")
    second = CliRunner().invoke(ecert_app, args)
    assert second.exit_code == 2 and "RECEIPT_KEY_EXISTS" in second.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    unwritable = ["verifier", "init", "--data-dir", str(blocked / "v"), "--passphrase-file"]
    refused = CliRunner().invoke(ecert_app, [*unwritable, str(secret), "--kdf", "interactive"])
    assert refused.exit_code == 2 and "RECEIPT_KEY_UNWRITABLE" in refused.stderr
    monkeypatch.delenv("VERIFIER_PASSPHRASE", raising=False)
    none = CliRunner().invoke(ecert_app, ["verifier", "init", "--data-dir", str(tmp_path / "w")])
    assert none.exit_code == 2 and "PASSPHRASE_MISSING" in none.stderr


def test_a_receipt_round_trips_through_json_text(world: World, keyed: TestClient) -> None:
    deed = world.issued()
    world.tick(1)
    receipt = keyed.post(VERIFY, json={"verifiableCredential": deed}).json()["receipt"]
    text = json.dumps(receipt, ensure_ascii=False, indent=2)
    later = world.now + timedelta(days=400)
    assert check_receipt(text, now=later).verdict.value == "valid"


def test_each_batch_item_that_ran_has_its_own_receipt(world: World, keyed: TestClient) -> None:
    good = world.issued()
    gone = world.deed(number=2)
    world.anchor(gone)
    world.revoke(gone)
    items = [good, gone, "not an object"]
    answer = keyed.post("/verify/batch", json={"verifiableCredentials": items})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    verdicts = [check_receipt(r["receipt"], now=world.now).verdict.value for r in results[:2]]
    assert verdicts == ["valid", "invalid"]
    assert check_receipt(results[1]["receipt"], now=world.now).report == results[1]["report"]
    assert "receipt" not in results[2]


def test_a_bank_signs_its_receipts_as_its_did_web(
    world: World, tmp_path: Path, client: TestClient
) -> None:
    bank = "did:web:bank.example"
    settings = Settings(
        genesis_hash=world.genesis_hash, data_dir=tmp_path / "bank", receipt_did=bank
    )
    app = create_app(settings, replica=world.replica, clock=lambda: world.now, receipt_key=KEY)
    with TestClient(app, raise_server_exceptions=False) as banked:
        answer = banked.post(VERIFY, json={"verifiableCredential": world.issued()})
        assert answer.status_code == 200, answer.text
        receipt = answer.json()["receipt"]
        document = banked.get("/.well-known/did.json").json()
    assert receipt["issuer"] == bank
    assert document["id"] == bank
    checked = check_receipt(receipt, now=world.now, verifier=bank, did_documents={bank: document})
    assert checked.verdict.value == "valid"
    # Without the bank's document nothing is fetched: the receipt could not be checked.
    with pytest.raises(RegistryError):
        check_receipt(receipt, now=world.now)
    # A verifier that signs as its did:key has no did:web document to publish.
    assert client.get("/.well-known/did.json").status_code == 404
