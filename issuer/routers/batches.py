"""``POST /batches`` (CSV or JSON Lines rows of one credential type), ``GET /batches/{id}``
(progress) and ``GET /batches/{id}/items`` (each row's credential id or error)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response

from issuer import batches
from issuer.auth import ISSUE, authorize
from issuer.batch_input import media_type_of
from issuer.deps import IssuerDep, NowDep, OperatorDep, SessionDep, SettingsDep
from vc_core.errors import MalformedError, PayloadTooLargeError

router = APIRouter(tags=["batches"])
TYPE_HEADER = "Credential-Type"


def batch_type(
    operator: IssuerDep,
    request: Request,
    settings: SettingsDep,
    type_: Annotated[str | None, Query(alias="type", max_length=100)] = None,
) -> str:
    """The batch's type (``?type=`` or ``Credential-Type``): known (422), then in scope (403)."""
    credential_type = batches.check_type(type_ or request.headers.get(TYPE_HEADER))
    authorize(operator, roles=ISSUE, credential_type=credential_type)
    batches.check_single_control(credential_type, settings.approvals_for(credential_type))
    return credential_type


async def batch_body(
    request: Request, settings: SettingsDep, credential_type: Annotated[str, Depends(batch_type)]
) -> tuple[str, bytes]:
    """The rows' media type (415 unless CSV or JSON Lines) and bytes (413 over the limit)."""
    media = media_type_of(request.headers.get("content-type"))
    body = await request.body()
    if len(body) > settings.batch_max_body_bytes:
        raise PayloadTooLargeError(f"request body exceeds {settings.batch_max_body_bytes} bytes")
    return media, body


@router.post("/batches", status_code=202)
def submit_batch(
    *,
    operator: IssuerDep,
    credential_type: Annotated[str, Depends(batch_type)],
    body: Annotated[tuple[str, bytes], Depends(batch_body)],
    session: SessionDep,
    now: NowDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Store the batch and its rows, then issue them in the background; 202 with its progress
    (200 for a repeated ``Idempotency-Key`` with the same rows)."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= batches.MAX_IDEMPOTENCY_KEY:
        raise MalformedError(
            "Idempotency-Key must be 1–200 characters", code=batches.BatchCode.BAD_IDEMPOTENCY_KEY
        )
    media, data = body
    batch, created = batches.submit(
        session=session,
        operator=operator,
        credential_type=credential_type,
        media_type=media,
        body=data,
        idempotency_key=key,
        now=now,
    )
    runner = getattr(request.app.state, "batch_runner", None)
    if runner is not None:
        runner.wake.set()
    response.headers["Location"] = "/batches/" + quote(batch.id, safe=":")
    if not created:
        response.status_code = 200
    return batches.view(session=session, operator=operator, batch_id=batch.id)


@router.get("/batches/{batch_id}")
def get_batch(batch_id: str, operator: OperatorDep, session: SessionDep) -> dict[str, Any]:
    """Progress: total, issued, failed (each by line, JSON pointer and reason), anchored."""
    return batches.view(session=session, operator=operator, batch_id=batch_id)


@router.get("/batches/{batch_id}/items")
def get_batch_items(
    batch_id: str,
    operator: OperatorDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    """The rows after line ``after``: each one's state and credential id, or its error."""
    return batches.items(
        session=session, operator=operator, batch_id=batch_id, after=after, limit=limit
    )
