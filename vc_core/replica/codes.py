"""The stable codes of a replica's own refusals, typed once."""

from __future__ import annotations

from enum import StrEnum


class ReplicaCode(StrEnum):
    """Codes of a snapshot that cannot be read, or a stored block that no longer verifies."""

    INVALID_SNAPSHOT = "INVALID_SNAPSHOT"
    STORED_BLOCK_INVALID = "STORED_BLOCK_INVALID"
    REPLICA_UNREADABLE = "REPLICA_UNREADABLE"
