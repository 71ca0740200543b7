"""``POST /credentials/status`` and ``GET /credentials/status/{id}`` (VC-API style status
updates, published as office-signed ``status`` transactions on the registry)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer import approvals, status
from issuer.deps import NowDep, SessionDep, SettingsDep, StatusOperatorDep, StatusRequestDep
from issuer.routers.requests import held_response
from issuer.tables import StatusRequestRow
from vc_core.errors import VerificationError

router = APIRouter(tags=["status"])
POLL_S = 0.1


@router.post("/credentials/status", status_code=200, response_model=None)
def update_status(
    *,
    operator: StatusOperatorDep,
    body: StatusRequestDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    request: Request,
    response: Response,
) -> dict[str, Any] | JSONResponse:
    """Ask for a revocation, suspension or reinstatement; 200 once the registry included it,
    202 (with ``Location`` to poll) if it is not included within ``ISSUER_STATUS_WAIT_S``;
    202 with a held request when revoking a type under dual control (:mod:`issuer.approvals`)."""
    held = approvals.hold_status(
        session=session,
        operator=operator,
        request=body,
        required_for=settings.approvals_for,
        now=now,
    )
    if held is not None:
        return held_response(session, held)
    row = status.request_change(session=session, operator=operator, request=body, now=now)
    request_id = row.id
    # The request's session holds a read snapshot from before the worker's commit; the wait
    # reads with fresh sessions, and so does the answer.
    session.close()
    engine = request.app.state.engine
    state = wait_final(engine, request_id, settings.status_wait_s)
    with Session(engine) as fresh:
        view = status.view(session=fresh, operator=operator, request_id=request_id)
    if state == "rejected":
        raise VerificationError(
            f"the registry refused the status change ({view.get('error')})",
            code=str(view.get("error") or "STATUS_REJECTED"),
        )
    response.headers["Location"] = "/credentials/status/" + quote(request_id, safe=":")
    if state != status.INCLUDED:
        response.status_code = 202
    return view


@router.get("/credentials/status/{request_id}")
def get_status_request(
    request_id: str, operator: StatusOperatorDep, session: SessionDep
) -> dict[str, Any]:
    """A status request's state (``pending``, ``signed``, ``included``, ``rejected``)."""
    return status.view(session=session, operator=operator, request_id=request_id)


def wait_final(engine: Engine, request_id: str, wait_s: float) -> str:
    """Poll the request's state until it is final or ``wait_s`` passes (the worker moves it)."""
    deadline = time.monotonic() + wait_s
    while True:
        with Session(engine) as fresh:
            row = fresh.get(StatusRequestRow, request_id)
            state = row.state if row is not None else "missing"
        if state in {status.INCLUDED, "rejected"} or time.monotonic() >= deadline:
            return state
        time.sleep(POLL_S)
