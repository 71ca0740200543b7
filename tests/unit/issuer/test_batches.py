"""Batch issuance through the real app and the real runner (no registry): CSV and JSON Lines,
bad rows reported by line and JSON pointer without stopping the good ones, at most once per
row, the HTTP refusals (401, 403, 413, 415, 422, 409), and a fuzzer of the row parser."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from issuer.app import create_app
from issuer.auth import revoke_operator
from issuer.batch_input import CSV, JSONL, parse_rows
from issuer.batch_runner import BatchRunner
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.signing import PoolSigner, make_signer
from issuer.tables import CredentialRow, OutboxRow
from tests.unit.issuer.conftest import NOW, MakeOperator, OfficeDir
from tests.unit.issuer.test_api import _office_resolver
from vc_core.canon import default_contexts
from vc_core.dataintegrity import verify_proofs
from vc_core.errors import MalformedError

DRIVER = "DriverLicenceCredential"
BUSINESS = "BusinessLicenceCredential"
Draft = Callable[[str], dict[str, Any]]


@pytest.fixture
def batch_client(office_dir: OfficeDir) -> Iterator[tuple[TestClient, OfficeDir]]:
    settings = office_dir.settings.model_copy(
        update={
            "batch_runner": False,
            "batch_max_body_bytes": 200_000,
            "batch_chunk": 7,
            "approvals_by_type": {"PropertyDeedCredential": 2},
        }
    )
    app = create_app(settings, office_dir.office)

    async def pinned() -> datetime:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as client:
        yield client, OfficeDir(settings, office_dir.office)


def _run(office_dir: OfficeDir, now: datetime = NOW, processes: int = 0) -> None:
    """Drive the runner until no batch is running (the app's thread is off in these tests)."""
    engine = make_engine(office_dir.settings.db_url)
    signer = make_signer(office_dir.office, default_contexts(), processes)
    runner = BatchRunner(
        engine=engine,
        office=office_dir.office,
        settings=office_dir.settings,
        signer=signer,
        gate=None,
    )
    try:
        while runner.step(now):
            pass
    finally:
        signer.close()
        engine.dispose()


def _csv(draft: Draft, n: int) -> tuple[bytes, list[str]]:
    example = draft(DRIVER)
    subject = example["credentialSubject"]
    columns = [c for c in subject if c != "vehicleClasses"]
    header = [*columns, "vehicleClasses", "/validFrom", "/validUntil", "/name"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for _ in range(n):
        row = [subject[c] for c in columns]
        row += [json.dumps(subject["vehicleClasses"]), example["validFrom"], example["validUntil"]]
        writer.writerow([*row, example["name"]])
    return out.getvalue().encode(), header


def _post(client: TestClient, token: str, body: bytes, media: str, **headers: str) -> Any:
    return client.post(
        f"/batches?type={DRIVER}",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": media, **headers},
    )


def test_csv_batch_issues_good_rows_and_reports_bad_ones_by_line_and_pointer(
    batch_client: tuple[TestClient, OfficeDir], make_operator: MakeOperator, draft: Draft
) -> None:
    client, office_dir = batch_client
    token = make_operator().token
    body, header = _csv(draft, 20)
    lines = body.decode().splitlines()
    number_col = header.index("licenceNumber")
    # Line 4: a wrong check character; line 9: the name left out; line 12: a cell that claims
    # JSON and is not; line 15: one cell short.
    cells = lines[3].split(",")
    cells[number_col] = cells[number_col][:-1] + ("0" if cells[number_col][-1] != "0" else "1")
    lines[3] = ",".join(cells)
    lines[8] = lines[8].replace("李娜", "")
    lines[11] = lines[11].replace('"[""C1""]"', "[C1")
    lines[14] = lines[14].rsplit(",", 1)[0]
    answer = _post(client, token, ("\n".join(lines) + "\n").encode(), "text/csv")
    assert answer.status_code == 202, answer.text
    batch = answer.json()
    assert (batch["total"], batch["failed"], batch["issued"]) == (20, 2, 0)
    _run(office_dir)
    view = client.get(f"/batches/{batch['id']}", headers={"Authorization": f"Bearer {token}"})
    got = view.json()
    assert (got["state"], got["issued"], got["failed"], got["pending"]) == ("done", 16, 4, 0)
    errors = {e["line"]: e for e in got["errors"]}
    assert sorted(errors) == [4, 9, 12, 15]
    assert errors[4]["pointer"] == "/credentialSubject/licenceNumber"
    assert errors[9]["pointer"] == "/credentialSubject/name"
    assert errors[12]["pointer"] == "/credentialSubject/vehicleClasses"
    assert errors[15]["code"] == "CSV_ROW_INVALID"
    assert got["anchored"] == 0  # no registry here
    # Every issued row's credential is stored once, with its outbox leaf, and verifies.
    items = client.get(
        f"/batches/{batch['id']}/items?limit=100", headers={"Authorization": f"Bearer {token}"}
    ).json()["items"]
    issued = [i["credentialId"] for i in items if i["state"] == "issued"]
    assert len(issued) == len(set(issued)) == 16
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CredentialRow)).one() == 16
        assert session.exec(select(func.count()).select_from(OutboxRow)).one() == 16
        row = session.get(CredentialRow, issued[0])
        assert row is not None
        document = json.loads(row.document)
    engine.dispose()
    assert document["credentialSubject"]["vehicleClasses"] == ["C1"]
    verify_proofs(document, now=NOW, resolver=_office_resolver(office_dir.settings.office_path))


def test_jsonl_rows_of_another_type_repeated_ids_and_rerun_issue_nothing_twice(
    batch_client: tuple[TestClient, OfficeDir], make_operator: MakeOperator, draft: Draft
) -> None:
    client, office_dir = batch_client
    token = make_operator().token
    fixed = "urn:uuid:00000000-0000-4000-8000-000000000001"
    rows = [draft(DRIVER) for _ in range(5)]
    rows[1]["id"] = fixed
    rows[2]["id"] = fixed  # the same id twice: the second is refused
    rows[3] = draft(BUSINESS)
    rows[4]["id"] = "URN:UUID:NOT-LOWER"
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n{not json\n[1]\n"
    answer = _post(client, token, text.encode(), "application/jsonl")
    assert answer.status_code == 202, answer.text
    _run(office_dir)
    got = client.get(
        answer.headers["Location"], headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert (got["issued"], got["failed"]) == (2, 5)
    codes = {e["line"]: e["code"] for e in got["errors"]}
    assert codes == {
        3: "CREDENTIAL_ID_TAKEN",
        4: "CREDENTIAL_TYPE_MISMATCH",
        5: "CREDENTIAL_ID_INVALID",
        7: "NOT_JSON",
        8: "ROW_NOT_OBJECT",
    }
    # A second batch naming the same id: refused for that row, issued nowhere twice.
    again = _post(client, token, (json.dumps(rows[1]) + "\n").encode(), "application/x-ndjson")
    _run(office_dir)
    second = client.get(again.headers["Location"], headers={"Authorization": f"Bearer {token}"})
    assert second.json()["errors"][0]["code"] == "CREDENTIAL_ID_TAKEN"


def test_idempotency_key_answers_the_stored_batch_and_refuses_other_rows(
    batch_client: tuple[TestClient, OfficeDir], make_operator: MakeOperator, draft: Draft
) -> None:
    client, _ = batch_client
    token = make_operator().token
    body, _ = _csv(draft, 3)
    first = _post(client, token, body, "text/csv", **{"Idempotency-Key": "k1"})
    repeat = _post(client, token, body, "text/csv", **{"Idempotency-Key": "k1"})
    assert (first.status_code, repeat.status_code) == (202, 200)
    assert first.json()["id"] == repeat.json()["id"]
    other = _post(
        client, token, body + body.splitlines(True)[1], "text/csv", **{"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_refusals_before_anything_is_stored(
    batch_client: tuple[TestClient, OfficeDir], make_operator: MakeOperator, draft: Draft
) -> None:
    client, _ = batch_client
    token = make_operator(types=(BUSINESS,)).token
    driver_token = make_operator().token
    approver = make_operator(roles=("approver",)).token
    body, _ = _csv(draft, 2)
    assert _post(client, "nope", body, "text/csv").status_code == 401
    assert _post(client, approver, body, "text/csv").status_code == 403
    out_of_scope = _post(client, token, body, "text/csv")
    assert (out_of_scope.status_code, out_of_scope.json()["code"]) == (403, "TYPE_OUT_OF_SCOPE")
    unknown = client.post(
        "/batches?type=NoSuchCredential",
        content=body,
        headers={"Authorization": f"Bearer {driver_token}", "Content-Type": "text/csv"},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "CREDENTIAL_TYPE_UNKNOWN")
    by_header = client.post(
        "/batches",
        content=body,
        headers={
            "Authorization": f"Bearer {driver_token}",
            "Content-Type": "text/csv",
            "Credential-Type": DRIVER,
        },
    )
    assert by_header.status_code == 202
    assert _post(client, driver_token, body, "application/json").status_code == 415
    # Deeds are under dual control by default: each needs its own approvals, not a batch row's.
    deeds = client.post(
        "/batches?type=PropertyDeedCredential",
        content=body,
        headers={"Authorization": f"Bearer {driver_token}", "Content-Type": "text/csv"},
    )
    assert (deeds.status_code, deeds.json().get("code")) == (403, "DUAL_CONTROL_REQUIRED"), (
        deeds.text
    )
    big = body + body.splitlines(True)[1] * 1000
    assert len(big) > 200_000
    too_big = _post(client, driver_token, big, "text/csv")
    assert (too_big.status_code, too_big.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert _post(client, driver_token, b"", "text/csv").status_code == 400
    assert _post(client, driver_token, b"\xff\xfe", "application/jsonl").status_code == 400
    missing = client.get("/batches/urn:uuid:nope", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404
    # Another operator whose scope lacks the type cannot see the batch.
    seen = client.get(by_header.headers["Location"], headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 404


def test_a_process_pool_signs_what_the_thread_would(office_dir: OfficeDir, draft: Draft) -> None:
    drafts = []
    for n in range(6):
        d = draft(DRIVER)
        d.update(
            issuer=office_dir.office.did, id=f"urn:uuid:00000000-0000-4000-8000-00000000000{n}"
        )
        drafts.append(d)
    drafts[3]["credentialSubject"]["licenceNumber"] = "123"
    pool = PoolSigner(office_dir.office, 2)
    try:
        outcomes = pool.sign_chunk(drafts, suite="eddsa-jcs-2022", now=NOW)
    finally:
        pool.close()
    inline = make_signer(office_dir.office, default_contexts(), 0)
    expected = inline.sign_chunk(drafts, suite="eddsa-jcs-2022", now=NOW)
    assert [type(o).__name__ for o in outcomes] == ["Signed"] * 3 + ["Refused"] + ["Signed"] * 2
    assert [getattr(o, "code", None) for o in outcomes] == [
        getattr(o, "code", None) for o in expected
    ]
    for outcome in outcomes:
        if hasattr(outcome, "document"):
            verify_proofs(
                json.loads(outcome.document),
                now=NOW,
                resolver=_office_resolver(office_dir.settings.office_path),
            )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_row_parser_never_fails_but_with_a_malformed_error(body: bytes) -> None:
    for media in (CSV, JSONL):
        try:
            rows = parse_rows(body, media, DRIVER)
        except MalformedError:
            continue
        lines = [r.line for r in rows]
        assert lines == sorted(lines) and len(set(lines)) == len(lines)
        # CSV also ends a line at a lone "\r" (RFC 4180 readers accept it).
        assert all(1 <= n <= body.count(b"\n") + body.count(b"\r") + 1 for n in lines)
        for row in rows:
            assert (row.draft is None) == (row.code is not None)
            if row.draft is not None:
                assert DRIVER in row.draft["type"]


def test_an_operator_revoked_while_its_batch_waits_issues_nothing_more(
    batch_client: tuple[TestClient, OfficeDir], make_operator: MakeOperator, draft: Draft
) -> None:
    client, office_dir = batch_client
    made = make_operator()
    body, _ = _csv(draft, 5)
    answer = _post(client, made.token, body, "text/csv")
    assert answer.status_code == 202
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        revoke_operator(session, operator_id=made.operator.id, now=NOW)
    engine.dispose()
    _run(office_dir)
    admin = make_operator(name="reader").token
    got = client.get(answer.headers["Location"], headers={"Authorization": f"Bearer {admin}"})
    assert (got.json()["issued"], got.json()["failed"]) == (0, 5)
    assert {e["code"] for e in got.json()["errors"]} == {"TOKEN_REVOKED"}
