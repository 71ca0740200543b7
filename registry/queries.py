"""What the chain says, for the read-only routes: DIDs, issuers, anchors and leaf receipts.

What the chain says comes through the :class:`~vc_core.ledger.LedgerReader` protocol only (the
ledger's committed head); where a block sits comes from the stored blocks. ``now`` and
``version_time`` are parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry import store
from registry.ledger import EmbeddedLedger
from registry.schemas import AnchorPublic, IssuerPublic
from registry.service import check_hex64, locate
from vc_core.did_ecert import DidCode
from vc_core.errors import NotFoundError
from vc_core.ledger import LedgerReader
from vc_core.ledger import did_document as ledger_did_document
from vc_core.ledger.errors import LookupCode

OFFICE_DID_PREFIX = "did:ecert:"


def did_document(
    *, ledger: EmbeddedLedger, did: str, version_time: datetime | None
) -> dict[str, Any]:
    """The office's DID document derived from the chain (as of ``version_time`` if given).

    Raises:
        NotFoundError: not an office DID of this chain.
    """
    if not did.startswith(f"{OFFICE_DID_PREFIX}{ledger.chain_id}:"):
        raise NotFoundError(
            f"{did} is not a DID of chain {ledger.chain_id}", code=DidCode.DID_NOT_FOUND
        )
    return ledger_did_document(ledger, did, version_time)


def issuers(*, reader: LedgerReader, now: datetime) -> list[IssuerPublic]:
    """Every office ever accredited, with its accreditation as of ``now`` and its keys."""
    out = []
    for office in reader.offices():
        acc = reader.accreditation(office, now)
        if acc is None:
            continue
        terms = acc.terms
        out.append(
            IssuerPublic(
                did=office,
                name=terms.name,
                uscc=terms.uscc,
                state=acc.state,
                accredited_at=acc.accredited_at,
                valid_from=terms.valid_from,
                valid_until=terms.valid_until,
                scopes=[s.model_dump(mode="json") for s in terms.scopes],
                keys=list(reader.office_keys(office)),
            )
        )
    return out


def anchor(*, ledger: EmbeddedLedger, root: str) -> AnchorPublic:
    """The anchor of a batch root, its block and its transaction's inclusion proof.

    Raises:
        NotFoundError: no batch with this root is anchored.
    """
    record = ledger.batch(check_hex64(root, field="root"))
    if record is None:
        raise NotFoundError(f"no batch {root} is anchored", code=LookupCode.ANCHOR_NOT_FOUND)
    found = store.find_tx(ledger.engine, record.tx_hash)
    if found is None:
        raise NotFoundError(f"no transaction {record.tx_hash}", code=LookupCode.TX_NOT_FOUND)
    block, inclusion = locate(engine=ledger.engine, height=found.height, position=found.position)
    return AnchorPublic(anchor=record, block=block, inclusion=inclusion)
