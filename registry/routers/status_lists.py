"""``GET /status-lists/{office}/{purpose}/{n}``: a signed Bitstring Status List credential."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from registry import status_lists
from registry.deps import NodeDep, NowDep

router = APIRouter(tags=["status lists"])


@router.get("/status-lists/{office}/{purpose}/{n}")
async def get_status_list(
    office: str,
    purpose: status_lists.Purpose,
    n: int,
    *,
    request: Request,
    node: NodeDep,
    now: NowDep,
) -> dict[str, Any]:
    """The office's list ``n`` for ``purpose`` as of now, signed by the registry node's key."""
    ledger = node.ledger
    return status_lists.status_list_credential(
        reader=ledger,
        office=status_lists.office_id(ledger.chain_id, office),
        purpose=purpose,
        n=n,
        list_url=str(request.url.replace(query="")),
        node_key=node.signer,
        now=now,
    )
