"""Request and response models of the registry API (never table rows; see ``tables.py``).

Ledger records (:mod:`vc_core.ledger.records`) are frozen pydantic models already and appear in
responses as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from vc_core.ledger import AnchorRecord, KeyRecord
from vc_core.ledger.fields import UtcTime

TxState = Literal["pending", "included", "rejected"]


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class BlockRef(_Public):
    """Which block holds something, and the header a verifier can check it against."""

    height: int
    hash: str
    time: UtcTime
    tx_root: str


class TxInclusion(_Public):
    """A transaction's place in its block: RFC 6962 audit path of its hash to ``tx_root``."""

    index: int
    tree_size: int
    path: list[str]


class TxStatusPublic(_Public):
    """``GET /transactions/{hash}`` and the answer to ``POST /transactions``."""

    hash: str
    state: TxState
    block: BlockRef | None = None
    inclusion: TxInclusion | None = None
    problem: dict[str, Any] | None = None


class BatchPublic(_Public):
    """The answer to ``POST /transactions`` with a JSON array: every hash, all pending."""

    transactions: list[TxStatusPublic]


class AnchorPublic(_Public):
    """``GET /anchors/{root}``: the anchor record and where it sits on chain."""

    anchor: AnchorRecord
    block: BlockRef
    inclusion: TxInclusion


class IssuerPublic(_Public):
    """One office as the chain holds it now: its terms, accreditation state and keys."""

    did: str
    name: str
    uscc: str
    state: str
    accredited_at: UtcTime
    valid_from: UtcTime
    valid_until: UtcTime | None
    scopes: list[dict[str, Any]]
    keys: list[KeyRecord]


class IssuersPublic(_Public):
    issuers: list[IssuerPublic]
