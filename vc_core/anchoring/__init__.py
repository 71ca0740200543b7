"""Anchor receipts and offline bundles (DESIGN §4 "Anchoring", §5 steps 3–6, STYLE §10).

Issuer, verifier and wallet share this one implementation: :func:`make_receipt` builds a
receipt from a block, :func:`verify_receipt` checks one against the chain's facts.
"""

from vc_core.anchoring.receipt import (
    RECEIPT_FORMAT,
    AnchorReceipt,
    ChainFacts,
    ReceiptCode,
    ReceiptError,
    TxProof,
    credential_digest,
    make_receipt,
    verify_receipt,
)

__all__ = [
    "RECEIPT_FORMAT",
    "AnchorReceipt",
    "ChainFacts",
    "ReceiptCode",
    "ReceiptError",
    "TxProof",
    "credential_digest",
    "make_receipt",
    "verify_receipt",
]
