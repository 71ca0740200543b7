"""Deeds on a real chain: a registry node and an issuer, each its own process on 127.0.0.1 over
SQLite files in a temp dir, and again on PostgreSQL (issue 8: deeds, dual control).

A deed is issued under dual control (the requester cannot approve itself), a mortgage is
registered and released (each under dual control too), and the deed is transferred; an
independent replica of the chain sees the encumbrance come and go and names the successor;
the successor verifies with ``vc_core`` against that replica. The issuer's log never holds a
token, the passphrase or a claim value.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from issuer.auth import add_operator
from issuer.config import Settings
from issuer.db import make_engine
from issuer.office import init_office, unlock_office
from issuer.testing import IssuerProcess, running_issuer
from tests.integration.live_registry import LiveChain, live_chain
from vc_core.anchoring import AnchorReceipt
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits
from vc_core.ledger.bodies import RevokeEvent
from vc_core.ledger.records import CredentialStatus
from vc_core.replica import HttpSource, Replica
from vc_core.verification.credential import check_credential

pytestmark = pytest.mark.integration
PASSPHRASE = "deeds test passphrase, never logged"
DEED = "PropertyDeedCredential"
WAIT_S = 60.0
NEW_OWNER_ID = "510104199001011230"
ROLES = {
    "clerk": ("issuer",),
    "both": ("issuer", "approver"),
    "approver": ("approver",),
    "approver2": ("approver",),
    "admin": ("admin",),
}


def _office(
    tmp: Path, chain: LiveChain, db_url: str | None
) -> tuple[Path, str, dict[str, str], KeyPair]:
    data = tmp / "office"
    settings = Settings(data_dir=data, database_url=db_url)
    now = datetime.now(UTC)
    did = f"did:ecert:{chain.chain_id}:land"
    init_office(
        settings=settings,
        did=did,
        name="Land registry",
        passphrase=PASSPHRASE,
        limits=KdfLimits.minimum(),
        now=now,
    )
    office = unlock_office(settings=settings, passphrase=PASSPHRASE)
    chain.accredit("land", office.signer, types=[DEED])
    engine = make_engine(settings.db_url)
    tokens = {}
    with Session(engine) as session:
        for name, roles in ROLES.items():
            made = add_operator(
                session,
                name=name,
                roles=roles,
                credential_types=[DEED],
                lifetime=timedelta(days=1),
                now=now,
            )
            tokens[name] = made.token
    engine.dispose()
    return data, did, tokens, office.signer


def _draft() -> dict[str, Any]:
    name = CREDENTIAL_TYPES[DEED].example_file
    text = resources.files("schemas").joinpath("examples", name).read_text("utf-8")
    draft: dict[str, Any] = json.loads(text)
    draft.pop("id")
    return draft


def _until(what: str, check: Callable[[], Any], issuer: IssuerProcess) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} not seen in time:\n" + issuer.log()[-3000:]
        time.sleep(0.2)


def test_deed_dual_control_encumbrance_and_transfer_on_a_replica(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with live_chain(tmp_path) as chain:
        data, did, tokens, _ = _office(tmp_path, chain, issuer_db_url)
        database = {"ISSUER_DATABASE_URL": issuer_db_url} if issuer_db_url else {}
        env = {
            **database,
            "ISSUER_PASSPHRASE": PASSPHRASE,
            "ISSUER_REGISTRY_URL": chain.url,
            "ISSUER_GENESIS_HASH": chain.genesis_hash,
            "ISSUER_BATCH_MAX_AGE_S": "0.3",
            "ISSUER_STATUS_WAIT_S": "30",
        }
        replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=chain.genesis_hash)
        source = HttpSource(chain.url)

        def status_of(credential_id: str) -> CredentialStatus:
            replica.sync([source], now=datetime.now(UTC))
            return replica.credential_status(
                did, credential_id=credential_id, as_of=datetime.now(UTC)
            )

        with running_issuer(data, env=env) as issuer:

            def post(path: str, who: str, body: Any = None) -> httpx.Response:
                headers = {"Authorization": f"Bearer {tokens[who]}"}
                return httpx.post(issuer.url + path, json=body, headers=headers, timeout=60)

            # Dual control: held, not approvable by its requester, carried out by another.
            held = post("/credentials/issue", "both", {"credential": _draft()})
            assert held.status_code == 202, held.text
            request_id = held.json()["id"]
            own = post(f"/requests/{request_id}/approve", "both")
            assert own.status_code == 403 and own.json()["code"] == "SELF_APPROVAL"
            done = post(f"/requests/{request_id}/approve", "approver")
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            deed_id = done.json()["result"]["credentialId"]

            # Two approvers racing for one request: exactly one carries it out.
            raced = post("/credentials/issue", "clerk", {"credential": _draft()}).json()
            answers: list[httpx.Response] = []
            barrier = threading.Barrier(2)

            def approve(who: str) -> None:
                barrier.wait()
                answers.append(post(f"/requests/{raced['id']}/approve", who))

            racers = [
                threading.Thread(target=approve, args=(w,)) for w in ("approver", "approver2")
            ]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(60)
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 409], [a.text for a in answers]
            loser = next(a for a in answers if a.status_code == 409)
            assert loser.json()["code"] == "REQUEST_NOT_PENDING"

            # A mortgage, held for a second operator, registered and visible on a replica,
            # then released (held the same way).
            mortgage = {"kind": "mortgage", "holder": "Bank of Chengdu"}
            added = post(f"/deeds/{deed_id}/encumbrances", "approver", mortgage)
            assert added.status_code == 202, added.text + issuer.log()[-2000:]
            assert added.json()["kind"] == "encumbrance.add"
            enc_id = added.json()["encumbranceId"]
            own = post(f"/requests/{added.json()['id']}/approve", "approver")
            assert own.status_code == 403 and own.json()["code"] == "SELF_APPROVAL"
            assert status_of(deed_id).encumbrances == ()
            done = post(f"/requests/{added.json()['id']}/approve", "approver2")
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            _until(
                "the mortgage",
                lambda: (
                    [(e.encumbrance_id, e.kind) for e in status_of(deed_id).encumbrances]
                    == [(enc_id, "mortgage")]
                ),
                issuer,
            )
            released = post(f"/deeds/{deed_id}/encumbrances/{enc_id}/release", "approver", {})
            assert released.status_code == 202, released.text
            done = post(f"/requests/{released.json()['id']}/approve", "approver2")
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            _until("the release", lambda: status_of(deed_id).encumbrances == (), issuer)

            # The transfer: held, approved, the successor issued and the old deed superseded.
            new = _draft()
            new["credentialSubject"]["owners"] = [
                {"name": "李娜", "idType": "resident-id", "idNumber": NEW_OWNER_ID, "share": "1"}
            ]
            transfer = post(f"/deeds/{deed_id}/transfer", "clerk", {"credential": new})
            assert transfer.status_code == 202, transfer.text
            approved = post(f"/requests/{transfer.json()['id']}/approve", "approver")
            assert approved.status_code == 200, approved.text + issuer.log()[-2000:]
            successor = approved.json()["result"]["credentialId"]
            old = _until(
                "the supersede",
                lambda: (s := status_of(deed_id)).superseded_by and s,
                issuer,
            )
            assert old.superseded_by == successor
            refused = post(f"/deeds/{deed_id}/transfer", "clerk", {"credential": new})
            assert refused.status_code == 409 and refused.json()["code"] == "DEED_SUPERSEDED"

            # The successor verifies against the replica once anchored.
            def anchored() -> Any:
                answer = httpx.get(
                    f"{issuer.url}/credentials/{successor}/receipt",
                    headers={"Authorization": f"Bearer {tokens['clerk']}"},
                    timeout=10,
                )
                return answer.status_code == 200

            _until("the successor's anchor", anchored, issuer)
            vc = httpx.get(
                f"{issuer.url}/credentials/{successor}",
                headers={"Authorization": f"Bearer {tokens['clerk']}"},
                timeout=10,
            ).json()["verifiableCredential"]
            replica.sync([source], now=datetime.now(UTC))
            report = check_credential(vc, reader=replica, now=datetime.now(UTC))
            assert report.verdict == "valid", report.model_dump_json(indent=1)

            audit = httpx.get(
                issuer.url + "/audit",
                headers={"Authorization": f"Bearer {tokens['admin']}"},
                timeout=10,
            ).json()
            actions = [e["action"] for e in audit["entries"]]
            assert actions[:3] == ["issue.requested", "issue.approved", "issue.executed"]
            assert "deed.transfer" in actions and audit["chain"]["intact"] is True
            log = issuer.log()
        replica.close()

    # The database itself refuses to edit the audit log (SQLite and PostgreSQL triggers).
    engine = make_engine(Settings(data_dir=data, database_url=issuer_db_url).db_url)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()

    assert log.strip(), "the issuer logged nothing at all"
    secrets_and_claims = [*tokens.values(), PASSPHRASE, NEW_OWNER_ID, "510104198503121232"]
    secrets_and_claims += ["李娜", "张伟", "Bank of Chengdu"]
    for value in secrets_and_claims:
        assert value not in log
    for token in tokens.values():
        assert token.split(".")[-1] not in log


def _new_owners() -> dict[str, Any]:
    new = _draft()
    new["credentialSubject"]["owners"] = [
        {"name": "李娜", "idType": "resident-id", "idNumber": NEW_OWNER_ID, "share": "1"}
    ]
    return new


@pytest.mark.parametrize("replica_sees_it", [False, True], ids=["replica-stale", "replica-synced"])
def test_a_deed_revoked_on_chain_by_other_means_never_leaves_two_valid_deeds(
    tmp_path: Path, replica_sees_it: bool
) -> None:
    """The deed is revoked on chain by a status transaction this issuer did not make, then
    transferred. Either the office's replica shows it and the transfer is refused before
    anything is issued, or (replica not synced since: ``ISSUER_REPLICA_SYNC_S`` an hour) the
    registry refuses the supersede: then the successor is revoked before it is ever anchored,
    so neither moment shows two valid deeds for the unit."""
    with live_chain(tmp_path) as chain:
        data, did, tokens, office_key = _office(tmp_path, chain, None)
        env = {
            "ISSUER_PASSPHRASE": PASSPHRASE,
            "ISSUER_REGISTRY_URL": chain.url,
            "ISSUER_GENESIS_HASH": chain.genesis_hash,
            "ISSUER_BATCH_MAX_AGE_S": "0.3",
            "ISSUER_REPLICA_SYNC_S": "0" if replica_sees_it else "3600",
        }
        replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=chain.genesis_hash)
        source = HttpSource(chain.url)

        def status_of(credential_id: str) -> CredentialStatus:
            replica.sync([source], now=datetime.now(UTC))
            return replica.credential_status(
                did, credential_id=credential_id, as_of=datetime.now(UTC)
            )

        with running_issuer(data, env=env) as issuer:

            def post(path: str, who: str, body: Any = None) -> httpx.Response:
                headers = {"Authorization": f"Bearer {tokens[who]}"}
                return httpx.post(issuer.url + path, json=body, headers=headers, timeout=60)

            def receipt(credential_id: str) -> AnchorReceipt | None:
                answer = httpx.get(
                    f"{issuer.url}/credentials/{credential_id}/receipt",
                    headers={"Authorization": f"Bearer {tokens['clerk']}"},
                    timeout=10,
                )
                return (
                    AnchorReceipt.model_validate(answer.json())
                    if answer.status_code == 200
                    else None
                )

            held = post("/credentials/issue", "clerk", {"credential": _draft()})
            done = post(f"/requests/{held.json()['id']}/approve", "approver")
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            deed_id = done.json()["result"]["credentialId"]
            _until("the deed's anchor", lambda: receipt(deed_id), issuer)
            # Revoked on chain by a transaction of the office key this issuer never saw.
            chain.status(did, office_key, deed_id, RevokeEvent(reason="court order"))
            assert status_of(deed_id).revoked

            transfer = post(f"/deeds/{deed_id}/transfer", "clerk", {"credential": _new_owners()})
            if replica_sees_it:
                assert transfer.status_code == 409, transfer.text
                assert transfer.json()["code"] == "DEED_REVOKED"
                return
            assert transfer.status_code == 202, transfer.text
            approved = post(f"/requests/{transfer.json()['id']}/approve", "approver")
            assert approved.status_code == 200, approved.text + issuer.log()[-2000:]
            successor = approved.json()["result"]["credentialId"]
            supersede = approved.json()["result"]["statusRequest"]

            def supersede_state() -> Any:
                answer = httpx.get(
                    f"{issuer.url}/credentials/status/{supersede}",
                    headers={"Authorization": f"Bearer {tokens['approver']}"},
                    timeout=10,
                ).json()
                return answer if answer["state"] == "rejected" else None

            # The operator sees the transfer fail, with the registry's rule.
            refused = _until("the supersede's refusal", supersede_state, issuer)
            assert refused["error"] == "CREDENTIAL_REVOKED", refused

            anchored = _until("the successor's anchor", lambda: receipt(successor), issuer)
            # By the time the successor has an anchor, the chain has revoked it, in an earlier
            # block than its anchor: there was never a moment with two valid deeds.
            new = status_of(successor)
            assert new.revoked, new.model_dump_json(indent=1) + issuer.log()[-3000:]
            assert new.revocation_reason == "transfer refused: CREDENTIAL_REVOKED"
            revoke_tx = new.history[-1].tx_hash
            revoke_at = chain.client.get_json(f"/transactions/{revoke_tx}")["block"]["height"]
            assert revoke_at < anchored.header.height
            old = status_of(deed_id)
            assert old.revoked and old.superseded_by is None
            vc = httpx.get(
                f"{issuer.url}/credentials/{successor}",
                headers={"Authorization": f"Bearer {tokens['clerk']}"},
                timeout=10,
            ).json()["verifiableCredential"]
            report = check_credential(vc, reader=replica, now=datetime.now(UTC))
            assert report.verdict == "invalid", report.model_dump_json(indent=1)

            audit = httpx.get(
                issuer.url + "/audit",
                headers={"Authorization": f"Bearer {tokens['admin']}"},
                timeout=10,
            ).json()
            failed = [e for e in audit["entries"] if e["action"] == "transfer.failed"]
            assert len(failed) == 1 and failed[0]["credentialId"] == deed_id
            assert "CREDENTIAL_REVOKED" in failed[0]["detail"]
            assert audit["chain"]["intact"] is True
        replica.close()
