"""The stable codes that the registry's own commands and audits raise, typed once.

Codes of the ledger itself live in :mod:`vc_core.ledger.errors`; these are the registry's.
"""

from __future__ import annotations

from enum import StrEnum


class CliCode(StrEnum):
    """Codes of a registry command that lacks what it needs or was given bad input (exit 2)."""

    INVALID_INPUT = "INVALID_INPUT"
    NO_DATABASE = "NO_DATABASE"
    NO_REGISTRY = "NO_REGISTRY"
    NO_REPLICA = "NO_REPLICA"
    NO_TARGET = "NO_TARGET"


class AuditCode(StrEnum):
    """Codes of an audit whose pinned checkpoints or state disagree with the chain."""

    MALFORMED_CHECKPOINT = "MALFORMED_CHECKPOINT"
    BAD_AUDIT_STATE = "BAD_AUDIT_STATE"
    CHAIN_SHORTER_THAN_CHECKPOINT = "CHAIN_SHORTER_THAN_CHECKPOINT"
    CHECKPOINT_MISMATCH = "CHECKPOINT_MISMATCH"
