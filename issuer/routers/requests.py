"""Dual control over HTTP: ``GET /requests``, ``GET /requests/{id}``, ``POST …/approve`` and
``POST …/reject`` (:mod:`issuer.approvals`); ``GET /audit`` for admins (:mod:`issuer.audit`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from issuer import approvals, audit
from issuer.deps import (
    AdminDep,
    ApproverDep,
    IssuingDep,
    NowDep,
    OperatorDep,
    RejecterDep,
    SessionDep,
    body_as,
)
from issuer.tables import ApprovalRequestRow

router = APIRouter(tags=["dual control"])


class RejectRequest(BaseModel):
    """``POST /requests/{id}/reject``: ``{reason?}`` (kept out of the audit log: free text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(default="", max_length=200)


def held_response(
    session: Session, row: ApprovalRequestRow, *, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """``202`` with the held request (and ``extra`` members) and ``Location: /requests/<id>``."""
    return JSONResponse(
        {**(extra or {}), **approvals.view(session, row)},
        status_code=202,
        headers={"Location": "/requests/" + quote(row.id, safe=":")},
    )


@router.get("/requests")
def list_requests(
    operator: OperatorDep,
    session: SessionDep,
    state: Annotated[str | None, Query(pattern="^(pending|executed|failed|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Held requests in the operator's scope, oldest first (``?state=pending`` to filter)."""
    found = approvals.pending_list(session=session, operator=operator, state=state, limit=limit)
    return {"requests": found}


@router.get("/requests/{request_id}")
def get_request(request_id: str, operator: OperatorDep, session: SessionDep) -> dict[str, Any]:
    """One held request, with what it would do."""
    return approvals.get(session=session, operator=operator, request_id=request_id)


@router.post("/requests/{request_id}/approve")
def approve_request(
    request_id: str,
    operator: ApproverDep,
    session: SessionDep,
    issuing: IssuingDep,
    now: NowDep,
) -> dict[str, Any]:
    """Approve (``approver`` role, not the requester); the last approval carries it out."""
    return approvals.approve(
        session=session, issuing=issuing, operator=operator, request_id=request_id, now=now
    )


@router.post("/requests/{request_id}/reject")
def reject_request(
    request_id: str,
    operator: RejecterDep,
    body: Annotated[RejectRequest, Depends(body_as(RejectRequest))],
    session: SessionDep,
    now: NowDep,
) -> dict[str, Any]:
    """Reject (``approver`` or ``admin``, not the requester): the request ends ``rejected``."""
    return approvals.reject(
        session=session, operator=operator, request_id=request_id, reason=body.reason, now=now
    )


@router.get("/audit")
def get_audit(
    operator: AdminDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """The audit log after entry ``after``, and whether its hash chain is intact."""
    return audit.page(session=session, operator=operator, after=after, limit=limit)
