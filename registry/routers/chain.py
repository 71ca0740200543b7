"""``GET /blocks`` and ``GET /checkpoint``: the chain itself, for replicas and verifiers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from registry import service
from registry.deps import LedgerDep, NowDep

router = APIRouter(tags=["chain"])


@router.get("/blocks")
def get_blocks(
    ledger: LedgerDep,
    start: Annotated[int, Query(alias="from", ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_BLOCKS_PER_PAGE)] = 100,
) -> Response:
    """Blocks from height ``from``, as the producer signed them, with the current head."""
    page = service.blocks_page(
        engine=ledger.engine, head_height=ledger.head().height, start=start, limit=limit
    )
    return Response(page, media_type="application/json")


@router.get("/accounts/{author}")
async def get_account(author: str, ledger: LedgerDep) -> dict[str, Any]:
    """The ``seq`` the author's next transaction must carry (pending ones counted)."""
    seq = await service.off_loop(ledger, lambda: ledger.next_seq(author))
    return {"author": author, "next_seq": seq}


@router.get("/checkpoint")
def get_checkpoint(ledger: LedgerDep, now: NowDep) -> dict[str, Any]:
    """The head (height, hash) signed by the producer at ``now``."""
    return ledger.checkpoint(now).to_dict()


@router.get("/council")
def get_council(ledger: LedgerDep) -> dict[str, Any]:
    """The council now (members, threshold, producer): what ``ecert council sign`` checks."""
    return ledger.council().model_dump(mode="json")
