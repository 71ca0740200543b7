"""Anchor receipts for the ``GET /receipts/{leaf}`` route: the model of :mod:`vc_core.anchoring`.

The receipt is built by :func:`vc_core.anchoring.make_receipt` from the committed block that
holds the leaf's anchor, found through the ledger's public reads (``leaf_anchor``,
``inclusion``, ``block``); the wallet and the verifier check it with the same module.
"""

from __future__ import annotations

from registry.service import check_hex64
from vc_core.anchoring import AnchorReceipt, make_receipt
from vc_core.errors import NotFoundError
from vc_core.ledger import Ledger
from vc_core.ledger.errors import LookupCode


def anchor_receipt(*, ledger: Ledger, leaf: str) -> AnchorReceipt:
    """The receipt of a published leaf (a credential digest, hex).

    Raises:
        MalformedError: ``leaf`` is not 64 lower-case hex digits.
        NotFoundError: ``ANCHOR_NOT_FOUND`` — no anchored batch publishes this leaf.
    """
    found = ledger.leaf_anchor(check_hex64(leaf, field="leaf"))
    where = None if found is None else ledger.inclusion(found.batch.tx_hash)
    if found is None or where is None:
        raise NotFoundError(f"leaf {leaf} is not anchored", code=LookupCode.ANCHOR_NOT_FOUND)
    return make_receipt(ledger.block(where.height), where.position, leaf)
