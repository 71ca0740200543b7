"""Errors of the ledger: one rule broken by a transaction, or one block that breaks the chain.

Both are :class:`~vc_core.errors.VerificationError` subclasses (untrusted data failed a check),
so the HTTP edge maps them to 422 and the CLI to exit code 1. Every code below is stable: it
names the rule, and tests and clients match on it (DESIGN §3, §5). The codes of ledger data
that cannot be parsed (:class:`LedgerFormCode`) and of lookups that find nothing
(:class:`LookupCode`) are typed here too, so that the ledger and the services share one spelling.

Example:
    >>> e = LedgerRuleError("seq 3 was already used", code=RuleCode.REPLAYED_TRANSACTION)
    >>> e.diagnostics()
    'REPLAYED_TRANSACTION: seq 3 was already used'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from vc_core.errors import VerificationError


class RuleCode(StrEnum):
    """Stable codes of :class:`LedgerRuleError`, one per ledger rule."""

    # Envelope (every transaction).
    WRONG_CHAIN_ID = "WRONG_CHAIN_ID"
    UNKNOWN_TRANSACTION_TYPE = "UNKNOWN_TRANSACTION_TYPE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    MISSING_SIGNATURE = "MISSING_SIGNATURE"
    TIME_IN_FUTURE = "TIME_IN_FUTURE"
    TIME_TOO_OLD = "TIME_TOO_OLD"
    PROPOSAL_EXPIRED = "PROPOSAL_EXPIRED"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    REPLAYED_TRANSACTION = "REPLAYED_TRANSACTION"
    BAD_SEQUENCE = "BAD_SEQUENCE"
    # Genesis and council.
    GENESIS_REQUIRED = "GENESIS_REQUIRED"
    GENESIS_ALREADY_APPLIED = "GENESIS_ALREADY_APPLIED"
    NOT_A_COUNCIL_MEMBER = "NOT_A_COUNCIL_MEMBER"
    INSUFFICIENT_COUNCIL_SIGNATURES = "INSUFFICIENT_COUNCIL_SIGNATURES"
    INVALID_COUNCIL = "INVALID_COUNCIL"
    # Offices and their keys.
    AUTHOR_MISMATCH = "AUTHOR_MISMATCH"
    ISSUER_NOT_ACCREDITED = "ISSUER_NOT_ACCREDITED"
    ISSUER_SUSPENDED = "ISSUER_SUSPENDED"
    OUTSIDE_ACCREDITATION_WINDOW = "OUTSIDE_ACCREDITATION_WINDOW"
    INITIAL_KEY_REQUIRED = "INITIAL_KEY_REQUIRED"
    NOT_AN_OFFICE_KEY = "NOT_AN_OFFICE_KEY"
    KEY_NOT_ACTIVE = "KEY_NOT_ACTIVE"
    KEY_COMPROMISED = "KEY_COMPROMISED"
    KEY_IN_USE = "KEY_IN_USE"
    # Anchors.
    BATCH_ROOT_MISMATCH = "BATCH_ROOT_MISMATCH"
    LEAF_COUNT_MISMATCH = "LEAF_COUNT_MISMATCH"
    LEAF_ALREADY_ANCHORED = "LEAF_ALREADY_ANCHORED"
    BATCH_ALREADY_ANCHORED = "BATCH_ALREADY_ANCHORED"
    # Status events.
    CREDENTIAL_REVOKED = "CREDENTIAL_REVOKED"
    CREDENTIAL_SUPERSEDED = "CREDENTIAL_SUPERSEDED"
    NOT_SUSPENDED = "NOT_SUSPENDED"
    DUPLICATE_ENCUMBRANCE = "DUPLICATE_ENCUMBRANCE"
    UNKNOWN_ENCUMBRANCE = "UNKNOWN_ENCUMBRANCE"


class ChainCode(StrEnum):
    """Stable codes of :class:`ChainError`, for blocks and checkpoints."""

    BAD_HEIGHT = "BAD_HEIGHT"
    BAD_PREV_HASH = "BAD_PREV_HASH"
    BLOCK_TIME_REGRESSION = "BLOCK_TIME_REGRESSION"
    BLOCK_IN_FUTURE = "BLOCK_IN_FUTURE"
    TX_ROOT_MISMATCH = "TX_ROOT_MISMATCH"
    WRONG_PRODUCER = "WRONG_PRODUCER"
    BAD_BLOCK_SIGNATURE = "BAD_BLOCK_SIGNATURE"
    BAD_GENESIS = "BAD_GENESIS"
    GENESIS_MISMATCH = "GENESIS_MISMATCH"
    EMPTY_BLOCK = "EMPTY_BLOCK"
    BAD_CHECKPOINT = "BAD_CHECKPOINT"
    STORED_BLOCK_INVALID = "STORED_BLOCK_INVALID"


class LedgerFormCode(StrEnum):
    """Stable codes of ledger data that cannot be parsed: transactions, blocks, state files."""

    MALFORMED_TRANSACTION = "MALFORMED_TRANSACTION"
    MALFORMED_BLOCK = "MALFORMED_BLOCK"
    INVALID_STATE = "INVALID_STATE"


class LookupCode(StrEnum):
    """Stable codes of ledger queries that find nothing (each a ``NotFoundError``)."""

    NO_CHAIN = "NO_CHAIN"
    NO_COUNCIL = "NO_COUNCIL"
    BLOCK_NOT_FOUND = "BLOCK_NOT_FOUND"
    TX_NOT_FOUND = "TX_NOT_FOUND"
    ANCHOR_NOT_FOUND = "ANCHOR_NOT_FOUND"


class LedgerRuleError(VerificationError):
    """A transaction breaks a ledger rule (DESIGN §3); ``code`` is a :class:`RuleCode`."""

    default_code = "LEDGER_RULE_VIOLATED"

    def __init__(
        self,
        message: str,
        *,
        code: RuleCode | str,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=str(code), field=field, details=details)


class ChainError(VerificationError):
    """A block or checkpoint does not verify, or a transaction inside a block breaks a rule.

    ``height`` names the first bad block (``None`` for a checkpoint). When a transaction broke a
    rule, ``tx_index`` is its position in the block, ``code`` is the rule's code, and the
    :class:`LedgerRuleError` is chained as ``__cause__``.
    """

    default_code = "INVALID_BLOCK"

    def __init__(
        self,
        message: str,
        *,
        code: ChainCode | RuleCode | str,
        height: int | None = None,
        tx_index: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        extra: dict[str, Any] = dict(details or {})
        if height is not None:
            extra["height"] = height
        if tx_index is not None:
            extra["tx_index"] = tx_index
        prefix = "" if height is None else f"block {height}: "
        if tx_index is not None:
            prefix = f"block {height}, transaction {tx_index}: "
        super().__init__(prefix + message, code=str(code), details=extra)
        self.height = height
        self.tx_index = tx_index
