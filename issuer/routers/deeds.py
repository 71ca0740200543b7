"""``POST /deeds/{id}/transfer`` and a deed's encumbrances (:mod:`issuer.deeds`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from issuer import approvals, deeds, status
from issuer.deps import (
    ContextsDep,
    GateDep,
    IssuerDep,
    IssuingDep,
    NowDep,
    OfficeDep,
    SessionDep,
    SettingsDep,
    StatusOperatorDep,
    body_as,
)
from issuer.routers.credentials import NO_STORE
from issuer.routers.requests import held_response
from issuer.routers.status import wait_final

router = APIRouter(tags=["deeds"])
TransferDep = Annotated[deeds.TransferRequest, Depends(body_as(deeds.TransferRequest))]
EncumbranceDep = Annotated[deeds.EncumbranceRequest, Depends(body_as(deeds.EncumbranceRequest))]
ReleaseDep = Annotated[deeds.ReleaseRequest, Depends(body_as(deeds.ReleaseRequest))]


@router.post("/deeds/{deed_id}/transfer", status_code=201, response_model=None)
def transfer_deed(
    *,
    deed_id: str,
    operator: IssuerDep,
    body: TransferDep,
    session: SessionDep,
    office: OfficeDep,
    settings: SettingsDep,
    contexts: ContextsDep,
    gate: GateDep,
    issuing: IssuingDep,
    now: NowDep,
    response: Response,
) -> dict[str, Any] | JSONResponse:
    """Issue the new owners' deed and supersede the old one (one commit); ``202`` with a held
    request when dual control applies."""
    held = approvals.hold_transfer(
        session=session,
        issuing=issuing,
        operator=operator,
        deed_id=deed_id,
        request=body,
        required_for=settings.approvals_for,
        now=now,
    )
    if held is not None:
        return held_response(session, held)
    signed, supersede = deeds.transfer(
        session=session,
        office=office,
        operator=operator,
        deed_id=deed_id,
        request=body,
        suite_for=settings.suite_for,
        contexts=contexts,
        now=now,
        registry_base=settings.registry_base,
        gate=gate,
    )
    response.headers["Location"] = "/credentials/" + quote(signed["id"], safe=":")
    response.headers["Cache-Control"] = NO_STORE
    return {"verifiableCredential": signed, "supersedes": deed_id, "statusRequest": supersede.id}


def _answer(
    request: Request,
    *,
    session: Session,
    operator: Any,
    row_id: str,
    wait_s: float,
    extra: dict[str, Any],
) -> JSONResponse:
    """200 once the registry included the event, 202 (``Location`` to poll) if not yet."""
    session.close()
    engine = request.app.state.engine
    state = wait_final(engine, row_id, wait_s)
    with Session(engine) as fresh:
        view = status.view(session=fresh, operator=operator, request_id=row_id)
    code = 200 if state == status.INCLUDED else 202
    headers = {"Location": "/credentials/status/" + quote(row_id, safe=":")}
    return JSONResponse({**extra, **view}, status_code=code, headers=headers)


@router.post("/deeds/{deed_id}/encumbrances", status_code=200, response_model=None)
def add_encumbrance(
    *,
    deed_id: str,
    operator: StatusOperatorDep,
    body: EncumbranceDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    request: Request,
) -> JSONResponse:
    """Register a mortgage or seizure on the deed (an ``encumbrance.add`` status event);
    ``202`` with a held request when dual control applies."""
    encumbrance_id, held = approvals.hold_encumbrance(
        session=session,
        operator=operator,
        deed_id=deed_id,
        request=body,
        required_for=settings.approvals_for,
        now=now,
    )
    extra = {"encumbranceId": encumbrance_id}
    if held is not None:
        return held_response(session, held, extra=extra)
    encumbrance_id, row = deeds.add_encumbrance(
        session=session,
        operator=operator,
        deed_id=deed_id,
        request=body,
        now=now,
        encumbrance_id=encumbrance_id,
    )
    return _answer(
        request,
        session=session,
        operator=operator,
        row_id=row.id,
        wait_s=settings.status_wait_s,
        extra=extra,
    )


@router.post(
    "/deeds/{deed_id}/encumbrances/{encumbrance_id}/release", status_code=200, response_model=None
)
def release_encumbrance(
    *,
    deed_id: str,
    encumbrance_id: str,
    operator: StatusOperatorDep,
    body: ReleaseDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    request: Request,
) -> JSONResponse:
    """Release an encumbrance registered earlier (an ``encumbrance.release`` status event);
    ``202`` with a held request when dual control applies."""
    extra = {"encumbranceId": encumbrance_id}
    held = approvals.hold_release(
        session=session,
        operator=operator,
        deed_id=deed_id,
        encumbrance_id=encumbrance_id,
        request=body,
        required_for=settings.approvals_for,
        now=now,
    )
    if held is not None:
        return held_response(session, held, extra=extra)
    row = deeds.release_encumbrance(
        session=session,
        operator=operator,
        deed_id=deed_id,
        encumbrance_id=encumbrance_id,
        request=body,
        now=now,
    )
    return _answer(
        request,
        session=session,
        operator=operator,
        row_id=row.id,
        wait_s=settings.status_wait_s,
        extra=extra,
    )
