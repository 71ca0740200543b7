"""OpenID4VCI with real processes: a registry node and an issuer on 127.0.0.1 (SQLite files in a
temp dir), a test wallet client over HTTP (``wallet_cli.oid4vci``'s functions), and the
``ecert-wallet`` CLI (in process through its entry point, and as a child process that is
SIGKILLed inside its store write).

- The flow end to end, on SQLite and on PostgreSQL (offer URI → metadata → token with
  tx_code → nonce → credential with key proof), the credential anchored and its receipt
  verified offline; and each refusal: reused offer, wrong tx_code past the try limit, stale
  nonce, proof for another audience, proof signed by a key that is not the ``kid``. The
  issuer's log holds no code, token, nonce or claim.
- ``ecert-wallet receive`` for each of the five types (one from a QR image), ``list`` shows them,
  ``sync --registry`` picks up the receipts once anchored and builds bundles, ``verify`` passes;
  a reused offer, a wrong tx_code, an unreachable issuer and an unknown URI scheme are one line
  each with the CLI's exit code, and the store is unchanged.
- SIGKILL inside ``receive``'s store write (after the credential arrived): the store opens and
  holds what it held before.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.testing import IssuerProcess, free_port, running_issuer
from tests.integration.live_registry import LiveChain, live_chain
from tests.integration.offices import issuer_env, make_office
from tests.integration.postgres import PostgresServer
from vc_core.anchoring import AnchorReceipt, ChainFacts, credential_digest, verify_receipt
from vc_core.credential_types import CREDENTIAL_TYPES, example_credential
from vc_core.did import verification_method_id
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from wallet_cli import oid4vci
from wallet_cli.cli import run as wallet_run

pytestmark = pytest.mark.integration
WALLET_PASSPHRASE = "the citizen's wallet passphrase"
DRIVER = "DriverLicenceCredential"
WAIT_S = 60.0


@dataclass
class Office:
    chain: LiveChain
    issuer: IssuerProcess
    token: str
    facts: ChainFacts

    def offer(self, type_name: str = DRIVER) -> dict[str, Any]:
        example = example_credential(type_name)
        soon = datetime.now(UTC) + timedelta(days=30)
        valid_until = example["validUntil"]
        if datetime.fromisoformat(valid_until) < soon:
            valid_until = (soon + timedelta(days=700)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "credentialType": type_name,
            "credentialSubject": example["credentialSubject"],
            "validFrom": example["validFrom"],
            "validUntil": valid_until,
        }
        answer = httpx.post(
            self.issuer.url + "/offers",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        return made


@contextmanager
def _office(
    tmp: Path, chain: LiveChain, name: str, database_url: str | None = None
) -> Iterator[Office]:
    """An office on ``chain``, accredited for every type nationwide, served as a process."""
    # The examples' subjects live in several regions: accredit the whole country.
    office = make_office(
        tmp / name,
        chain,
        database_url,
        name,
        types=list(CREDENTIAL_TYPES),
        prefixes=("",),
        roles=("issuer",),
        title="Chengdu office",
    )
    token = office.tokens["issuer"]
    # Offers of types under dual control (deeds by default) wait for an approval (tested
    # below, in test_a_deed_offer_…); this office lets one operator issue every type.
    env = issuer_env(chain, office, ISSUER_APPROVALS_BY_TYPE='{"PropertyDeedCredential": 1}')
    facts = ChainFacts.from_genesis(chain.client.blocks(0, 1).blocks[0])
    with running_issuer(office.data, env=env) as issuer:
        yield Office(chain, issuer, token, facts)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    tmp = tmp_path_factory.mktemp("oid4vci-live")
    with live_chain(tmp) as chain, _office(tmp, chain, "tp") as made:
        yield made


def _code(made: dict[str, Any]) -> str:
    document = httpx.get(made["credential_offer_uri"], timeout=10).json()
    code: str = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    return code


def _token(url: str, code: str, tx_code: str) -> httpx.Response:
    form = {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    return httpx.post(url + "/token", data={**form, "tx_code": tx_code}, timeout=10)


def _credential(url: str, access: str, proof: str) -> httpx.Response:
    body = {"credential_configuration_id": DRIVER, "proofs": {"jwt": [proof]}}
    headers = {"Authorization": f"Bearer {access}"}
    return httpx.post(url + "/credential", json=body, headers=headers, timeout=30)


def _error(answer: httpx.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error


def _receipt(url: str, credential: dict[str, Any]) -> AnchorReceipt:
    leaf = credential_digest(credential)
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = httpx.get(f"{url}/credential-receipts/{leaf}", timeout=10)
        if answer.status_code == 200:
            return AnchorReceipt.from_json(answer.content)
        assert answer.json()["code"] == "RECEIPT_PENDING", answer.text
        assert time.monotonic() < deadline, "not anchored in time"
        time.sleep(0.1)


def test_flow_over_http_and_each_refusal(office: Office) -> None:
    _flow_and_refusals(office)


def test_flow_over_http_on_postgresql(
    office: Office, postgres: PostgresServer, tmp_path: Path
) -> None:
    """The same, with the office's database on PostgreSQL (the conditional updates that spend
    tries, nonces and tokens run there too)."""
    with _office(tmp_path, office.chain, "pg", postgres.create_database()) as on_postgres:
        _flow_and_refusals(on_postgres)


def _flow_and_refusals(office: Office) -> None:
    url = office.issuer.url
    session = oid4vci.Session()
    holder = KeyPair.generate()

    # The whole flow with the wallet's client; the credential is anchored like any other.
    made = office.offer()
    got = oid4vci.receive(
        made["offer_uri"],
        holder=holder,
        tx_code=lambda spec: made["tx_code"],
        now=lambda: datetime.now(UTC),
        session=session,
    )
    assert got.credential_issuer == url
    verify_receipt(_receipt(url, got.credential), got.credential, office.facts)

    # Reused offer: the URI is gone, the code is spent.
    with pytest.raises(MalformedError) as reused:
        oid4vci.receive(
            made["offer_uri"],
            holder=holder,
            tx_code=lambda spec: made["tx_code"],
            now=lambda: datetime.now(UTC),
        )
    assert reused.value.code == oid4vci.ReceiveCode.OFFER_USED

    # Wrong tx_code past the try limit (3): the right code no longer helps.
    made = office.offer()
    code = _code(made)
    wrong = "000000" if made["tx_code"] != "000000" else "111111"
    for _ in range(3):
        _error(_token(url, code, wrong), 400, "invalid_grant")
    _error(_token(url, code, made["tx_code"]), 400, "invalid_grant")
    _error(_token(url, _code(office.offer()) + "x", "123456"), 400, "invalid_grant")

    # Stale nonce: one a credential request already used.
    first = _token(url, _code(made := office.offer()), made["tx_code"]).json()["access_token"]
    second = _token(url, _code(made := office.offer()), made["tx_code"]).json()["access_token"]
    nonce = httpx.post(url + "/nonce", timeout=10).json()["c_nonce"]
    now = datetime.now(UTC)
    proof = oid4vci.key_proof(holder, audience=url, nonce=nonce, now=now)
    assert _credential(url, first, proof).status_code == 200
    _error(_credential(url, second, proof), 400, "invalid_nonce")

    # A proof for another audience, and one signed by a key that is not the kid.
    nonce = httpx.post(url + "/nonce", timeout=10).json()["c_nonce"]
    other_audience = oid4vci.key_proof(
        holder, audience="https://other.example", nonce=nonce, now=now
    )
    _error(_credential(url, second, other_audience), 400, "invalid_proof")
    impostor = KeyPair.generate()
    forged = oid4vci.key_proof(impostor, audience=url, nonce=nonce, now=now)
    header, payload, signature = forged.split(".")
    claimed = json.loads(base64.urlsafe_b64decode(header + "=="))
    claimed["kid"] = verification_method_id(holder.public)
    swapped = base64.urlsafe_b64encode(json.dumps(claimed).encode()).rstrip(b"=").decode()
    _error(_credential(url, second, f"{swapped}.{payload}.{signature}"), 400, "invalid_proof")
    # The nonce survived both refusals and the token still works with an honest proof.
    honest = oid4vci.key_proof(holder, audience=url, nonce=nonce, now=now)
    assert _credential(url, second, honest).status_code == 200
    session.close()

    log = office.issuer.log()
    for secret in (made["tx_code"], code, first, second, nonce, proof):
        assert secret not in log
    assert example_credential(DRIVER)["credentialSubject"]["name"] not in log


@pytest.fixture
def wallet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ECERT_WALLET_TEST_KDF_MINIMUM", "1")
    monkeypatch.delenv("ECERT_WALLET_TX_CODE", raising=False)
    home, secret = tmp_path / "home", tmp_path / "passphrase"
    secret.write_text(WALLET_PASSPHRASE + "\n", encoding="utf-8")

    def run(*args: str) -> int:
        return wallet_run(["--home", str(home), "--passphrase-file", str(secret), *args])

    run.home = home  # type: ignore[attr-defined]
    run.secret = secret  # type: ignore[attr-defined]
    assert run("init") == 0
    yield run


def _tx_file(tmp: Path, made: dict[str, Any], name: str = "tx") -> str:
    path = tmp / name
    path.write_text(made["tx_code"] + "\n", encoding="utf-8")
    return str(path)


def _listed(wallet: Any, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert wallet("list", "--json") == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


def test_wallet_receives_each_type_lists_syncs_and_verifies(
    office: Office, wallet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i, type_name in enumerate(sorted(CREDENTIAL_TYPES)):
        made = office.offer(type_name)
        tx = _tx_file(tmp_path, made, f"tx{i}")
        if i == 0:
            image = tmp_path / "offer.png"
            image.write_bytes(base64.b64decode(made["qr_png_base64"]))
            assert wallet("receive", "--qr-image", str(image), "--tx-code-file", tx) == 0
        else:
            assert wallet("receive", made["offer_uri"], "--tx-code-file", tx) == 0
        assert f"({type_name}) from {office.issuer.url}" in capsys.readouterr().out
    rows = _listed(wallet, capsys)
    assert sorted(r["type"] for r in rows) == sorted(CREDENTIAL_TYPES)
    assert not any(r["bundle"] for r in rows)

    # sync: receipts once the office anchored them, bundles from the registry; then verify.
    deadline = time.monotonic() + WAIT_S
    while True:
        capsys.readouterr()
        assert wallet("sync", "--registry", office.chain.url) == 0
        if all(r["bundle"] for r in _listed(wallet, capsys)):
            break
        assert time.monotonic() < deadline, "receipts never arrived"
        time.sleep(0.3)
    for row in rows:
        capsys.readouterr()
        code = wallet("verify", row["id"], "--genesis", office.chain.genesis_hash)
        out = capsys.readouterr().out
        assert code == 0, out
        assert "verdict: valid" in out


def _one_line_error(capsys: pytest.CaptureFixture[str], code: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {code}"), err


def test_wallet_refusals_are_one_line_and_lose_nothing(
    office: Office, wallet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = office.offer()
    tx = _tx_file(tmp_path, made)
    assert wallet("receive", made["offer_uri"], "--tx-code-file", tx) == 0
    store = wallet.home / "wallet.sealed"
    before = store.read_bytes()
    capsys.readouterr()

    assert wallet("receive", made["offer_uri"], "--tx-code-file", tx) == 2
    _one_line_error(capsys, "OFFER_USED")
    other = office.offer()
    wrong = tmp_path / "wrong"
    wrong.write_text("000000" if other["tx_code"] != "000000" else "111111", encoding="utf-8")
    assert wallet("receive", other["offer_uri"], "--tx-code-file", str(wrong)) == 2
    _one_line_error(capsys, "TX_CODE_REFUSED")
    short = tmp_path / "short"
    short.write_text("12", encoding="utf-8")
    assert wallet("receive", other["offer_uri"], "--tx-code-file", str(short)) == 2
    _one_line_error(capsys, "TX_CODE_MALFORMED")
    dead = f"http://127.0.0.1:{free_port()}/credential-offer/abc"
    unreachable = "openid-credential-offer://?credential_offer_uri=" + dead.replace(":", "%3A")
    assert wallet("receive", unreachable, "--tx-code-file", tx) == 3
    _one_line_error(capsys, "ISSUER_UNREACHABLE")
    assert wallet("receive", "openid4vp://?request_uri=x", "--tx-code-file", tx) == 2
    _one_line_error(capsys, "UNKNOWN_URI_SCHEME")
    assert wallet("receive", other["offer_uri"], "--tx-code-file", str(tmp_path / "nope")) == 2
    _one_line_error(capsys, "FILE_NOT_FOUND")
    assert wallet("receive", "--qr-image", str(tx), "--tx-code-file", tx) == 2
    _one_line_error(capsys, "QR_IMAGE_UNREADABLE")
    assert store.read_bytes() == before, "no refusal rewrote the store"
    assert len(_listed(wallet, capsys)) == 1


def test_sigkill_inside_the_receive_write_keeps_the_store(
    office: Office, wallet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = office.offer()
    assert wallet("receive", made["offer_uri"], "--tx-code-file", _tx_file(tmp_path, made)) == 0
    held = [r["id"] for r in _listed(wallet, capsys)]
    home: Path = wallet.home
    before = (home / "wallet.sealed").read_bytes()

    made = office.offer()
    env = {
        **os.environ,
        "ECERT_WALLET_TEST_KDF_MINIMUM": "1",
        # The credential has arrived and been checked; the new store is written and fsynced,
        # and the process waits before the rename — where the kill lands.
        "ECERT_WALLET_TEST_PAUSE_BEFORE_RENAME": "600",
    }
    command = [sys.executable, "-m", "wallet_cli", "--home", str(home)]
    command += ["--passphrase-file", str(wallet.secret), "receive", made["offer_uri"]]
    command += ["--tx-code-file", _tx_file(tmp_path, made, "tx-killed")]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not list(home.glob(".wallet.sealed.*.tmp")):
            assert proc.poll() is None, "receive ended before it wrote"
            time.sleep(0.02)
        # The office already issued it: its offer is spent.
        assert httpx.get(made["credential_offer_uri"], timeout=10).status_code == 410
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (home / "wallet.sealed").read_bytes() == before
    assert [r["id"] for r in _listed(wallet, capsys)] == held
    # The next write goes through and clears what the killed one left.
    again = office.offer()
    assert wallet("receive", again["offer_uri"], "--tx-code-file", _tx_file(tmp_path, again)) == 0
    assert len(_listed(wallet, capsys)) == len(held) + 1
    assert not list(home.glob(".wallet.sealed.*.tmp"))


DEED = "PropertyDeedCredential"


def test_a_deed_offer_is_usable_only_once_another_operator_approved_it(tmp_path: Path) -> None:
    """Deeds are under dual control (the default policy): ``POST /offers`` holds the offer for
    approval. Its URI and tx_code do nothing until a different operator with the approver role
    approves; then a wallet receives the deed through the whole OpenID4VCI flow, with the
    credential id the approver saw. A rejected offer never works."""
    with live_chain(tmp_path) as chain:
        land = make_office(
            tmp_path / "land",
            chain,
            None,
            "land",
            types=[DEED],
            prefixes=("",),
            roles=("issuer", "approver"),
            title="Land registry",
        )
        facts = ChainFacts.from_genesis(chain.client.blocks(0, 1).blocks[0])
        with running_issuer(land.data, env=issuer_env(chain, land)) as issuer:
            url = issuer.url

            def as_role(role: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {land.tokens[role]}"}

            def offer() -> httpx.Response:
                example = example_credential(DEED)
                body = {
                    "credentialType": DEED,
                    "credentialSubject": example["credentialSubject"],
                    "validFrom": example["validFrom"],
                }
                return httpx.post(url + "/offers", json=body, headers=as_role("issuer"), timeout=30)

            answer = offer()
            assert answer.status_code == 202, answer.text
            made = answer.json()
            request = made["request"]
            assert made["state"] == "pending" and request["kind"] == "offer"
            assert answer.headers["location"] == "/requests/" + request["id"]
            assert answer.headers["cache-control"] == "no-store"

            # Held: the offer is not served and its code gives no token.
            held = httpx.get(made["credential_offer_uri"], timeout=10)
            assert held.status_code == 409 and held.json()["code"] == "OFFER_PENDING_APPROVAL"
            holder = KeyPair.generate()
            with pytest.raises(MalformedError) as waiting:
                oid4vci.receive(
                    made["offer_uri"],
                    holder=holder,
                    tx_code=lambda spec: made["tx_code"],
                    now=lambda: datetime.now(UTC),
                )
            assert waiting.value.code == oid4vci.ReceiveCode.OFFER_PENDING_APPROVAL
            # The operator who made it cannot approve it; an approver can.
            approve = f"{url}/requests/{request['id']}/approve"
            own = httpx.post(approve, headers=as_role("issuer"), timeout=30)
            assert own.status_code == 403 and own.json()["code"] == "ROLE_NOT_ALLOWED"
            shown = httpx.get(f"{url}/requests/{request['id']}", headers=as_role("approver"))
            assert shown.json()["payload"]["credential"]["id"] == request["credentialId"]
            done = httpx.post(approve, headers=as_role("approver"), timeout=30)
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            assert done.json()["state"] == "executed"
            assert done.json()["result"]["offerId"] == made["id"]

            # Now the citizen's wallet receives the deed, anchored like any other credential.
            got = oid4vci.receive(
                made["offer_uri"],
                holder=holder,
                tx_code=lambda spec: made["tx_code"],
                now=lambda: datetime.now(UTC),
            )
            deed = got.credential
            assert deed["id"] == request["credentialId"] and DEED in deed["type"]
            assert deed["credentialSubject"]["id"].startswith("did:key:")
            verify_receipt(_receipt(url, deed), deed, facts)

            # A rejected offer is dead.
            rejected = offer().json()
            refused = httpx.post(
                f"{url}/requests/{rejected['request']['id']}/reject",
                json={},
                headers=as_role("approver"),
                timeout=30,
            )
            assert refused.status_code == 200, refused.text
            gone = httpx.get(rejected["credential_offer_uri"], timeout=10)
            assert gone.status_code == 410 and gone.json()["code"] == "OFFER_USED"
            log = issuer.log()
        for secret in (made["tx_code"], rejected["tx_code"]):
            assert secret not in log
