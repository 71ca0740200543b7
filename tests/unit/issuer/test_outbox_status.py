"""The anchoring outbox and status entries through the real app and a real SQLite file.

No registry runs here (the chain worker is off, ``anchor_worker=False``); the worker against a
real registry node is in ``tests/integration/test_issuer_chain.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from issuer import outbox, status
from issuer.app import create_app
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.tables import CredentialRow, OutboxRow, StatusIndexRow
from issuer.testing import free_port
from issuer.worker import ChainWorker
from tests.unit.issuer.conftest import NOW, OfficeDir
from vc_core.anchoring import credential_digest
from vc_core.errors import MalformedError, RegistryError
from vc_core.registry_client import RegistryClient

DRIVER = "DriverLicenceCredential"
REGISTRY = "http://registry.example:8700"
Draft = Callable[[str], dict[str, Any]]


def _auth(token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.token}"}


@pytest.fixture
def chain_client(office_dir: OfficeDir) -> Iterator[TestClient]:
    """The app with a registry configured (status entries on) but no worker running."""
    settings = office_dir.settings.model_copy(
        update={
            "registry_url": REGISTRY + "/",
            "anchor_worker": False,
            "status_wait_s": 0.0,
            "accreditation_check": False,
        }
    )
    app = create_app(settings, office_dir.office)

    async def pinned() -> Any:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as test_client:
        yield test_client


def _issue(client: TestClient, token: Any, credential: dict[str, Any]) -> Any:
    return client.post("/credentials/issue", json={"credential": credential}, headers=_auth(token))


def test_issuing_writes_the_outbox_row_and_status_entries_with_the_credential(
    chain_client: TestClient, make_operator: Any, draft: Draft, office_dir: OfficeDir
) -> None:
    token = make_operator()
    answer = _issue(chain_client, token, draft(DRIVER))
    assert answer.status_code == 201, answer.text
    vc = answer.json()["verifiableCredential"]
    entries = vc["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert {e["statusListIndex"] for e in entries} == {entries[0]["statusListIndex"]}
    assert entries[0]["statusListCredential"].startswith(
        REGISTRY + "/status-lists/traffic-police/revocation/"
    )
    assert all(e["type"] == "BitstringStatusListEntry" for e in entries)
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        (row,) = session.exec(select(OutboxRow)).all()
        assert (row.credential_id, row.leaf, row.batch_id) == (
            vc["id"],
            credential_digest(vc),
            None,
        )
        (index,) = session.exec(select(StatusIndexRow)).all()
        assert str(index.index % status.LIST_SIZE) == entries[0]["statusListIndex"]
    # A refused issuance (the id is taken) leaves no second outbox row and no second index.
    again = dict(draft(DRIVER), id=vc["id"])
    assert _issue(chain_client, token, again).status_code == 409
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxRow)).one() == 1
        assert session.exec(select(func.count()).select_from(StatusIndexRow)).one() == 1
    engine.dispose()


def test_a_draft_may_not_bring_its_own_status(
    chain_client: TestClient, make_operator: Any, draft: Draft
) -> None:
    own = dict(draft(DRIVER), credentialStatus={"type": "BitstringStatusListEntry"})
    answer = _issue(chain_client, make_operator(), own)
    assert answer.status_code == 422 and answer.json()["code"] == "CREDENTIAL_STATUS_SET"


def test_the_receipt_is_pending_until_anchored(
    chain_client: TestClient, make_operator: Any, draft: Draft
) -> None:
    token = make_operator()
    vc = _issue(chain_client, token, draft(DRIVER)).json()["verifiableCredential"]
    pending = chain_client.get(f"/credentials/{vc['id']}/receipt", headers=_auth(token))
    assert pending.status_code == 202, pending.text
    assert pending.json() == {"state": "pending", "credentialId": vc["id"]}
    assert pending.headers["retry-after"] == "1"
    unknown = chain_client.get("/credentials/urn:uuid:x/receipt", headers=_auth(token))
    assert unknown.status_code == 404 and unknown.json()["code"] == "CREDENTIAL_NOT_FOUND"
    other = make_operator(types=("PropertyDeedCredential",))
    hidden = chain_client.get(f"/credentials/{vc['id']}/receipt", headers=_auth(other))
    assert hidden.json()["code"] == "CREDENTIAL_NOT_FOUND"


def test_status_changes_need_an_approver_and_are_queued(
    chain_client: TestClient, make_operator: Any, draft: Draft
) -> None:
    vc = _issue(chain_client, make_operator(), draft(DRIVER)).json()["verifiableCredential"]
    body = {"credentialId": vc["id"], "action": "revoke", "reason": "lost"}
    as_issuer = chain_client.post("/credentials/status", json=body, headers=_auth(make_operator()))
    assert as_issuer.status_code == 403 and as_issuer.json()["code"] == "ROLE_NOT_ALLOWED"
    approver = make_operator(roles=("approver",))
    queued = chain_client.post("/credentials/status", json=body, headers=_auth(approver))
    # No worker runs and the wait is 0 s: accepted, to be polled.
    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "pending"
    polled = chain_client.get(queued.headers["location"], headers=_auth(approver))
    assert polled.status_code == 200 and polled.json()["action"] == "revoke"
    past = {**body, "action": "suspend", "until": (NOW - timedelta(days=1)).isoformat()}
    late = chain_client.post("/credentials/status", json=past, headers=_auth(approver))
    assert late.status_code == 422 and late.json()["code"] == "SUSPEND_UNTIL_PAST"
    odd = chain_client.post(
        "/credentials/status", json={**body, "action": "erase"}, headers=_auth(approver)
    )
    assert odd.status_code == 422


def test_without_a_registry_there_is_no_status_to_change(
    client: TestClient, make_operator: Any, draft: Draft
) -> None:
    vc = _issue(client, make_operator(), draft(DRIVER)).json()["verifiableCredential"]
    assert "credentialStatus" not in vc
    body = {"credentialId": vc["id"], "action": "revoke", "reason": "lost"}
    answer = client.post(
        "/credentials/status", json=body, headers=_auth(make_operator(roles=("admin",)))
    )
    assert answer.status_code == 422 and answer.json()["code"] == "NO_STATUS_ENTRY"


def test_indexes_are_unique_and_a_new_list_opens_as_lists_fill(office_dir: OfficeDir) -> None:
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        indexes = [status.allocate_index(session, f"c{i}") for i in range(3000)]
        session.commit()
    assert len(set(indexes)) == len(indexes)
    assert all(0 <= i < status.LIST_SIZE for i in indexes)
    engine.dispose()


def test_a_batch_closes_by_size_or_by_age(
    chain_client: TestClient, make_operator: Any, draft: Draft, office_dir: OfficeDir
) -> None:
    token = make_operator()
    for _ in range(3):
        assert _issue(chain_client, token, draft(DRIVER)).status_code == 201
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        young = outbox.due_leaves(session, now=NOW, max_leaves=10, max_age_s=1.0)
        assert young == []
        full = outbox.due_leaves(session, now=NOW, max_leaves=2, max_age_s=1.0)
        assert len(full) == 2
        later = NOW + timedelta(seconds=1)
        old = outbox.due_leaves(session, now=later, max_leaves=10, max_age_s=1.0)
        assert len(old) == 3
        assert [r.id for r in old] == sorted(r.id for r in old)
    engine.dispose()


def test_an_unreachable_registry_loses_nothing(
    chain_client: TestClient, make_operator: Any, draft: Draft, office_dir: OfficeDir
) -> None:
    token = make_operator()
    for _ in range(2):
        assert _issue(chain_client, token, draft(DRIVER)).status_code == 201
    engine = make_engine(office_dir.settings.db_url)
    down = f"http://127.0.0.1:{free_port()}"
    settings = office_dir.settings.model_copy(update={"registry_url": down})
    with RegistryClient(down, retries=0, timeout_s=2) as client:
        worker = ChainWorker(
            engine=engine, client=client, office=office_dir.office, settings=settings
        )
        with pytest.raises(RegistryError):
            worker.step(NOW + timedelta(seconds=5))
    with Session(engine) as session:
        assert outbox.pending_count(session) == 2
        assert outbox.in_flight(session) is None
        assert session.exec(select(func.count()).select_from(CredentialRow)).one() == 2
    engine.dispose()


def test_a_registry_without_a_genesis_hash_is_refused_at_start(office_dir: OfficeDir) -> None:
    settings = office_dir.settings.model_copy(update={"registry_url": REGISTRY})
    with pytest.raises(MalformedError) as refused:
        create_app(settings, office_dir.office)
    assert refused.value.code == "GENESIS_HASH_MISSING"
