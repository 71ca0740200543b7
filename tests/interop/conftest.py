"""Fixtures of the interop tests: the session's Digital Bazaar peer, and ecert's side of a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.peer import Peer


@pytest.fixture(scope="session")
def peer(conformance_dir: Path) -> Iterator[Peer]:
    """One node process for the whole session (starting node and jsonld.js costs ~0.3 s)."""
    running = Peer(conformance_dir)
    yield running
    running.close()
