"""Batch issuance on a real chain: a registry node and an issuer, each its own process on
127.0.0.1 over SQLite files in a temp dir (issue 8, batch issuance and its crash guarantees).

- 10,000 CSV rows with 3 bad ones → 9,997 issued and anchored, the 3 reported by line.
- SIGKILL the issuer in the middle of a 20,000-row batch → restart → every credential the API
  reported issued before the kill is still issued, under the same id, and every credential of
  the batch is anchored exactly once; no status index is used twice.
- SIGKILL the registry while two batches are in flight → restart it on the same port → the
  same guarantees.

The checks read the registry's own blocks (every ``anchor`` transaction's leaves) and the
issuer's database. These are the heavy cases of the issue; they sign with ``eddsa-jcs-2022`` in
a pool of two processes to keep the wall time modest, and each runs once.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from issuer.config import Settings
from issuer.db import make_engine
from issuer.tables import BatchRow, CredentialRow, IssuanceItemRow, OutboxRow, StatusIndexRow
from issuer.testing import IssuerProcess, running_issuer, start_issuer
from tests.integration.live_registry import crashable_chain, live_chain
from tests.integration.offices import (
    DRIVER,
    LiveOffice,
    anchored_leaves,
    example_draft,
    issuer_env,
    make_office,
)
from vc_core.anchoring import AnchorReceipt, ChainFacts, credential_digest, verify_receipt
from vc_core.registry_client import RegistryClient

pytestmark = pytest.mark.integration
FAST = {
    "ISSUER_SUITE_BY_TYPE": json.dumps({DRIVER: "eddsa-jcs-2022"}),
    "ISSUER_SIGNING_PROCESSES": "2",
    "ISSUER_BATCH_CHUNK": "1000",
    "ISSUER_BATCH_MAX_LEAVES": "2048",
}
# Small batches sign in the runner's thread: a pool's processes cost more to start than they save.
SMALL = {k: v for k, v in FAST.items() if k != "ISSUER_SIGNING_PROCESSES"}
WAIT_S = 240.0


def _rows_csv(n: int, bad: dict[int, str] | None = None) -> bytes:
    """``n`` driving-licence rows; ``bad`` maps a row number (0-based) to what is wrong."""
    example = example_draft(DRIVER)
    subject = example["credentialSubject"]
    names = [k for k in subject if k != "vehicleClasses"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "vehicleClasses", "/validFrom", "/validUntil"])
    for i in range(n):
        values = dict(subject)
        problem = (bad or {}).get(i)
        if problem == "check digit":
            values["licenceNumber"] = values["licenceNumber"][:-1] + "9"
        elif problem == "division":
            values["divisionCode"] = "51010X"
        elif problem == "classes":
            values["vehicleClasses"] = ["ZZ"]
        classes = json.dumps(values["vehicleClasses"])
        row = [values[k] for k in names]
        writer.writerow([*row, classes, example["validFrom"], example["validUntil"]])
    return out.getvalue().encode()


def _submit(issuer: IssuerProcess, office: LiveOffice, body: bytes) -> str:
    answer = httpx.post(
        f"{issuer.url}/batches?type={DRIVER}",
        content=body,
        headers={**office.headers("issuer"), "Content-Type": "text/csv"},
        timeout=120,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _progress(issuer: IssuerProcess, office: LiveOffice, batch_id: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{issuer.url}/batches/{batch_id}", headers=office.headers("issuer"), timeout=30
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _wait_anchored(issuer: IssuerProcess, office: LiveOffice, batch_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        got = _progress(issuer, office, batch_id)
        if got["state"] == "done" and got["anchored"] == got["issued"]:
            return got
        assert time.monotonic() < deadline, f"{got}\n{issuer.log()[-3000:]}"
        time.sleep(0.5)


def _issued_ids(issuer: IssuerProcess, office: LiveOffice, batch_id: str) -> list[str]:
    """Every credential id the API reports issued for the batch (paged)."""
    ids: list[str] = []
    after = 0
    while True:
        page = httpx.get(
            f"{issuer.url}/batches/{batch_id}/items",
            params={"after": after, "limit": 5000},
            headers=office.headers("issuer"),
            timeout=60,
        ).json()
        ids += [i["credentialId"] for i in page["items"] if i["state"] == "issued"]
        if page["next"] is None:
            return ids
        after = page["next"]


def _check_exactly_once(
    office: LiveOffice, client: RegistryClient, expected_ids: set[str]
) -> Counter[str]:
    """Every credential in the issuer's database is anchored once on chain, none twice, each
    with its own status index; ``expected_ids`` are among them. Returns the leaf counts."""
    engine = make_engine(Settings(data_dir=office.data, database_url=office.db_url).db_url)
    with Session(engine) as session:
        documents = {r.id: json.loads(r.document) for r in session.exec(select(CredentialRow))}
        leaves = {r.credential_id: r.leaf for r in session.exec(select(OutboxRow))}
        unanchored = session.exec(select(BatchRow).where(BatchRow.anchored_at == None)).all()  # noqa: E711
        indexes = session.exec(select(StatusIndexRow)).all()
        items = session.exec(select(IssuanceItemRow)).all()
    engine.dispose()
    assert expected_ids <= set(documents)
    assert not unanchored
    seen = anchored_leaves(client, office.office.did)
    assert set(seen.values()) == {1}, "a leaf anchored twice"
    assert set(seen) == set(leaves.values()), "every stored credential anchored, nothing else"
    for credential_id, document in documents.items():
        assert leaves[credential_id] == credential_digest(document)
    # Status indexes: one per credential, each used once, and the credential carries its own.
    assert len(indexes) == len(documents) == len({i.index for i in indexes})
    index_of = {i.credential_id: i.index for i in indexes}
    for credential_id, document in documents.items():
        carried = {int(e["statusListIndex"]) for e in document["credentialStatus"]}
        assert carried == {index_of[credential_id] % 131_072}
    issued_items = [i.credential_id for i in items if i.state == "issued"]
    assert len(issued_items) == len(set(issued_items)) == len(documents)
    return seen


def test_ten_thousand_rows_three_bad_all_good_ones_issued_and_anchored(tmp_path: Path) -> None:
    started = time.monotonic()
    bad = {1234: "check digit", 5000: "division", 9998: "classes"}
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain)
        facts = ChainFacts.from_genesis(chain.client.blocks(0, 1).blocks[0])
        with running_issuer(office.data, env=issuer_env(chain, office, **FAST)) as issuer:
            batch_id = _submit(issuer, office, _rows_csv(10_000, bad))
            done = _wait_anchored(issuer, office, batch_id)
            assert (done["total"], done["issued"], done["failed"]) == (10_000, 9_997, 3)
            assert done["anchored"] == 9_997
            # Row i is on line i + 2 (the header is line 1).
            errors = {e["line"]: e for e in done["errors"]}
            assert sorted(errors) == [1236, 5002, 10_000]
            assert errors[1236]["pointer"] == "/credentialSubject/licenceNumber"
            assert errors[5002]["pointer"] == "/credentialSubject/divisionCode"
            assert errors[10_000]["pointer"].startswith("/credentialSubject/vehicleClasses")
            ids = _issued_ids(issuer, office, batch_id)
            assert len(ids) == 9_997
            # One receipt, as a wallet would get it, verifies offline against the genesis.
            vc = httpx.get(
                f"{issuer.url}/credentials/{ids[-1]}", headers=office.headers("issuer"), timeout=10
            ).json()["verifiableCredential"]
            receipt = httpx.get(
                f"{issuer.url}/credentials/{ids[-1]}/receipt",
                headers=office.headers("issuer"),
                timeout=10,
            )
            verify_receipt(AnchorReceipt.from_json(receipt.content), vc, facts)
        _check_exactly_once(office, chain.client, set(ids))
    print(f"\n10,000-row batch: {time.monotonic() - started:.1f} s wall")


def test_a_small_batch_on_sqlite_and_postgresql(tmp_path: Path, issuer_db_url: str | None) -> None:
    """The runner's bulk statements (executemany inserts and updates) on both databases."""
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain, issuer_db_url)
        with running_issuer(office.data, env=issuer_env(chain, office, **SMALL)) as issuer:
            batch_id = _submit(issuer, office, _rows_csv(300, {10: "division", 250: "classes"}))
            done = _wait_anchored(issuer, office, batch_id)
            assert (done["issued"], done["failed"], done["anchored"]) == (298, 2, 298)
            assert [e["line"] for e in done["errors"]] == [12, 252]
            ids = set(_issued_ids(issuer, office, batch_id))
        _check_exactly_once(office, chain.client, ids)


def test_issuer_sigkilled_mid_batch_resumes_and_anchors_each_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain)
        env = issuer_env(chain, office, **FAST)
        issuer = start_issuer(office.data, env=env)
        try:
            batch_id = _submit(issuer, office, _rows_csv(20_000))
            deadline = time.monotonic() + WAIT_S
            while _progress(issuer, office, batch_id)["issued"] < 6_000:
                assert time.monotonic() < deadline, issuer.log()[-3000:]
                time.sleep(0.2)
            before = set(_issued_ids(issuer, office, batch_id))
            issuer.kill()
            assert 6_000 <= len(before) < 20_000, "killed in the middle"
            issuer = start_issuer(office.data, env=env)
            done = _wait_anchored(issuer, office, batch_id)
            assert (done["issued"], done["failed"], done["anchored"]) == (20_000, 0, 20_000)
            after = set(_issued_ids(issuer, office, batch_id))
            assert before <= after and len(after) == 20_000
        finally:
            issuer.stop()
        seen = _check_exactly_once(office, chain.client, after)
        assert len(seen) == 20_000
    print(f"\n20,000-row batch with a SIGKILL: {time.monotonic() - started:.1f} s wall")


def test_registry_sigkilled_while_batches_are_in_flight_loses_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    with crashable_chain(tmp_path) as (chain, node):
        office = make_office(tmp_path, chain)
        with running_issuer(office.data, env=issuer_env(chain, office, **FAST)) as issuer:
            first = _submit(issuer, office, _rows_csv(3_000))
            second = _submit(issuer, office, _rows_csv(3_000))
            deadline = time.monotonic() + WAIT_S
            while _progress(issuer, office, first)["anchored"] == 0:
                assert time.monotonic() < deadline, issuer.log()[-3000:]
                time.sleep(0.1)
            node.kill()
            # The registry is down: issuance goes on, anchoring waits.
            time.sleep(2.0)
            assert _progress(issuer, office, second)["anchored"] < 3_000
            node.restart()
            ids: set[str] = set()
            for batch_id in (first, second):
                done = _wait_anchored(issuer, office, batch_id)
                assert (done["issued"], done["anchored"]) == (3_000, 3_000)
                ids |= set(_issued_ids(issuer, office, batch_id))
        seen = _check_exactly_once(office, chain.client, ids)
        assert len(seen) == 6_000
    print(f"\ntwo 3,000-row batches, the registry SIGKILLed: {time.monotonic() - started:.1f} s")


def _batch_cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSUER_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "ecert", "issuer", "batch", *args],
        check=False,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=tmp,
        env=env,
        timeout=180,
    )


def test_the_batch_command_shows_progress_sums_up_and_is_safe_to_rerun(tmp_path: Path) -> None:
    with live_chain(tmp_path) as chain:
        office = make_office(tmp_path, chain)
        rows = tmp_path / "rows.csv"
        rows.write_bytes(_rows_csv(40, {3: "check digit", 17: "division"}))
        token = tmp_path / "token"
        token.write_text(office.tokens["issuer"] + "\n")
        with running_issuer(office.data, env=issuer_env(chain, office, **SMALL)) as issuer:
            args = (str(rows), "--type", DRIVER, "--url", issuer.url, "--token-file", str(token))
            first = _batch_cli(tmp_path, *args, "--poll", "0.2")
            assert first.returncode == 1, first.stderr
            assert "anchored" in first.stderr  # the progress bars
            summary = first.stdout
            assert "40" in summary and "38" in summary
            assert "/credentialSubject/licenceNumber" in summary and "19" in summary
            assert "BATCH_ROWS_FAILED" in first.stderr.splitlines()[-1]
            # The same command again watches the same batch: nothing is issued twice.
            again = _batch_cli(tmp_path, *args, "--no-wait-anchored")
            assert again.returncode == 1
            assert summary.splitlines()[0] == again.stdout.splitlines()[0]  # the batch's id
            engine = make_engine(Settings(data_dir=office.data).db_url)
            with Session(engine) as session:
                assert len(session.exec(select(CredentialRow)).all()) == 38
            engine.dispose()
            unknown = _batch_cli(tmp_path, *args[:2], "NoSuchType", *args[3:])
            assert unknown.returncode == 2 and "CREDENTIAL_TYPE_UNKNOWN" in unknown.stderr
            assert "Traceback" not in unknown.stderr
            bad_token = tmp_path / "bad"
            bad_token.write_text("ecert-op.nope\n")
            refused = _batch_cli(tmp_path, *args[:-1], str(bad_token))
            assert refused.returncode == 2 and "TOKEN_MALFORMED" in refused.stderr
            wrong_file = _batch_cli(tmp_path, str(token), *args[1:])
            assert wrong_file.returncode == 2 and "BATCH_FILE_TYPE" in wrong_file.stderr
        gone = _batch_cli(tmp_path, *args)
        assert gone.returncode == 3 and "ISSUER_UNREACHABLE" in gone.stderr
