"""``GET /receipts/{leaf}``: a credential digest's anchor receipt (``vc_core.anchoring``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from registry import receipts
from registry.deps import DigestPath, LedgerDep
from vc_core.anchoring import AnchorReceipt

router = APIRouter(tags=["anchors"])


@router.get("/receipts/{leaf}", response_model=AnchorReceipt)
def get_receipt(leaf: DigestPath, ledger: LedgerDep) -> Response:
    """The anchor receipt of a published leaf, as its canonical (RFC 8785) JSON bytes.

    Verify it offline with ``vc_core.anchoring.verify_receipt``.
    """
    receipt = receipts.anchor_receipt(ledger=ledger, leaf=leaf)
    return Response(receipt.to_json().encode("utf-8"), media_type="application/json")
