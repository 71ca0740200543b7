"""Every endpoint that needs an operator × every kind of bad credential → its 401/403 (one table).

Columns are the endpoints, rows the ways a request can be unauthorized. The write routes are
discovered from the FastAPI app itself: a new write route without a column here fails
:func:`test_every_write_route_has_a_column`, so nothing that changes state escapes the matrix.
The app runs with the default dual-control policy and a registry URL (status entries on, no
worker), so every route finds real objects behind its path: a deed, an encumbrance on it and a
held request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import issuer
from issuer.app import create_app
from issuer.auth import add_operator, revoke_operator
from issuer.db import make_engine
from issuer.deps import get_now
from tests.unit.issuer.conftest import NOW, OfficeDir
from vc_core.problems import problem_type

DRIVER = "DriverLicenceCredential"
DEED = "PropertyDeedCredential"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The answer to "type outside scope" when the route names an object: its existence is not
# disclosed to an operator whose scope does not cover it (404, as for a read).
HIDDEN = (404, "CREDENTIAL_NOT_FOUND")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    # The roles a well-formed token of this column carries, and those of the "wrong role" row.
    roles: tuple[str, ...]
    wrong_roles: tuple[str, ...]
    body: Callable[[World], Any] | None = None
    # Where a row is answered otherwise than the default (status, code or None for any code).
    overrides: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS


@dataclass
class World:
    """What exists when a row is tried: a deed, an encumbrance on it, a held request."""

    draft: Callable[[str], dict[str, Any]]
    deed: str
    encumbrance: str
    request: str


ENDPOINTS: dict[str, Endpoint] = {
    "issue": Endpoint(
        "POST",
        "/credentials/issue",
        ("issuer",),
        ("approver", "admin"),
        body=lambda w: {"credential": w.draft(DEED)},
    ),
    "status": Endpoint(
        "POST",
        "/credentials/status",
        ("approver",),
        ("issuer",),
        body=lambda w: {"credentialId": w.deed, "action": "revoke", "reason": "lost"},
        overrides={"type outside scope": HIDDEN},
    ),
    "transfer": Endpoint(
        "POST",
        "/deeds/{deed}/transfer",
        ("issuer",),
        ("approver", "admin"),
        body=lambda w: {"credential": w.draft(DEED)},
        overrides={"type outside scope": HIDDEN},
    ),
    "encumber": Endpoint(
        "POST",
        "/deeds/{deed}/encumbrances",
        ("approver",),
        ("issuer",),
        body=lambda w: {"kind": "seizure"},
        overrides={"type outside scope": HIDDEN},
    ),
    "release": Endpoint(
        "POST",
        "/deeds/{deed}/encumbrances/{encumbrance}/release",
        ("approver",),
        ("issuer",),
        body=lambda w: {"reason": "paid"},
        overrides={"type outside scope": HIDDEN},
    ),
    "approve": Endpoint(
        "POST",
        "/requests/{request}/approve",
        ("approver",),
        ("issuer", "admin"),
        overrides={"type outside scope": (404, "REQUEST_NOT_FOUND")},
    ),
    "reject": Endpoint(
        "POST",
        "/requests/{request}/reject",
        ("approver",),
        ("issuer",),
        body=lambda w: {},
        overrides={"type outside scope": (404, "REQUEST_NOT_FOUND")},
    ),
    "offer": Endpoint(
        "POST",
        "/offers",
        ("issuer",),
        ("approver", "admin"),
        body=lambda w: {
            "credentialType": DEED,
            "credentialSubject": w.draft(DEED)["credentialSubject"],
            "validFrom": w.draft(DEED)["validFrom"],
        },
    ),
    "read": Endpoint(
        "GET",
        "/credentials/{deed}",
        ("issuer",),
        ("approver", "admin"),
        overrides={"wrong role": (200, None), "type outside scope": HIDDEN},
    ),
    "receipt": Endpoint(
        "GET",
        "/credentials/{deed}/receipt",
        ("issuer",),
        ("approver", "admin"),
        # Any role may read; the deed is not anchored (no worker runs): pending.
        overrides={"wrong role": (202, None), "type outside scope": HIDDEN},
    ),
    "audit": Endpoint(
        "GET",
        "/audit",
        ("admin",),
        ("issuer", "approver"),
        overrides={"type outside scope": (200, None)},  # the log is not per type
    ),
    # The token, role and type scope are checked before the rows' media type is looked at.
    "batch": Endpoint("POST", f"/batches?type={DEED}", ("issuer",), ("approver", "admin")),
}

# Write routes that take no operator token because another credential authorizes them (the
# OpenID4VCI token, nonce and credential endpoints: a pre-authorized code or an access token,
# tested with their own refusals). Each needs its reason here, or the discovery test fails.
PUBLIC_WRITES: dict[tuple[str, str], str] = {
    (
        "POST",
        "/token",
    ): "the pre-authorized code and its tx_code (tests/unit/issuer/test_oid4vci.py)",
    ("POST", "/nonce"): "anyone may ask for a c_nonce; it only lets a key proof be fresh",
    ("POST", "/credential"): "the OpenID4VCI access token (tests/unit/issuer/test_oid4vci.py)",
}

# (row, status, code)
CASES = [
    ("no token", 401, "TOKEN_MISSING"),
    ("not bearer", 401, "TOKEN_MALFORMED"),
    ("malformed", 401, "TOKEN_MALFORMED"),
    ("wrong secret", 401, "TOKEN_INVALID"),
    ("expired", 401, "TOKEN_EXPIRED"),
    ("revoked", 401, "TOKEN_REVOKED"),
    ("another office's", 401, "TOKEN_INVALID"),
    ("wrong role", 403, "ROLE_NOT_ALLOWED"),
    ("type outside scope", 403, "TYPE_OUT_OF_SCOPE"),
]


def _template(path: str) -> str:
    """A route path with every parameter as ``{}``: ``/deeds/{deed_id}/x`` → ``/deeds/{}/x``."""
    parts = path.split("?", maxsplit=1)[0].split("/")
    return "/".join("{}" if p.startswith("{") else p for p in parts)


def test_every_write_route_has_a_column(office_dir: OfficeDir) -> None:
    app = create_app(office_dir.settings, office_dir.office)
    # The OpenAPI document lists every route of every included router (FastAPI's public view
    # of the routing table); no issuer route is left out of the schema.
    routes = {
        (method.upper(), _template(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in WRITE_METHODS
    }
    assert ("POST", "/credentials/issue") in routes  # the discovery itself works
    hidden = [
        str(path)
        for path in Path(issuer.__file__).parent.rglob("*.py")
        if "include_in_schema=False" in path.read_text(encoding="utf-8")
    ]
    assert hidden == [], "a route hidden from the OpenAPI paths would escape the matrix"
    covered = {(e.method, _template(e.path)) for e in ENDPOINTS.values() if e.write}
    covered |= {(method, _template(path)) for method, path in PUBLIC_WRITES}
    assert routes - covered == set(), "write routes without a row in the matrix"
    assert covered - routes == set(), "matrix columns for routes that do not exist"


@pytest.fixture
def world_client(office_dir: OfficeDir) -> Iterator[TestClient]:
    settings = office_dir.settings.model_copy(
        update={
            "registry_url": "http://registry.example:8700",
            "anchor_worker": False,
            "status_wait_s": 0.0,
            "accreditation_check": False,
            "approvals_by_type": {DEED: 2},
        }
    )
    app = create_app(settings, office_dir.office)

    async def pinned() -> datetime:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as client:
        yield client


def _world(client: TestClient, make: Callable[..., Any], draft: Any) -> World:
    everything = ("issuer", "approver", "admin")
    first = {"Authorization": "Bearer " + make(roles=everything, name="first").token}
    second = {"Authorization": "Bearer " + make(roles=everything, name="second").token}
    held = client.post("/credentials/issue", json={"credential": draft(DEED)}, headers=first)
    assert held.status_code == 202, held.text
    done = client.post(f"/requests/{held.json()['id']}/approve", headers=second)
    assert done.status_code == 200, done.text
    deed = done.json()["result"]["credentialId"]
    encumbered = client.post(
        f"/deeds/{deed}/encumbrances", json={"kind": "mortgage"}, headers=first
    )
    assert encumbered.status_code == 202, encumbered.text  # held for dual control
    approved = client.post(f"/requests/{encumbered.json()['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    waiting = client.post("/credentials/issue", json={"credential": draft(DEED)}, headers=first)
    assert waiting.status_code == 202
    return World(
        draft=draft,
        deed=deed,
        encumbrance=encumbered.json()["encumbranceId"],
        request=waiting.json()["id"],
    )


def _headers(
    case: str, endpoint: Endpoint, make: Callable[..., Any], home_db: str, other_db: str
) -> dict[str, str]:
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + token}

    if case == "no token":
        return {}
    if case == "not bearer":
        return {"Authorization": "Basic " + make(roles=endpoint.roles).token}
    if case == "malformed":
        return bearer("ecert-op.xyz")
    if case == "wrong secret":
        token = make(roles=endpoint.roles).token
        return bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))
    if case == "expired":
        return bearer(
            make(
                roles=endpoint.roles, now=NOW - timedelta(days=2), lifetime=timedelta(days=1)
            ).token
        )
    if case == "revoked":
        made = make(roles=endpoint.roles)
        engine = make_engine(home_db)
        with Session(engine) as session:
            revoke_operator(session, operator_id=made.operator.id, now=NOW)
        engine.dispose()
        return bearer(made.token)
    if case == "another office's":
        engine = make_engine(other_db)
        with Session(engine) as session:
            made = add_operator(
                session,
                name="elsewhere",
                roles=["issuer", "approver", "admin"],
                credential_types=[DRIVER, DEED],
                lifetime=timedelta(days=1),
                now=NOW,
            )
        engine.dispose()
        return bearer(made.token)
    if case == "wrong role":
        return bearer(make(roles=endpoint.wrong_roles).token)
    assert case == "type outside scope"
    return bearer(make(roles=endpoint.roles, types=(DRIVER,)).token)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_matrix(
    name: str,
    world_client: TestClient,
    make_operator: Callable[..., Any],
    draft: Callable[[str], dict[str, Any]],
    office_dir: OfficeDir,
    tmp_path: Path,
) -> None:
    world = _world(world_client, make_operator, draft)
    endpoint = ENDPOINTS[name]
    path = endpoint.path.format(
        deed=world.deed, encumbrance=world.encumbrance, request=world.request
    )
    for case, default_status, default_code in CASES:
        headers = _headers(
            case,
            endpoint,
            make_operator,
            office_dir.settings.db_url,
            f"sqlite:///{tmp_path / 'another-office' / 'issuer.sqlite'}",
        )
        if endpoint.write:
            body = endpoint.body(world) if endpoint.body is not None else None
            response = world_client.request(endpoint.method, path, json=body, headers=headers)
        else:
            response = world_client.request(endpoint.method, path, headers=headers)
        status, code = endpoint.overrides.get(case, (default_status, default_code))
        where = f"{name} × {case}: {response.text}"
        assert response.status_code == status, where
        if code is not None:
            assert response.json()["code"] == code, where
            assert response.json()["type"] == problem_type(code), where
            assert response.headers["content-type"] == "application/problem+json", where
        if status == 401:
            expected = "Bearer" if case == "no token" else 'Bearer error="invalid_token"'
            assert response.headers["www-authenticate"] == expected, where
