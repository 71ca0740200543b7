"""``POST /credentials/issue``, ``GET /credentials/{id}`` and its receipt (W3C VC-API
conventions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from issuer import approvals, outbox, service
from issuer.deps import (
    ContextsDep,
    GateDep,
    IssuerDep,
    IssueRequestDep,
    IssuingDep,
    NowDep,
    OfficeDep,
    OperatorDep,
    SessionDep,
    SettingsDep,
    WriterDep,
)
from issuer.routers.requests import held_response
from issuer.schemas import CredentialPublic

router = APIRouter(tags=["credentials"])
# A credential holds a citizen's data: no cache on the way may keep a copy (RFC 9111 §5.2.2.5).
NO_STORE = "no-store"
# A batch closes within a second by default (ISSUER_BATCH_MAX_AGE_S) and its block follows.
RECEIPT_RETRY_AFTER_S = "1"


@router.post("/credentials/issue", status_code=201, response_model=CredentialPublic)
def issue_credential(
    *,
    operator: IssuerDep,
    body: IssueRequestDep,
    session: SessionDep,
    office: OfficeDep,
    settings: SettingsDep,
    contexts: ContextsDep,
    gate: GateDep,
    issuing: IssuingDep,
    now: NowDep,
    writer: WriterDep,
    response: Response,
) -> CredentialPublic | JSONResponse:
    """Validate, sign with the office key and store a credential; 201 once it is durable
    (202 with a held request when the type is under dual control, :mod:`issuer.approvals`)."""
    draft = dict(body.credential)
    if body.options.credentialId is not None and "id" not in draft:
        draft["id"] = body.options.credentialId
    # The draft is this request's own (parsed from its body), so it is completed in place.
    prepared, type_name = service.check_draft(
        session=session, office=office, operator=operator, draft=draft, owned=True
    )
    if settings.approvals_for(type_name) > 1:
        held = approvals.hold_issue(
            session=session,
            issuing=issuing,
            operator=operator,
            draft=draft,
            required_for=settings.approvals_for,
            now=now,
        )
        if held is not None:
            return held_response(session, held)
    signed = service.issue(
        session=session,
        office=office,
        operator=operator,
        draft=prepared,
        checked_type=type_name,
        writer=writer,
        suite_for=settings.suite_for,
        contexts=contexts,
        now=now,
        registry_base=settings.registry_base,
        gate=gate,
    )
    response.headers["Location"] = "/credentials/" + quote(signed["id"], safe=":")
    response.headers["Cache-Control"] = NO_STORE
    return CredentialPublic(verifiableCredential=signed, warnings=service.warnings_for(signed))


@router.get("/credentials/{credential_id}")
def get_credential(
    credential_id: str, operator: OperatorDep, session: SessionDep, response: Response
) -> CredentialPublic:
    """A credential this office issued, as it was handed out."""
    document = service.get(session=session, operator=operator, credential_id=credential_id)
    response.headers["Cache-Control"] = NO_STORE
    return CredentialPublic(verifiableCredential=document)


@router.get(
    "/credentials/{credential_id}/receipt",
    response_model=None,
    responses={202: {"description": "Not anchored yet: ask again after Retry-After seconds."}},
)
def get_receipt(
    credential_id: str, operator: OperatorDep, session: SessionDep
) -> Response | dict[str, Any]:
    """The credential's anchor receipt (``vc_core`` format) once its batch is in a block;
    ``202 {"state": "pending"}`` with ``Retry-After`` before; 404 only for an unknown id."""
    found = outbox.receipt(session=session, operator=operator, credential_id=credential_id)
    if found is None:
        return JSONResponse(
            {"state": "pending", "credentialId": credential_id},
            status_code=202,
            headers={"Retry-After": RECEIPT_RETRY_AFTER_S},
        )
    return found
