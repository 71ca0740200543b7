"""The issuer API through its real app: issue, read back, and every refusal as problem details."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.app import create_app
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.tables import CredentialRow
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.dataintegrity import verify_proofs
from vc_core.errors import ProofError
from vc_core.keys import PublicKey
from vc_core.problems import problem_type

Draft = Callable[[str], dict[str, Any]]
DRIVER = "DriverLicenceCredential"
DEED = "PropertyDeedCredential"
PROBLEM = "application/problem+json"


def _auth(token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.token}"}


def _office_resolver(office_path: Any) -> Callable[[str, str], PublicKey]:
    """Resolve only the keys the office's public description lists, as ``<did>#<key>``."""
    description = json.loads(office_path.read_text())
    keys = {
        f"{description['did']}#{k['publicKeyMultibase']}": k["publicKeyMultibase"]
        for k in description["keys"]
    }

    def resolve(vm: str, purpose: str) -> PublicKey:
        if vm not in keys or purpose != "assertionMethod":
            raise ProofError(f"{vm} is not an assertion key of the office")
        return PublicKey.from_multibase(keys[vm])

    return resolve


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["type"] == problem_type(code)
    assert body["status"] == status
    return body


@pytest.mark.parametrize("type_name", sorted(CREDENTIAL_TYPES))
def test_issue_each_type_read_back_and_verify(
    type_name: str,
    client: TestClient,
    make_operator: Any,
    draft: Draft,
    office_dir: Any,
    now: datetime,
) -> None:
    operator = make_operator(types=(type_name,))
    response = client.post(
        "/credentials/issue",
        json={"credential": draft(type_name), "options": {"unknownOption": True}},
        headers=_auth(operator),
    )
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    assert vc["issuer"] == office_dir.office.did
    assert vc["id"].startswith("urn:uuid:")
    assert response.headers["location"] == f"/credentials/{vc['id']}"
    # The default policy fails closed: assertionMethod, a key the issuer controls, created <= now.
    report = verify_proofs(vc, now=now, resolver=_office_resolver(office_dir.settings.office_path))
    assert report.results[0].issuer_controls_method is True
    again = client.get(f"/credentials/{vc['id']}", headers=_auth(operator))
    assert again.status_code == 200 and again.json()["verifiableCredential"] == vc
    assert response.headers["cache-control"] == again.headers["cache-control"] == "no-store"


def test_the_type_chooses_its_suite(
    client: TestClient, make_operator: Any, draft: Draft, office_dir: Any
) -> None:
    assert office_dir.settings.suite_for(DRIVER) == "eddsa-rdfc-2022"
    response = client.post(
        "/credentials/issue", json={"credential": draft(DRIVER)}, headers=_auth(make_operator())
    )
    assert response.json()["verifiableCredential"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_the_credential_is_stored_before_201(
    client: TestClient, make_operator: Any, draft: Draft, office_dir: Any, now: datetime
) -> None:
    operator = make_operator()
    vc = client.post(
        "/credentials/issue", json={"credential": draft(DEED)}, headers=_auth(operator)
    ).json()["verifiableCredential"]
    engine = make_engine(office_dir.settings.db_url)
    with Session(engine) as session:
        row = session.exec(select(CredentialRow)).one()
    engine.dispose()
    assert json.loads(row.document) == vc
    assert (row.credential_type, row.operator_id) == (DEED, operator.operator.id)


def test_a_chosen_id_is_kept_once(client: TestClient, make_operator: Any, draft: Draft) -> None:
    headers = _auth(make_operator())
    chosen = "urn:uuid:3f6c2a1e-8b4d-4c52-9a7e-1d2b5c8e0f41"
    via_option = {"credential": draft(DRIVER), "options": {"credentialId": chosen}}
    first = client.post("/credentials/issue", json=via_option, headers=headers)
    assert first.json()["verifiableCredential"]["id"] == chosen
    in_body = {"credential": {**draft(DRIVER), "id": chosen}}
    _problem(
        client.post("/credentials/issue", json=in_body, headers=headers),
        409,
        "CREDENTIAL_ID_TAKEN",
    )
    bad = {"credential": {**draft(DRIVER), "id": "https://example.com/1"}}
    _problem(
        client.post("/credentials/issue", json=bad, headers=headers), 422, "CREDENTIAL_ID_INVALID"
    )


def test_authentication_refusals(
    client: TestClient, make_operator: Any, draft: Draft, now: datetime
) -> None:
    body = {"credential": draft(DRIVER)}
    missing = client.post("/credentials/issue", json=body)
    _problem(missing, 401, "TOKEN_MISSING")
    assert missing.headers["www-authenticate"] == "Bearer"
    garbage = client.post("/credentials/issue", json=body, headers={"Authorization": "Bearer x"})
    _problem(garbage, 401, "TOKEN_MALFORMED")
    assert garbage.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    expired = make_operator(now=now - timedelta(days=2), lifetime=timedelta(days=1))
    _problem(
        client.post("/credentials/issue", json=body, headers=_auth(expired)), 401, "TOKEN_EXPIRED"
    )
    # Reading is authenticated too: citizens' data is not public.
    _problem(client.get("/credentials/urn:uuid:x"), 401, "TOKEN_MISSING")


def test_authorization_refusals(client: TestClient, make_operator: Any, draft: Draft) -> None:
    body = {"credential": draft(DEED)}
    approver = make_operator(roles=("approver",))
    _problem(
        client.post("/credentials/issue", json=body, headers=_auth(approver)),
        403,
        "ROLE_NOT_ALLOWED",
    )
    driver_only = make_operator(types=(DRIVER,))
    _problem(
        client.post("/credentials/issue", json=body, headers=_auth(driver_only)),
        403,
        "TYPE_OUT_OF_SCOPE",
    )
    # A credential outside the reader's scope is "not found", not "forbidden".
    vc = client.post("/credentials/issue", json=body, headers=_auth(make_operator())).json()
    _problem(
        client.get(f"/credentials/{vc['verifiableCredential']['id']}", headers=_auth(driver_only)),
        404,
        "CREDENTIAL_NOT_FOUND",
    )


def test_auth_is_checked_before_the_body(client: TestClient, make_operator: Any) -> None:
    # Without a token, even garbage is 401; with the wrong role, 403: the body is not read.
    as_json = {"Content-Type": "application/json"}
    _problem(
        client.post("/credentials/issue", content=b"{not json", headers=as_json),
        401,
        "TOKEN_MISSING",
    )
    approver = make_operator(roles=("approver",))
    _problem(
        client.post(
            "/credentials/issue",
            content=b"{not json",
            headers={**_auth(approver), "Content-Type": "application/json"},
        ),
        403,
        "ROLE_NOT_ALLOWED",
    )


def test_body_refusals(
    client: TestClient, make_operator: Any, draft: Draft, office_dir: Any, now: datetime
) -> None:
    headers = _auth(make_operator())
    text = json.dumps({"credential": draft(DRIVER)})
    _problem(
        client.post(
            "/credentials/issue", content=text, headers={**headers, "Content-Type": "text/plain"}
        ),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    as_json = {**headers, "Content-Type": "application/json"}
    _problem(client.post("/credentials/issue", content=b"{", headers=as_json), 400, "NOT_JSON")
    _problem(
        client.post("/credentials/issue", content=b'{"a":1,"a":2}', headers=as_json),
        400,
        "DUPLICATE_KEY",
    )
    no_credential = client.post("/credentials/issue", json={"options": {}}, headers=headers)
    assert _problem(no_credential, 422, "REQUEST_INVALID")["field"] == "credential"
    oversized = {"credential": {**draft(DRIVER), "pad": "x" * 2_000_000}}
    _problem(
        client.post("/credentials/issue", json=oversized, headers=headers),
        413,
        "PAYLOAD_TOO_LARGE",
    )


def test_content_refusals(
    client: TestClient, make_operator: Any, draft: Draft, now: datetime
) -> None:
    headers = _auth(make_operator())

    def issue(credential: dict[str, Any]) -> Any:
        return client.post("/credentials/issue", json={"credential": credential}, headers=headers)

    unknown = {**draft(DRIVER), "type": ["VerifiableCredential", "PassportCredential"]}
    _problem(issue(unknown), 422, "CREDENTIAL_TYPE_UNKNOWN")
    bad = draft(DRIVER)
    bad["credentialSubject"] = {**bad["credentialSubject"], "licenceNumber": "510105199203150287"}
    del bad["credentialSubject"]["name"]
    body = _problem(issue(bad), 422, "RESIDENT_ID_CHECK_CHARACTER_MISMATCH")
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/credentialSubject/licenceNumber", "/credentialSubject/name"}
    other_issuer = {**draft(DRIVER), "issuer": "did:ecert:unit:someone-else"}
    _problem(issue(other_issuer), 422, "ISSUER_MISMATCH")
    signed = {**draft(DRIVER), "proof": {"type": "DataIntegrityProof"}}
    _problem(issue(signed), 422, "ALREADY_SIGNED")
    over = {**draft(DRIVER), "validUntil": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    over["validFrom"] = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _problem(issue(over), 422, "VALIDITY_PERIOD_OVER")
    inverted = {**draft(DRIVER), "validFrom": "2031-01-01T00:00:00Z"}
    _problem(issue(inverted), 422, "VALIDITY_PERIOD_INVALID")
    plain = {**draft(DRIVER), "@context": ["https://www.w3.org/ns/credentials/v2"]}
    _problem(issue(plain), 422, "ECERT_CONTEXT_MISSING")
    # Structure is checked before anything looks inside: not a VCDM 2.0 credential is 400.
    _problem(issue({"type": "VerifiableCredential"}), 400, "MALFORMED_CREDENTIAL")
    _problem(issue({**draft(DRIVER), "type": [[], DRIVER]}), 400, "MALFORMED_CREDENTIAL")


def test_unknown_routes_and_credentials(client: TestClient, make_operator: Any) -> None:
    _problem(client.get("/nowhere"), 404, "NOT_FOUND")
    headers = _auth(make_operator())
    _problem(client.get("/credentials/urn:uuid:nope", headers=headers), 404, "CREDENTIAL_NOT_FOUND")
    wrong_method = client.delete("/credentials/issue", headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("suite", "warned"), [("eddsa-rdfc-2022", True), ("eddsa-jcs-2022", False)]
)
def test_issuing_text_beyond_the_bmp_under_rdfc_warns_the_office(
    office_dir: Any, make_operator: Any, draft: Draft, suite: str, warned: bool, now: datetime
) -> None:
    # 𠮷 (U+20BB7, CJK Extension B) sorts differently in UTF-16 code units than by code point,
    # which RDFC-1.0 uses; JavaScript verifiers that sort by code units may disagree.
    settings = office_dir.settings.model_copy(update={"default_suite": suite})
    app = create_app(settings, office_dir.office)

    async def pinned() -> datetime:
        return now

    app.dependency_overrides[get_now] = pinned
    credential = draft(DRIVER)
    credential["credentialSubject"]["name"] = "\U00020bb7野花子"
    with TestClient(app) as client:
        response = client.post(
            "/credentials/issue", json={"credential": credential}, headers=_auth(make_operator())
        )
        plain = client.post(
            "/credentials/issue", json={"credential": draft(DRIVER)}, headers=_auth(make_operator())
        )
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["proof"]["cryptosuite"] == suite
    codes = [w["code"] for w in response.json()["warnings"]]
    assert codes == (["RDFC_UTF16_ORDER_RISK"] if warned else [])
    assert plain.json()["warnings"] == []
