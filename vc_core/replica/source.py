"""Where a replica gets blocks: implementations of :class:`vc_core.ledger.BlockSource`.

:class:`HttpSource` reads a registry node's ``GET /blocks`` and ``GET /checkpoint`` through
:class:`~vc_core.registry_client.RegistryClient`. Every transport failure — refused connection,
timeout, an HTTP error status, a body that is not JSON — is a
:class:`~vc_core.errors.RegistryError`: the answer is "could not check", never "invalid".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, RegistryError, VCError
from vc_core.jsonio import parse_json
from vc_core.ledger import Block, BlockPage, BlockSource, Checkpoint
from vc_core.ledger.errors import LedgerFormCode
from vc_core.registry_client import RegistryClient, answered_status
from vc_core.replica.codes import ReplicaCode

__all__ = ["SNAPSHOT_FORMAT", "BlockPage", "BlockSource", "HttpSource", "SnapshotSource"]


class HttpSource:
    """A registry node's HTTP API (``GET /blocks``, ``GET /checkpoint``), through the one
    :class:`~vc_core.registry_client.RegistryClient`.

    A node that answers with an error status cannot serve this replica: whatever the status,
    that is :class:`~vc_core.errors.RegistryError` ("could not check"), so the replica moves on
    to its next source. Blocks and checkpoints that do not parse stay
    :class:`~vc_core.errors.MalformedError`: they are hostile data, not an outage.
    """

    def __init__(
        self, url: str, *, timeout_s: float = 30.0, client: RegistryClient | None = None
    ) -> None:
        self._client = client or RegistryClient(url, timeout_s=timeout_s)
        self.name = self._client.url

    def close(self) -> None:
        self._client.close()

    def blocks(self, start: int, limit: int) -> BlockPage:
        with _as_outage():
            return self._client.blocks(start, limit)

    def checkpoint(self) -> Checkpoint:
        with _as_outage():
            return self._client.checkpoint()


@contextmanager
def _as_outage() -> Iterator[None]:
    """Turn the node's error answers (4xx problem reports) into "could not check"."""
    try:
        yield
    except VCError as exc:
        if isinstance(exc, RegistryError) or answered_status(exc) is None:
            raise
        raise RegistryError(exc.message, code=exc.code, details=exc.details) from exc


def _block(data: Any) -> Block:
    try:
        return Block.model_validate(data)
    except ValueError as exc:
        raise MalformedError(
            "a registry sent a malformed block", code=LedgerFormCode.MALFORMED_BLOCK
        ) from exc


SNAPSHOT_FORMAT = "ecert-registry-snapshot/1"
# One block per line; a block of many anchors with published leaves is large, a line past this
# is refused rather than parsed.
SNAPSHOT_LINE_MAX_BYTES = 256 * 1024 * 1024


class SnapshotSource:
    """A snapshot file written by ``ecert registry export``: a header line, then one block per
    line. For air-gapped verifiers; the replica verifies it like any other source."""

    def __init__(self, path: Path) -> None:
        self.name = f"snapshot {path}"
        lines = path.read_bytes().splitlines()
        if not lines:
            raise MalformedError("the snapshot is empty", code=ReplicaCode.INVALID_SNAPSHOT)
        try:
            header = parse_json(lines[0])
        except MalformedError as exc:
            raise MalformedError(
                f"the snapshot header is not I-JSON: {exc.message}",
                code=ReplicaCode.INVALID_SNAPSHOT,
            ) from exc
        if not isinstance(header, dict) or header.get("format") != SNAPSHOT_FORMAT:
            raise MalformedError(
                f"not an {SNAPSHOT_FORMAT} file", code=ReplicaCode.INVALID_SNAPSHOT
            )
        self.header: dict[str, Any] = header
        self._lines = lines[1:]

    def blocks(self, start: int, limit: int) -> BlockPage:
        chosen = self._lines[start : start + limit]
        try:
            parsed = [parse_json(line, max_bytes=SNAPSHOT_LINE_MAX_BYTES) for line in chosen]
        except MalformedError as exc:
            raise MalformedError(
                f"a snapshot line is not I-JSON: {exc.message}", code=ReplicaCode.INVALID_SNAPSHOT
            ) from exc
        return BlockPage(head=len(self._lines) - 1, blocks=[_block(b) for b in parsed])

    def checkpoint(self) -> Checkpoint:
        try:
            return Checkpoint.model_validate(self.header.get("checkpoint"))
        except ValueError as exc:
            raise MalformedError("the snapshot's checkpoint is malformed") from exc
