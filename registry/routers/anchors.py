"""``GET /anchors/{root}`` (a leaf's receipt is ``GET /receipts/{leaf}``, in ``receipts.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from registry import queries
from registry.deps import HashPath, LedgerDep
from registry.schemas import AnchorPublic

router = APIRouter(tags=["anchors"])


@router.get("/anchors/{root}")
def get_anchor(root: HashPath, ledger: LedgerDep) -> AnchorPublic:
    """Who anchored a batch root, when, in which block (with the inclusion proof)."""
    return queries.anchor(ledger=ledger, root=root)
