"""A verifier's replica of a registry chain: pull, verify from genesis, answer as of a time.

Pure of FastAPI and SQLModel: the stdlib ``sqlite3`` keeps the verified blocks, and
:class:`~vc_core.registry_client.RegistryClient` pulls them. See :class:`Replica` for the sync
steps.
"""

from vc_core.replica.replica import ChainRewrittenError, Replica, SyncResult
from vc_core.replica.source import (
    SNAPSHOT_FORMAT,
    BlockPage,
    BlockSource,
    HttpSource,
    SnapshotSource,
)

__all__ = [
    "SNAPSHOT_FORMAT",
    "BlockPage",
    "BlockSource",
    "ChainRewrittenError",
    "HttpSource",
    "Replica",
    "SnapshotSource",
    "SyncResult",
]
