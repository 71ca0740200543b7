"""The issuer on a real chain: a registry node and an issuer, each its own process on 127.0.0.1
over SQLite files in a temp dir, and each test again with the issuer on PostgreSQL (issue 8,
anchoring and status).

Issue → the worker anchors the batch → the receipt verifies offline against the genesis block;
revoke through ``POST /credentials/status`` → the registry's revocation list has the bit set;
SIGKILL the issuer after issuing and before anchoring (with a signed anchor transaction stored
but never submitted) → restart → every credential anchored exactly once, by that transaction;
SIGKILL the registry while batches are in flight → issuance goes on, and after its restart every
credential is anchored exactly once; suspend and reinstate show on the suspension list; the
replica refuses an unaccredited type or region (403) and a replica too old to say (503); two
issuer processes sharing one PostgreSQL database never anchor a leaf twice nor reuse an index.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from issuer import outbox
from issuer.auth import add_operator, authenticate
from issuer.config import Settings
from issuer.db import make_engine
from issuer.tables import BatchRow, OfficeTxRow, OutboxRow
from issuer.testing import free_port, running_issuer, start_issuer
from issuer.worker import SEQ_CODES, ChainWorker
from tests.integration.live_registry import LiveChain, crashable_chain, live_chain
from tests.integration.offices import (
    DRIVER,
    PASSPHRASE,
    LiveOffice,
    anchored_leaves,
    driver_draft,
    example_draft,
    issue_drivers,
    issuer_env,
    make_office,
    wait_receipt,
)
from tests.integration.postgres import PostgresServer
from vc_core.anchoring import AnchorReceipt, ChainFacts, credential_digest, verify_receipt
from vc_core.errors import NotFoundError
from vc_core.registry_client import RegistryClient
from vc_core.status_list import decode_list, status_at

pytestmark = pytest.mark.integration
BUSINESS = "BusinessLicenceCredential"


@contextmanager
def _chain_and_office(
    tmp: Path, db_url: str | None
) -> Iterator[tuple[LiveChain, LiveOffice, ChainFacts]]:
    with live_chain(tmp) as chain:
        office = make_office(tmp, chain, db_url)
        facts = ChainFacts.from_genesis(chain.client.blocks(0, 1).blocks[0])
        yield chain, office, facts


def test_issue_anchor_receipt_verifies_offline_and_revoke_shows_on_the_list(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with _chain_and_office(tmp_path, issuer_db_url) as (chain, office, facts):
        with running_issuer(office.data, env=issuer_env(chain, office)) as issuer:
            issued = issue_drivers(issuer, office, 3)
            for vc in issued:
                receipt = wait_receipt(issuer, office, vc["id"])
                verify_receipt(receipt, vc, facts)
                assert receipt.leaf == credential_digest(vc)
                assert receipt.office == office.office.did

            target = issued[1]
            entries = {e["statusPurpose"]: e for e in target["credentialStatus"]}
            assert set(entries) == {"revocation", "suspension"}
            revocation = entries["revocation"]
            assert revocation["statusListCredential"].startswith(chain.url + "/status-lists/tp/")
            # An issuer may not revoke (approver or admin only).
            body = {"credentialId": target["id"], "action": "revoke", "reason": "lost"}
            url = issuer.url + "/credentials/status"
            refused = httpx.post(url, json=body, headers=office.headers("issuer"), timeout=30)
            assert refused.status_code == 403, refused.text
            done = httpx.post(url, json=body, headers=office.headers("approver"), timeout=30)
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            assert done.json()["state"] == "included"
            assert done.json()["inclusion"]["state"] == "included"

            listed = httpx.get(revocation["statusListCredential"], timeout=10).json()
            bits = decode_list(listed["credentialSubject"]["encodedList"])
            assert status_at(bits, int(revocation["statusListIndex"])) == 1
            for other in (issued[0], issued[2]):
                entry = next(
                    e for e in other["credentialStatus"] if e["statusPurpose"] == "revocation"
                )
                assert status_at(bits, int(entry["statusListIndex"])) == 0
            indexes = {e["statusListIndex"] for vc in issued for e in vc["credentialStatus"]}
            assert len(indexes) == 3, "one index per credential, shared by both purposes"
        assert "ecert-op." not in issuer.log() and PASSPHRASE not in issuer.log()


def test_sigkill_before_anchoring_then_restart_anchors_exactly_once(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with _chain_and_office(tmp_path, issuer_db_url) as (chain, office, facts):
        # Issue with the worker off, then SIGKILL: the outbox holds the leaves, nothing more.
        issuer = start_issuer(
            office.data, env=issuer_env(chain, office, ISSUER_ANCHOR_WORKER="false")
        )
        issued = issue_drivers(issuer, office, 5)
        issuer.kill()

        # One worker step closes the batch: the signed anchor transaction is stored and never
        # submitted, as if the process had died right before sending it.
        settings = Settings(
            data_dir=office.data,
            database_url=office.db_url,
            registry_url=chain.url,
            batch_max_age_s=0.001,
        )
        engine = make_engine(settings.db_url)
        with RegistryClient(chain.url) as client:
            worker = ChainWorker(
                engine=engine, client=client, office=office.office, settings=settings
            )
            assert worker.step(datetime.now(UTC) + timedelta(seconds=1))
        with Session(engine) as session:
            (stored,) = session.exec(select(OfficeTxRow)).all()
        assert stored.state == "signed"
        with pytest.raises(NotFoundError):  # the registry never saw it
            chain.client.get_json(f"/transactions/{stored.tx_hash}")

        with running_issuer(office.data, env=issuer_env(chain, office)) as issuer:
            receipts = [wait_receipt(issuer, office, vc["id"]) for vc in issued]
            more = issue_drivers(issuer, office, 2)
            receipts += [wait_receipt(issuer, office, vc["id"]) for vc in more]
        for vc, receipt in zip([*issued, *more], receipts, strict=True):
            verify_receipt(receipt, vc, facts)
        assert receipts[0].anchor_tx.hash == stored.tx_hash, "the stored tx, resubmitted"

        seen = anchored_leaves(chain.client, office.office.did)
        assert sorted(seen) == sorted(credential_digest(vc) for vc in [*issued, *more])
        assert set(seen.values()) == {1}, "no leaf anchored twice"
        with Session(engine) as session:
            batches = session.exec(select(BatchRow)).all()
            assert all(b.anchored_at for b in batches)
            # Each anchored batch keeps the block that included it; receipts are built from it.
            assert all(b.block and b.tx_position is not None for b in batches)
        engine.dispose()


def _problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


def test_issuance_refuses_what_the_replica_says_the_office_may_not_issue(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with _chain_and_office(tmp_path, issuer_db_url) as (chain, office, _facts):
        engine = make_engine(Settings(data_dir=office.data, database_url=office.db_url).db_url)
        with Session(engine) as session:
            wide = add_operator(
                session,
                name="wide",
                roles=["issuer"],
                credential_types=[DRIVER, BUSINESS],
                lifetime=timedelta(days=1),
                now=datetime.now(UTC),
            ).token
        engine.dispose()
        as_wide = {"Authorization": f"Bearer {wide}"}
        url_path = "/credentials/issue"
        with running_issuer(office.data, env=issuer_env(chain, office)) as issuer:
            url = issuer.url + url_path
            inside = httpx.post(
                url, json={"credential": driver_draft()}, headers=as_wide, timeout=30
            )
            assert inside.status_code == 201, inside.text
            # Accredited for division prefix 51 only: Beijing (11…) is refused, naming the rule.
            beijing = driver_draft()
            beijing["credentialSubject"]["divisionCode"] = "110101"
            refused = httpx.post(url, json={"credential": beijing}, headers=as_wide, timeout=30)
            _problem(refused, 403, "REGION_NOT_ACCREDITED")
            # Accredited for driving licences only.
            business = example_draft(BUSINESS)
            refused = httpx.post(url, json={"credential": business}, headers=as_wide, timeout=30)
            _problem(refused, 403, "TYPE_NOT_ACCREDITED")
        # The registry cannot be reached and the replica is older than allowed: 503, not blind.
        down = issuer_env(chain, office, ISSUER_REPLICA_MAX_AGE_S="0.5")
        down["ISSUER_REGISTRY_URL"] = f"http://127.0.0.1:{free_port()}"
        time.sleep(0.6)
        with running_issuer(office.data, env=down) as issuer:
            blind = httpx.post(
                issuer.url + url_path,
                json={"credential": driver_draft()},
                headers=as_wide,
                timeout=60,
            )
            _problem(blind, 503, "ACCREDITATION_UNCHECKED")


def test_suspend_and_reinstate_show_on_the_suspension_list(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with (
        _chain_and_office(tmp_path, issuer_db_url) as (chain, office, _facts),
        running_issuer(office.data, env=issuer_env(chain, office)) as issuer,
    ):
        (vc,) = issue_drivers(issuer, office, 1)
        wait_receipt(issuer, office, vc["id"])
        entry = next(e for e in vc["credentialStatus"] if e["statusPurpose"] == "suspension")
        index = int(entry["statusListIndex"])
        url = issuer.url + "/credentials/status"
        until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        for action, expected in (("suspend", 1), ("reinstate", 0)):
            body = {"credentialId": vc["id"], "action": action, "reason": "inquiry"}
            if action == "suspend":
                body["until"] = until
            done = httpx.post(url, json=body, headers=office.headers("approver"), timeout=30)
            assert done.status_code == 200, done.text
            listed = httpx.get(entry["statusListCredential"], timeout=10).json()
            bits = decode_list(listed["credentialSubject"]["encodedList"])
            assert status_at(bits, index) == expected, action
            revocations = httpx.get(
                entry["statusListCredential"].replace("/suspension/", "/revocation/"),
                timeout=10,
            ).json()
            revoked = decode_list(revocations["credentialSubject"]["encodedList"])
            assert status_at(revoked, index) == 0, "a suspension is not a revocation"


def test_the_registry_killed_while_anchoring_loses_nothing(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with crashable_chain(tmp_path) as (chain, node):
        office = make_office(tmp_path, chain, issuer_db_url)
        with running_issuer(office.data, env=issuer_env(chain, office)) as issuer:
            first = issue_drivers(issuer, office, 4)
            node.kill()
            # The registry is down: issuance goes on (the replica is fresh enough), the
            # receipts stay pending.
            second = issue_drivers(issuer, office, 4)
            pending = httpx.get(
                f"{issuer.url}/credentials/{second[0]['id']}/receipt",
                headers=office.headers("issuer"),
                timeout=10,
            )
            assert pending.status_code == 202 and pending.json()["state"] == "pending"
            node.restart()
            for vc in [*first, *second]:
                wait_receipt(issuer, office, vc["id"])
        seen = anchored_leaves(chain.client, office.office.did)
    assert sorted(seen) == sorted(credential_digest(vc) for vc in [*first, *second])
    assert set(seen.values()) == {1}, "no leaf anchored twice"


def test_a_sequence_number_taken_by_another_client_is_signed_again(
    tmp_path: Path, issuer_db_url: str | None
) -> None:
    with _chain_and_office(tmp_path, issuer_db_url) as (chain, office, facts):
        with running_issuer(
            office.data, env=issuer_env(chain, office, ISSUER_ANCHOR_WORKER="false")
        ) as issuer:
            issued = issue_drivers(issuer, office, 3)
        settings = Settings(
            data_dir=office.data,
            database_url=office.db_url,
            registry_url=chain.url,
            batch_max_age_s=0.001,
        )
        engine = make_engine(settings.db_url)
        later = datetime.now(UTC) + timedelta(seconds=1)
        with RegistryClient(chain.url) as client:
            worker = ChainWorker(
                engine=engine, client=client, office=office.office, settings=settings
            )
            assert worker.step(later)  # the batch's anchor is signed and stored, not sent
            # Another client of the office (the office CLI, say) takes that sequence number.
            chain.anchor(office.office.did, office.office.signer, ["ab" * 32], "elsewhere")
            for _ in range(20):
                if not worker.step(datetime.now(UTC)):
                    break
        with Session(engine) as session:
            reader = authenticate(
                session, authorization=office.headers("issuer")["Authorization"], now=later
            )
            first, second = session.exec(select(OfficeTxRow).order_by(OfficeTxRow.id)).all()  # type: ignore[arg-type]
            assert first.state == "rejected" and first.error_code in SEQ_CODES
            assert second.state == "included" and second.seq == first.seq + 1
            # Built by the issuer from the block it stored for the batch (issuer/receipts.py).
            receipts = {
                r.credential_id: AnchorReceipt.model_validate(
                    outbox.receipt(session=session, operator=reader, credential_id=r.credential_id)
                )
                for r in session.exec(select(OutboxRow))
            }
        engine.dispose()
        for vc in issued:
            verify_receipt(receipts[vc["id"]], vc, facts)
            assert receipts[vc["id"]].anchor_tx.hash == second.tx_hash


def test_two_issuer_processes_on_one_postgresql_database_share_the_work(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """Two issuer processes of one office on one PostgreSQL database, issuing at once: every
    credential is anchored exactly once (the workers take turns, never the same batch) and no
    status index is given twice (the primary key decides, not a read before the write)."""
    with _chain_and_office(tmp_path, postgres.create_database()) as (chain, office, facts):
        twin = tmp_path / "twin"  # the second server's own folder: the same office and keys
        shutil.copytree(office.data, twin, ignore=shutil.ignore_patterns("replica.sqlite*"))
        env = issuer_env(chain, office, ISSUER_BATCH_MAX_LEAVES="8")
        with running_issuer(office.data, env=env) as one, running_issuer(twin, env=env) as two:
            with ThreadPoolExecutor(max_workers=4) as pool:
                runs = [
                    pool.submit(issue_drivers, server, office, 12)
                    for server in (one, two, one, two)
                ]
                issued = [vc for run in runs for vc in run.result()]
            for vc in issued:
                verify_receipt(wait_receipt(one, office, vc["id"]), vc, facts)
        logs = one.log() + two.log()
        seen = anchored_leaves(chain.client, office.office.did)
    assert sorted(seen) == sorted(credential_digest(vc) for vc in issued)
    assert set(seen.values()) == {1}, "no leaf anchored twice"
    indexes = [(e["statusListCredential"], e["statusListIndex"]) for vc in issued
               for e in vc["credentialStatus"] if e["statusPurpose"] == "revocation"]  # fmt: skip
    assert len(set(indexes)) == len(issued) == 48
    # Workers that collided would show as failed steps (a batch id taken, a sequence refused).
    assert "Traceback" not in logs and "failed" not in logs and "refused" not in logs, logs
