"""Every endpoint that needs an operator × every kind of bad credential → its 401/403 (one table).

Rows are the ways a request can be unauthorized; columns are the endpoints. A new endpoint joins
``ENDPOINTS`` and is checked against every row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.auth import add_operator, revoke_operator
from issuer.db import make_engine
from vc_core.problems import problem_type

DRIVER = "DriverLicenceCredential"
DEED = "PropertyDeedCredential"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    write: bool
    # The roles a well-formed token of this row carries, and those of the "wrong role" row.
    roles: tuple[str, ...] = ("issuer",)
    wrong_roles: tuple[str, ...] = ("approver", "admin")


ENDPOINTS = {
    "issue": Endpoint("POST", "/credentials/issue", write=True),
    "read": Endpoint("GET", "/credentials/{id}", write=False),
    "receipt": Endpoint("GET", "/credentials/{id}/receipt", write=False),
    "status": Endpoint(
        "POST", "/credentials/status", write=True, roles=("approver",), wrong_roles=("issuer",)
    ),
}
# Where an endpoint answers a row differently from its column: a reader of a credential that is
# not anchored yet learns just that; a status change names a credential, and one outside the
# operator's scope is not disclosed (as for a read).
OVERRIDES: dict[tuple[str, str], tuple[int, str]] = {
    ("receipt", "wrong role"): (202, None),
    ("status", "type outside scope"): (404, "CREDENTIAL_NOT_FOUND"),
}

# (case, expected status for a write, for a read, code for a write, code for a read)
CASES = [
    ("no token", 401, 401, "TOKEN_MISSING", "TOKEN_MISSING"),
    ("not bearer", 401, 401, "TOKEN_MALFORMED", "TOKEN_MALFORMED"),
    ("malformed", 401, 401, "TOKEN_MALFORMED", "TOKEN_MALFORMED"),
    ("wrong secret", 401, 401, "TOKEN_INVALID", "TOKEN_INVALID"),
    ("expired", 401, 401, "TOKEN_EXPIRED", "TOKEN_EXPIRED"),
    ("revoked", 401, 401, "TOKEN_REVOKED", "TOKEN_REVOKED"),
    ("another office's", 401, 401, "TOKEN_INVALID", "TOKEN_INVALID"),
    ("wrong role", 403, 200, "ROLE_NOT_ALLOWED", None),
    # Outside its scope a credential is not disclosed to a reader: 404, not 403.
    ("type outside scope", 403, 404, "TYPE_OUT_OF_SCOPE", "CREDENTIAL_NOT_FOUND"),
]


def _headers(
    case: str,
    make: Callable[..., Any],
    now: datetime,
    *,
    home_db: str,
    other_db: str,
    wrong_roles: tuple[str, ...],
) -> dict[str, str]:
    if case == "no token":
        return {}
    if case == "not bearer":
        return {"Authorization": "Basic " + make().token}
    if case == "malformed":
        return {"Authorization": "Bearer ecert-op.xyz"}
    if case == "wrong secret":
        token = make().token
        return {"Authorization": "Bearer " + token[:-1] + ("A" if token[-1] != "A" else "B")}
    if case == "expired":
        token = make(now=now - timedelta(days=2), lifetime=timedelta(days=1)).token
        return {"Authorization": "Bearer " + token}
    if case == "revoked":
        made = make()
        engine = make_engine(home_db)
        with Session(engine) as session:
            revoke_operator(session, operator_id=made.operator.id, now=now)
        engine.dispose()
        return {"Authorization": "Bearer " + made.token}
    if case == "another office's":
        engine = make_engine(other_db)
        with Session(engine) as session:
            made = add_operator(
                session,
                name="elsewhere",
                roles=["issuer", "approver", "admin"],
                credential_types=[DRIVER, DEED],
                lifetime=timedelta(days=1),
                now=now,
            )
        engine.dispose()
        return {"Authorization": "Bearer " + made.token}
    if case == "wrong role":
        return {"Authorization": "Bearer " + make(roles=wrong_roles).token}
    assert case == "type outside scope"
    return {"Authorization": "Bearer " + make(types=(DRIVER,)).token}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize(("case", "write_status", "read_status", "write_code", "read_code"), CASES)
def test_matrix(
    endpoint: str,
    case: str,
    write_status: int,
    read_status: int,
    write_code: str,
    read_code: str | None,
    client: TestClient,
    make_operator: Callable[..., Any],
    draft: Callable[[str], dict[str, Any]],
    office_dir: Any,
    now: datetime,
    tmp_path: Path,
) -> None:
    # A deed exists, issued by a fully scoped issuer, for the read column.
    full = {"Authorization": "Bearer " + make_operator().token}
    body = {"credential": draft(DEED)}
    deed = client.post("/credentials/issue", json=body, headers=full)
    assert deed.status_code == 201
    deed_id = deed.json()["verifiableCredential"]["id"]

    spec = ENDPOINTS[endpoint]
    headers = _headers(
        case,
        functools.partial(make_operator, roles=spec.roles),
        now,
        home_db=office_dir.settings.db_url,
        other_db=f"sqlite:///{tmp_path / 'another-office' / 'issuer.sqlite'}",
        wrong_roles=spec.wrong_roles,
    )
    if spec.write:
        payload: dict[str, Any] = {"credential": draft(DEED)}
        if endpoint == "status":
            payload = {"credentialId": deed_id, "action": "revoke", "reason": "lost"}
        response = client.post(spec.path, json=payload, headers=headers)
        status, code = write_status, write_code
    else:
        response = client.get(spec.path.format(id=deed_id), headers=headers)
        status, code = read_status, read_code
    status, code = OVERRIDES.get((endpoint, case), (status, code))
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
        assert response.json()["type"] == problem_type(code)
        assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
