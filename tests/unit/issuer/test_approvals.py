"""Dual control, deed transfers and encumbrances, and the audit log, through the real app.

The app runs with the default policy (a ``PropertyDeedCredential`` needs two operators) and a
registry URL (so credentials get status entries) but no chain worker: the events stay queued
here; ``tests/integration/test_issuer_deeds.py`` sees them on a real chain.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from issuer import approvals, audit
from issuer.app import create_app
from issuer.approvals import Issuing
from issuer.auth import Operator
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.errors import ConflictError
from issuer.tables import CredentialRow, StatusRequestRow
from tests.unit.issuer.conftest import NOW, OfficeDir
from vc_core.canon import default_contexts

DEED = "PropertyDeedCredential"
DRIVER = "DriverLicenceCredential"
REGISTRY = "http://registry.example:8700"
Draft = Callable[[str], dict[str, Any]]


def _auth(token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.token}"}


@pytest.fixture
def settings(office_dir: OfficeDir) -> Any:
    return office_dir.settings.model_copy(
        update={
            "registry_url": REGISTRY,
            "anchor_worker": False,
            "status_wait_s": 0.0,
            "accreditation_check": False,
            "approvals_by_type": {DEED: 2},
        }
    )


@pytest.fixture
def app_client(office_dir: OfficeDir, settings: Any) -> Iterator[TestClient]:
    app = create_app(settings, office_dir.office)

    async def pinned() -> Any:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def people(make_operator: Any) -> dict[str, Any]:
    return {
        "clerk": make_operator(roles=("issuer",), name="clerk"),
        "clerk2": make_operator(roles=("issuer",), name="clerk2"),
        "both": make_operator(roles=("issuer", "approver"), name="both"),
        "approver": make_operator(roles=("approver",), name="approver"),
        "approver2": make_operator(roles=("approver",), name="approver2"),
        "admin": make_operator(roles=("admin",), name="admin"),
    }


def _issue(client: TestClient, token: Any, credential: dict[str, Any]) -> Any:
    return client.post("/credentials/issue", json={"credential": credential}, headers=_auth(token))


def _deed(client: TestClient, people: dict[str, Any], draft: Draft) -> str:
    """A deed issued under dual control: asked by a clerk, approved by an approver."""
    held = _issue(client, people["clerk"], draft(DEED))
    assert held.status_code == 202, held.text
    done = client.post(f"/requests/{held.json()['id']}/approve", headers=_auth(people["approver"]))
    assert done.status_code == 200, done.text
    credential_id: str = done.json()["result"]["credentialId"]
    return credential_id


def test_a_deed_waits_for_another_operator(
    app_client: TestClient, people: dict[str, Any], draft: Draft
) -> None:
    held = _issue(app_client, people["both"], draft(DEED))
    assert held.status_code == 202, held.text
    request = held.json()
    assert request["state"] == "pending" and request["required"] == 2
    assert held.headers["location"] == "/requests/" + request["id"]
    # Nothing is issued yet.
    read = app_client.get(f"/credentials/{request['credentialId']}", headers=_auth(people["both"]))
    assert read.status_code == 404
    listed = app_client.get("/requests?state=pending", headers=_auth(people["approver"])).json()
    assert [r["id"] for r in listed["requests"]] == [request["id"]]
    # An approver reads what it approves.
    shown = app_client.get(f"/requests/{request['id']}", headers=_auth(people["approver"]))
    assert shown.json()["payload"]["credentialSubject"]["unitNumber"]

    url = f"/requests/{request['id']}/approve"
    own = app_client.post(url, headers=_auth(people["both"]))
    assert own.status_code == 403 and own.json()["code"] == "SELF_APPROVAL"
    assert "four-eyes" in own.json()["detail"]
    clerk = app_client.post(url, headers=_auth(people["clerk2"]))
    assert clerk.status_code == 403 and clerk.json()["code"] == "ROLE_NOT_ALLOWED"

    done = app_client.post(url, headers=_auth(people["approver"]))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "executed"
    assert done.json()["approvedBy"] == [people["approver"].operator.id]
    issued = app_client.get(
        f"/credentials/{request['credentialId']}", headers=_auth(people["both"])
    )
    assert issued.status_code == 200
    assert issued.json()["verifiableCredential"]["credentialStatus"]

    again = app_client.post(url, headers=_auth(people["approver2"]))
    assert again.status_code == 409 and again.json()["code"] == "REQUEST_NOT_PENDING"
    # Other types are not held.
    assert _issue(app_client, people["clerk"], draft(DRIVER)).status_code == 201


def test_rejected_requests_stay_rejected(
    app_client: TestClient, people: dict[str, Any], draft: Draft
) -> None:
    held = _issue(app_client, people["clerk"], draft(DEED)).json()
    own = app_client.post(f"/requests/{held['id']}/reject", json={}, headers=_auth(people["clerk"]))
    assert own.status_code == 403  # an issuer neither rejects nor approves
    rejected = app_client.post(
        f"/requests/{held['id']}/reject",
        json={"reason": "wrong owner"},
        headers=_auth(people["admin"]),
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    late = app_client.post(f"/requests/{held['id']}/approve", headers=_auth(people["approver"]))
    assert late.status_code == 409 and late.json()["code"] == "REQUEST_NOT_PENDING"
    twice = app_client.post(
        f"/requests/{held['id']}/reject", json={}, headers=_auth(people["approver"])
    )
    assert twice.status_code == 409
    gone = app_client.get(f"/credentials/{held['credentialId']}", headers=_auth(people["clerk"]))
    assert gone.status_code == 404


def test_three_operators_need_two_approvers(
    office_dir: OfficeDir, settings: Any, people: dict[str, Any], draft: Draft
) -> None:
    strict = settings.model_copy(update={"approvals_by_type": {DEED: 3}})
    app = create_app(strict, office_dir.office)

    async def pinned() -> Any:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as client:
        held = _issue(client, people["clerk"], draft(DEED)).json()
        url = f"/requests/{held['id']}/approve"
        first = client.post(url, headers=_auth(people["approver"]))
        assert first.status_code == 200 and first.json()["state"] == "pending"
        twice = client.post(url, headers=_auth(people["approver"]))
        assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_APPROVED"
        second = client.post(url, headers=_auth(people["approver2"]))
        assert second.json()["state"] == "executed"
        assert len(second.json()["approvedBy"]) == 2


def test_revoking_a_deed_is_held_and_transfer_refuses_a_revoked_deed(
    app_client: TestClient, people: dict[str, Any], draft: Draft
) -> None:
    deed = _deed(app_client, people, draft)
    body = {"credentialId": deed, "action": "revoke", "reason": "fraud"}
    held = app_client.post("/credentials/status", json=body, headers=_auth(people["approver"]))
    assert held.status_code == 202 and held.json()["kind"] == "status"
    done = app_client.post(
        f"/requests/{held.json()['id']}/approve", headers=_auth(people["approver2"])
    )
    assert done.status_code == 200, done.text
    assert "statusRequest" in done.json()["result"]
    # A suspension is reversible: not held.
    suspend = {"credentialId": deed, "action": "suspend", "reason": "check"}
    answer = app_client.post("/credentials/status", json=suspend, headers=_auth(people["approver"]))
    assert answer.status_code == 202 and "kind" not in answer.json()

    transfer = {"credential": draft(DEED), "reason": "sale"}
    refused = app_client.post(
        f"/deeds/{deed}/transfer", json=transfer, headers=_auth(people["clerk"])
    )
    assert refused.status_code == 409 and refused.json()["code"] == "DEED_REVOKED"


def test_transfer_issues_the_successor_and_queues_the_supersede_together(
    app_client: TestClient, people: dict[str, Any], draft: Draft, office_dir: OfficeDir
) -> None:
    deed = _deed(app_client, people, draft)
    new = draft(DEED)
    new["credentialSubject"]["owners"] = [
        {"name": "李娜", "idType": "resident-id", "idNumber": "510104199001011230", "share": "1"}
    ]
    url = f"/deeds/{deed}/transfer"
    held = app_client.post(
        url, json={"credential": new, "reason": "sale"}, headers=_auth(people["clerk"])
    )
    assert held.status_code == 202, held.text
    bad = draft(DEED)
    bad["credentialSubject"]["owners"][0]["idNumber"] = "510104199001011237"
    refused = app_client.post(url, json={"credential": bad}, headers=_auth(people["clerk2"]))
    assert refused.status_code == 422, refused.text  # checked before an approver sees it
    second = app_client.post(url, json={"credential": new}, headers=_auth(people["clerk2"]))
    assert second.status_code == 409 and second.json()["code"] == "TRANSFER_PENDING"
    done = app_client.post(
        f"/requests/{held.json()['id']}/approve", headers=_auth(people["approver"])
    )
    assert done.status_code == 200, done.text
    successor = done.json()["result"]["credentialId"]
    assert successor != deed

    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        assert session.get(CredentialRow, successor) is not None
        rows = session.exec(
            select(StatusRequestRow).where(StatusRequestRow.credential_id == deed)
        ).all()
        supersedes = [r for r in rows if r.action == "supersede"]
        assert len(supersedes) == 1
        assert json.loads(supersedes[0].detail or "{}") == {"by": successor}
    engine.dispose()

    again = app_client.post(url, json={"credential": new}, headers=_auth(people["clerk"]))
    assert again.status_code == 409 and again.json()["code"] == "DEED_SUPERSEDED"


def test_transfer_refuses_a_non_deed_and_another_unit(
    app_client: TestClient, people: dict[str, Any], draft: Draft
) -> None:
    licence = _issue(app_client, people["clerk"], draft(DRIVER)).json()["verifiableCredential"]
    body = {"credential": draft(DEED)}
    refused = app_client.post(
        f"/deeds/{licence['id']}/transfer", json=body, headers=_auth(people["clerk"])
    )
    assert refused.status_code == 422 and refused.json()["code"] == "NOT_A_DEED"
    deed = _deed(app_client, people, draft)
    other = draft(DEED)
    other["credentialSubject"]["unitNumber"] = "510104003002GB00012F00010024"
    moved = app_client.post(
        f"/deeds/{deed}/transfer", json={"credential": other}, headers=_auth(people["clerk"])
    )
    assert moved.status_code == 422 and moved.json()["code"] == "TRANSFER_UNIT_MISMATCH"
    licence_draft = {"credential": draft(DRIVER)}
    wrong = app_client.post(
        f"/deeds/{deed}/transfer", json=licence_draft, headers=_auth(people["clerk"])
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "TRANSFER_TYPE_MISMATCH"
    missing = app_client.post(
        "/deeds/urn:uuid:00000000-0000-4000-8000-000000000000/transfer",
        json=body,
        headers=_auth(people["clerk"]),
    )
    assert missing.status_code == 404


def _queued(settings: Any, deed: str) -> list[str]:
    """The status events queued for the chain worker on ``deed`` (actions, oldest first)."""
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        rows = session.exec(select(StatusRequestRow).where(StatusRequestRow.credential_id == deed))
        actions = [r.action for r in sorted(rows, key=lambda r: r.created_at)]
    engine.dispose()
    return actions


def test_encumbrances_are_held_for_a_second_operator_then_added_and_released_once(
    app_client: TestClient, people: dict[str, Any], draft: Draft, settings: Any
) -> None:
    deed = _deed(app_client, people, draft)
    headers = _auth(people["approver"])
    added = app_client.post(
        f"/deeds/{deed}/encumbrances",
        json={"kind": "mortgage", "holder": "Bank of Chengdu"},
        headers=headers,
    )
    # Held: nothing is queued for the chain until a different approver agrees.
    assert added.status_code == 202, added.text
    held = added.json()
    assert held["kind"] == "encumbrance.add" and held["state"] == "pending"
    assert held["required"] == 2 and added.headers["location"] == "/requests/" + held["id"]
    enc = held["encumbranceId"]
    assert _queued(settings, deed) == []
    shown = app_client.get(f"/requests/{held['id']}", headers=_auth(people["approver2"]))
    assert shown.json()["payload"]["kind"] == "mortgage"
    assert shown.json()["payload"]["encumbranceId"] == enc
    own = app_client.post(f"/requests/{held['id']}/approve", headers=headers)
    assert own.status_code == 403 and own.json()["code"] == "SELF_APPROVAL"
    admin = app_client.post(f"/requests/{held['id']}/approve", headers=_auth(people["admin"]))
    assert admin.status_code == 403 and admin.json()["code"] == "ROLE_NOT_ALLOWED"
    # Not in force while held: it cannot be released yet.
    early = app_client.post(f"/deeds/{deed}/encumbrances/{enc}/release", json={}, headers=headers)
    assert early.status_code == 404 and early.json()["code"] == "ENCUMBRANCE_NOT_FOUND"
    done = app_client.post(f"/requests/{held['id']}/approve", headers=_auth(people["approver2"]))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "executed"
    assert done.json()["result"]["encumbranceId"] == enc
    assert _queued(settings, deed) == ["encumbrance.add"]

    bad_kind = app_client.post(
        f"/deeds/{deed}/encumbrances", json={"kind": "lien"}, headers=headers
    )
    assert bad_kind.status_code == 422
    clerk = app_client.post(
        f"/deeds/{deed}/encumbrances", json={"kind": "seizure"}, headers=_auth(people["clerk"])
    )
    assert clerk.status_code == 403
    unknown = app_client.post(
        f"/deeds/{deed}/encumbrances/enc-0000/release", json={}, headers=headers
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "ENCUMBRANCE_NOT_FOUND"

    # The release is held the same way, once.
    url = f"/deeds/{deed}/encumbrances/{enc}/release"
    released = app_client.post(url, json={"reason": "paid"}, headers=headers)
    assert released.status_code == 202, released.text
    assert released.json()["kind"] == "encumbrance.release"
    again = app_client.post(url, json={}, headers=_auth(people["approver2"]))
    assert again.status_code == 409 and again.json()["code"] == "RELEASE_PENDING"
    assert _queued(settings, deed) == ["encumbrance.add"]
    own_release = app_client.post(f"/requests/{released.json()['id']}/approve", headers=headers)
    assert own_release.status_code == 403 and own_release.json()["code"] == "SELF_APPROVAL"
    approved = app_client.post(
        f"/requests/{released.json()['id']}/approve", headers=_auth(people["approver2"])
    )
    assert approved.status_code == 200, approved.text
    assert _queued(settings, deed) == ["encumbrance.add", "encumbrance.release"]
    twice = app_client.post(url, json={}, headers=headers)
    assert twice.status_code == 404

    log = app_client.get("/audit", headers=_auth(people["admin"])).json()
    actions = [e["action"] for e in log["entries"]]
    for kind in ("encumbrance.add", "encumbrance.release"):
        steps = [a for a in actions if a.startswith(kind)]
        assert steps == [f"{kind}.requested", f"{kind}.approved", kind, f"{kind}.executed"]
    assert log["chain"]["intact"] is True
    assert "Bank of Chengdu" not in json.dumps(log, ensure_ascii=False)


def test_without_dual_control_an_encumbrance_is_queued_at_once(
    office_dir: OfficeDir, settings: Any, people: dict[str, Any], draft: Draft
) -> None:
    relaxed = settings.model_copy(update={"approvals_by_type": {DEED: 1}})
    app = create_app(relaxed, office_dir.office)

    async def pinned() -> Any:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as client:
        deed = _issue(client, people["clerk"], draft(DEED)).json()["verifiableCredential"]["id"]
        added = client.post(
            f"/deeds/{deed}/encumbrances",
            json={"kind": "seizure"},
            headers=_auth(people["approver"]),
        )
        assert added.status_code == 202 and "kind" not in added.json()
        assert added.json()["state"] == "pending" and added.json()["encumbranceId"]
        assert _queued(relaxed, deed) == ["encumbrance.add"]


def test_two_approvers_racing_carry_it_out_once(
    app_client: TestClient,
    people: dict[str, Any],
    draft: Draft,
    office_dir: OfficeDir,
    settings: Any,
) -> None:
    held = _issue(app_client, people["clerk"], draft(DEED)).json()
    engine = make_engine(settings.db_url)
    issuing = Issuing(
        office=office_dir.office,
        suite_for=settings.suite_for,
        contexts=default_contexts(),
        registry_base=settings.registry_base,
        gate=None,
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve(who: Operator) -> None:
        barrier.wait()
        with Session(engine) as session:
            try:
                approvals.approve(
                    session=session, issuing=issuing, operator=who, request_id=held["id"], now=NOW
                )
                outcomes.append("executed")
            except ConflictError as error:
                outcomes.append(error.code)

    threads = [
        threading.Thread(target=approve, args=(people[name].operator,))
        for name in ("approver", "approver2")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) in (
        ["REQUEST_NOT_PENDING", "executed"],
        ["ALREADY_APPROVED", "executed"],
    ), outcomes
    with Session(engine) as session:
        rows = session.exec(select(CredentialRow).where(CredentialRow.id == held["credentialId"]))
        assert len(rows.all()) == 1
        assert audit.verify(session).broken_at is None
    engine.dispose()


def test_the_audit_log_is_append_only_and_chained(
    app_client: TestClient, people: dict[str, Any], draft: Draft, settings: Any
) -> None:
    _deed(app_client, people, draft)
    refused = app_client.get("/audit", headers=_auth(people["approver"]))
    assert refused.status_code == 403
    log = app_client.get("/audit", headers=_auth(people["admin"])).json()
    actions = [e["action"] for e in log["entries"]]
    assert actions == ["issue.requested", "issue.approved", "issue.executed"]
    assert log["chain"]["intact"] is True and log["chain"]["entries"] == 3
    assert log["entries"][0]["actor"] == people["clerk"].operator.id
    assert log["entries"][1]["actor"] == people["approver"].operator.id
    # No claim value of the citizen in the log.
    text_of_log = json.dumps(log, ensure_ascii=False)
    for value in ("510104198503121232", "张伟", "王芳"):
        assert value not in text_of_log

    engine = make_engine(settings.db_url)
    with engine.begin() as connection:
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"):
                connection.execute(text(statement))
    # Bypassing the database's own guard is still seen: the chain breaks at the edited entry.
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET actor = 'someone' WHERE seq = 2"))
    with Session(engine) as session:
        assert audit.verify(session).broken_at == 2
    engine.dispose()
    after = app_client.get("/audit", headers=_auth(people["admin"])).json()
    assert after["chain"] == {**after["chain"], "intact": False, "brokenAt": 2}
