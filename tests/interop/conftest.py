"""Fixtures of the interop tests: the session's Digital Bazaar peer, and ecert's side of a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.documents import EXAMPLES_V2
from tests.interop.peer import INTEROP_CONTEXT_FILE, INTEROP_CONTEXT_URL, Peer
from vc_core.canon import LocalContexts, default_contexts


@pytest.fixture(scope="session")
def peer(conformance_dir: Path) -> Iterator[Peer]:
    """One node process for the whole session (starting node and jsonld.js costs ~0.3 s)."""
    running = Peer(conformance_dir)
    yield running
    running.close()


@pytest.fixture(scope="session")
def interop_contexts(conformance_dir: Path) -> LocalContexts:
    """ecert's contexts plus examples/v2 and the test context: the set the peer also loads."""
    return default_contexts().with_files(
        {
            EXAMPLES_V2: conformance_dir / "contexts" / "credentials-examples-v2.jsonld",
            INTEROP_CONTEXT_URL: INTEROP_CONTEXT_FILE,
        }
    )
