"""``ecert registry export``: the whole chain as one file for an air-gapped verifier.

Line 1 is a header ``{"format", "chain_id", "genesis_hash", "checkpoint"}`` with a checkpoint
signed by the node key at export time; each next line is one block as the producer signed it
(the ``GET /blocks`` form). ``ecert registry import`` feeds it to a replica through
:class:`vc_core.replica.SnapshotSource`; the replica verifies every block from the trusted
genesis with the core's one replay (:func:`vc_core.ledger.replay_steps`), which the export's own
check (:func:`registry.audit.replay_stored`) uses too.

The snapshot is one format, ``ecert-snapshot`` JSON Lines; its conventional extension is
``.jsonl``. The export is written to a temporary file and renamed, so a failed export leaves no
file; an import refused into a replica file that did not exist before removes what it created
(the SQLite file, its journal and its key), so nothing is left behind either.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from registry import store
from registry.audit import replay_stored
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.ledger import make_checkpoint
from vc_core.ledger.errors import ChainCode
from vc_core.replica import SNAPSHOT_FORMAT, Replica, SnapshotSource, SyncResult
from vc_core.replica.reopen import key_path


def export_snapshot(
    *, engine: Engine, node_key: KeyPair, genesis_hash: str, out: Path, now: datetime
) -> int:
    """Write the verified chain to ``out``; returns the number of blocks written.

    Raises:
        ChainError: the stored chain does not verify (nothing is exported).
    """
    state, head = replay_stored(engine, genesis_hash=genesis_hash)
    header = {
        "format": SNAPSHOT_FORMAT,
        "chain_id": state.chain_id,
        "genesis_hash": genesis_hash,
        "checkpoint": make_checkpoint(state, node_key, now).to_dict(),
    }
    count = 0
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(header).encode() + b"\n")
            for stored in store.iter_stored(engine, 0, head.height + 1):
                f.write(stored.to_json_bytes() + b"\n")
                count += 1
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return count


def import_snapshot(
    *, snapshot: Path, replica_path: Path, genesis_hash: str, now: datetime
) -> SyncResult:
    """Verify a snapshot from ``genesis_hash`` into the replica file at ``replica_path``.

    Raises:
        MalformedError: not a snapshot, or one for another genesis.
        ChainError / ChainRewrittenError: a block does not verify or extend the replica.
    """
    source = SnapshotSource(snapshot)
    if source.header.get("genesis_hash") != genesis_hash:
        raise MalformedError(
            "the snapshot is for another genesis than the trusted one",
            code=ChainCode.GENESIS_MISMATCH,
        )
    created = [p for p in _replica_files(replica_path) if not p.exists()]
    try:
        replica = Replica.open(replica_path, genesis_hash=genesis_hash)
        try:
            return replica.sync([source], now=now)
        finally:
            replica.close()
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise


def _replica_files(replica_path: Path) -> list[Path]:
    """The files a new replica creates: its SQLite file, journals and state key."""
    suffixes = ("", "-wal", "-shm", "-journal")
    return [*(Path(f"{replica_path}{s}") for s in suffixes), key_path(replica_path)]
