"""A credential's anchor receipt for its holder's wallet, found by the credential's digest.

The operator's ``GET /credentials/{id}/receipt`` needs an operator token, which a wallet never
has. A wallet knows its credential, so it knows the credential's digest (the leaf its office
anchored, :func:`vc_core.anchoring.credential_digest`, 256 bits that only a holder of the exact
credential can compute): the digest is the capability. A receipt says nothing a verifier could
not read on the public registry (``GET /receipts/{leaf}``) — the leaf, its Merkle path, the
anchor transaction and the block header — so serving it to whoever knows the leaf discloses
nothing new.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import Session, select

from issuer.oid4vci.errors import OfferCode
from issuer.receipts import receipt_for
from issuer.tables import BatchRow, OutboxRow
from vc_core.errors import NotFoundError, ValidationFailedError

_LEAF = re.compile(r"[0-9a-f]{64}")


def holder_receipt(*, session: Session, leaf: str) -> dict[str, Any]:
    """The stored receipt of the credential whose digest is ``leaf``.

    Raises:
        ValidationFailedError: ``leaf`` is not 64 lower-case hex digits (422).
        NotFoundError: ``CREDENTIAL_NOT_FOUND``, or ``RECEIPT_PENDING`` before its batch is
            included in a block (404).
    """
    if not _LEAF.fullmatch(leaf):
        raise ValidationFailedError("the leaf is 64 lower-case hex digits", field="leaf")
    row = session.exec(select(OutboxRow).where(OutboxRow.leaf == leaf)).first()
    if row is None:
        raise NotFoundError("no credential with this digest", code="CREDENTIAL_NOT_FOUND")
    if row.receipt is not None:
        document: dict[str, Any] = json.loads(row.receipt)
        return document
    # Receipts are built on demand from the anchoring batch's stored block (issuer/receipts.py),
    # as the operator's GET /credentials/{id}/receipt does.
    batch = session.get(BatchRow, row.batch_id) if row.batch_id else None
    if batch is None or batch.block is None or batch.tx_position is None:
        raise NotFoundError(
            "the credential is not anchored yet; ask again shortly", code=OfferCode.RECEIPT_PENDING
        )
    built: dict[str, Any] = json.loads(
        receipt_for(batch.block, batch.tx_position, row.leaf).to_json()
    )
    return built
