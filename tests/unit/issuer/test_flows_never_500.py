"""Whatever an operator sends to the deed, dual-control and audit endpoints, the answer is a
success or a 4xx problem: never a 500 (hypothesis bodies, ids and query strings)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.app import create_app
from issuer.deps import get_now
from tests.unit.issuer.conftest import NOW, OfficeDir
from tests.unit.issuer.test_never_500 import JSON

DEED = "PropertyDeedCredential"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALLOWED = {200, 201, 202, 400, 403, 404, 409, 413, 415, 422}


@pytest.fixture
def world(
    office_dir: OfficeDir, make_operator: Callable[..., Any], draft: Any
) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    """The app (deeds need two operators), one all-roles operator's headers, and a deed."""
    app_settings = office_dir.settings.model_copy(
        update={
            "registry_url": "http://registry.example:8700",
            "anchor_worker": False,
            "status_wait_s": 0.0,
            "accreditation_check": False,
            "approvals_by_type": {DEED: 2},
        }
    )
    app = create_app(app_settings, office_dir.office)

    async def pinned() -> Any:
        return NOW

    app.dependency_overrides[get_now] = pinned
    roles = ("issuer", "approver", "admin")
    first = {"Authorization": "Bearer " + make_operator(roles=roles).token}
    second = {"Authorization": "Bearer " + make_operator(roles=roles).token}
    with TestClient(app) as client:
        held = client.post("/credentials/issue", json={"credential": draft(DEED)}, headers=first)
        done = client.post(f"/requests/{held.json()['id']}/approve", headers=second)
        yield client, first, done.json()["result"]["credentialId"]


def _check(response: Any) -> None:
    assert response.status_code in ALLOWED, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@FUZZ
@given(body=JSON, target=st.sampled_from(["transfer", "encumbrances", "release", "reject"]))
def test_any_json_body(body: Any, target: str, world: Any) -> None:
    client, headers, deed = world
    path = {
        "transfer": f"/deeds/{deed}/transfer",
        "encumbrances": f"/deeds/{deed}/encumbrances",
        "release": f"/deeds/{deed}/encumbrances/enc-1/release",
        "reject": "/requests/urn:uuid:00000000-0000-4000-8000-000000000000/reject",
    }[target]
    _check(client.post(path, json=body, headers=headers))
    # The same body as the transfer's new deed, and as an encumbrance's members.
    _check(client.post(f"/deeds/{deed}/transfer", json={"credential": body}, headers=headers))
    if isinstance(body, dict):
        _check(client.post(f"/deeds/{deed}/encumbrances", json=body, headers=headers))


@FUZZ
@given(
    ident=st.text(min_size=1, max_size=40),
    query=st.dictionaries(
        st.sampled_from(["state", "limit", "after"]), st.text(max_size=12), max_size=3
    ),
)
def test_any_id_or_query(ident: str, query: dict[str, str], world: Any) -> None:
    client, headers, _ = world
    safe = quote(ident, safe="")
    _check(client.post(f"/requests/{safe}/approve", headers=headers))
    _check(client.get(f"/requests/{safe}", headers=headers))
    _check(client.post(f"/deeds/{safe}/transfer", json={"credential": {}}, headers=headers))
    _check(client.post(f"/deeds/{safe}/encumbrances/{safe}/release", json={}, headers=headers))
    _check(client.get("/requests", params=query, headers=headers))
    _check(client.get("/audit", params=query, headers=headers))
