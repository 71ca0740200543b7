"""``POST /transactions`` and ``GET /transactions/{hash}``."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from registry import service
from registry.deps import (
    HEX64_PATTERN,
    JSON_MEDIA_TYPE,
    LedgerDep,
    NodeDep,
    NowDep,
    require_json,
)
from registry.schemas import TxStatusPublic

router = APIRouter(tags=["transactions"])
_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d+(?:\.\d+)?)")


def wait_seconds(prefer: str | None, limit: float) -> float:
    """``Prefer: wait=N`` (RFC 7240 §4.3), capped at ``limit``; 0 without the header."""
    found = _WAIT.search(prefer or "")
    return min(float(found.group(1)), limit) if found else 0.0


# The route reads the raw body (the parse is the core's, bounded); this declares what it takes.
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON_MEDIA_TYPE: {
                "schema": {
                    "description": "One signed transaction (an object) or a batch (an array).",
                    "type": ["object", "array"],
                }
            }
        },
    }
}


@router.post("/transactions", status_code=202, response_model=TxStatusPublic, openapi_extra=_BODY)
async def submit_transaction(request: Request, node: NodeDep, now: NowDep) -> JSONResponse:
    """Validate and queue a signed transaction: 202 while pending, 200 once included.

    With ``Prefer: wait=N`` the answer waits up to N seconds for the block's commit. A JSON
    array of transactions is a batch, accepted whole or not at all (always 202). (The hot path
    takes two dependencies only: each one costs a measurable share of a request.) The body must
    be ``application/json`` (415 otherwise) and I-JSON (:mod:`vc_core.jsonio`).

    Only ``included`` is durable: a pending transaction is lost if the node crashes, so a client
    resubmits the same transaction until it is included (docs/adr/0001-pending-durability.md).
    """
    require_json(request.headers.get("content-type"))
    body = await request.body()
    if body.lstrip()[:1] == b"[":
        batch = await service.submit_batch(node=node, body=body, now=now)
        return JSONResponse(batch.model_dump(mode="json", exclude_none=True), status_code=202)
    wait_s = wait_seconds(request.headers.get("prefer"), node.max_wait_s)
    status = await service.submit_transaction(node=node, body=body, now=now, wait_s=wait_s)
    code = 202 if status.state == "pending" else 200
    return JSONResponse(status.model_dump(mode="json", exclude_none=True), status_code=code)


@router.get("/transactions/{hash}", response_model_exclude_none=True)
def get_transaction(
    tx_hash: Annotated[
        str, Path(alias="hash", pattern=HEX64_PATTERN, description="The transaction's hash.")
    ],
    ledger: LedgerDep,
) -> TxStatusPublic:
    """State (pending, included, rejected), block and inclusion proof of a transaction."""
    return service.transaction_status(ledger=ledger, engine=ledger.engine, tx_hash=tx_hash)
