"""A snapshot file is untrusted input: every line is parsed as bounded I-JSON.

``ecert registry import`` reads one through :class:`SnapshotSource`; a hostile line must be a
clear ``INVALID_SNAPSHOT`` (exit 2), never a crash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vc_core.errors import MalformedError
from vc_core.replica.source import SNAPSHOT_FORMAT, SnapshotSource

HEADER = b'{"format": "' + SNAPSHOT_FORMAT.encode() + b'"}'
HOSTILE = {
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "long-number": b'{"height": 1' + b"0" * 5000 + b"}",
    "surrogate": b'{"s": "\\ud800"}',
    "not-utf8": b'{"s": "\xff"}',
    "not-json": b"{height: 0}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_block_line_is_invalid_snapshot(tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.ecert-snapshot"
    path.write_bytes(HEADER + b"\n" + HOSTILE[name] + b"\n")
    source = SnapshotSource(path)
    with pytest.raises(MalformedError) as info:
        source.blocks(0, 10)
    assert info.value.code == "INVALID_SNAPSHOT"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_header_is_invalid_snapshot(tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.ecert-snapshot"
    path.write_bytes(HOSTILE[name] + b"\n")
    with pytest.raises(MalformedError) as info:
        SnapshotSource(path)
    assert info.value.code == "INVALID_SNAPSHOT"
