"""``GET /anchors/{root}`` and ``GET /leaves/{digest}/receipt``."""

from __future__ import annotations

from fastapi import APIRouter

from registry import queries
from registry.deps import LedgerDep
from registry.schemas import AnchorPublic, LeafReceiptPublic

router = APIRouter(tags=["anchors"])


@router.get("/anchors/{root}")
def get_anchor(root: str, ledger: LedgerDep) -> AnchorPublic:
    """Who anchored a batch root, when, in which block (with the inclusion proof)."""
    return queries.anchor(ledger=ledger, root=root)


@router.get("/leaves/{digest}/receipt")
def get_leaf_receipt(digest: str, ledger: LedgerDep) -> LeafReceiptPublic:
    """A leaf's anchor receipt: index, path, batch root, block and transaction."""
    return queries.leaf_receipt(ledger=ledger, digest=digest)
