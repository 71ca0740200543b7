"""Anchor receipts and offline bundles (DESIGN §4 "Anchoring", §5 steps 3–6, STYLE §10).

Issuer, verifier and wallet share this one implementation: :func:`make_receipt` builds a
receipt from a block, :func:`verify_receipt` checks one against the chain's facts;
:func:`build_bundle` wraps a credential, its receipt, a checkpoint and the chain facts that
cover it into an :class:`OfflineBundle`, which :func:`verify_bundle` checks with no network
(its limits are spelled out in :mod:`vc_core.anchoring.bundle`).
"""

from vc_core.anchoring.bundle import (
    BUNDLE_FORMAT,
    BundleCode,
    BundleError,
    BundleFacts,
    OfflineBundle,
    ProvenTx,
    build_bundle,
    collect_facts,
    verify_bundle,
)
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
    "BUNDLE_FORMAT",
    "RECEIPT_FORMAT",
    "AnchorReceipt",
    "BundleCode",
    "BundleError",
    "BundleFacts",
    "ChainFacts",
    "OfflineBundle",
    "ProvenTx",
    "ReceiptCode",
    "ReceiptError",
    "TxProof",
    "build_bundle",
    "collect_facts",
    "credential_digest",
    "make_receipt",
    "verify_bundle",
    "verify_receipt",
]
