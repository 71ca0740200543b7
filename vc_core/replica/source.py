"""Where a replica gets blocks: implementations of :class:`vc_core.ledger.BlockSource`.

:class:`HttpSource` reads a registry node's ``GET /blocks`` and ``GET /checkpoint``. Every
transport failure — refused connection, timeout, an HTTP error status, a body that is not JSON —
is a :class:`~vc_core.errors.RegistryError`: the answer is "could not check", never "invalid".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from vc_core.errors import MalformedError, RegistryError
from vc_core.ledger import Block, BlockPage, BlockSource, Checkpoint

__all__ = ["SNAPSHOT_FORMAT", "BlockPage", "BlockSource", "HttpSource", "SnapshotSource"]


class HttpSource:
    """A registry node's HTTP API (``GET /blocks``, ``GET /checkpoint``)."""

    def __init__(self, url: str, *, timeout_s: float = 30.0, client: httpx.Client | None = None):
        self.name = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            response = self._client.get(self.name + path, params=params)
        except httpx.HTTPError as exc:
            raise RegistryError(f"{self.name} could not be reached: {exc!r}") from exc
        if response.status_code != 200:
            raise RegistryError(f"{self.name}{path} answered HTTP {response.status_code}")
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{self.name}{path} did not answer JSON") from exc

    def blocks(self, start: int, limit: int) -> BlockPage:
        data = self._get("/blocks", {"from": start, "limit": limit})
        if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
            raise RegistryError(f"{self.name}/blocks answered an unexpected shape")
        head = data.get("head")
        if not isinstance(head, int):
            raise RegistryError(f"{self.name}/blocks did not name its head")
        return BlockPage(head=head, blocks=[_block(b) for b in data["blocks"]])

    def checkpoint(self) -> Checkpoint:
        data = self._get("/checkpoint")
        try:
            return Checkpoint.model_validate(data)
        except ValueError as exc:
            raise MalformedError(f"{self.name} sent a malformed checkpoint") from exc


def _block(data: Any) -> Block:
    try:
        return Block.model_validate(data)
    except ValueError as exc:
        raise MalformedError("a registry sent a malformed block", code="MALFORMED_BLOCK") from exc


SNAPSHOT_FORMAT = "ecert-registry-snapshot/1"


class SnapshotSource:
    """A snapshot file written by ``ecert registry export``: a header line, then one block per
    line. For air-gapped verifiers; the replica verifies it like any other source."""

    def __init__(self, path: Path) -> None:
        self.name = f"snapshot {path}"
        lines = path.read_bytes().splitlines()
        if not lines:
            raise MalformedError("the snapshot is empty", code="INVALID_SNAPSHOT")
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError(
                "the snapshot header is not JSON", code="INVALID_SNAPSHOT"
            ) from exc
        if not isinstance(header, dict) or header.get("format") != SNAPSHOT_FORMAT:
            raise MalformedError(f"not an {SNAPSHOT_FORMAT} file", code="INVALID_SNAPSHOT")
        self.header: dict[str, Any] = header
        self._lines = lines[1:]

    def blocks(self, start: int, limit: int) -> BlockPage:
        chosen = self._lines[start : start + limit]
        try:
            parsed = [json.loads(line) for line in chosen]
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError("a snapshot line is not JSON", code="INVALID_SNAPSHOT") from exc
        return BlockPage(head=len(self._lines) - 1, blocks=[_block(b) for b in parsed])

    def checkpoint(self) -> Checkpoint:
        try:
            return Checkpoint.model_validate(self.header.get("checkpoint"))
        except ValueError as exc:
            raise MalformedError("the snapshot's checkpoint is malformed") from exc
