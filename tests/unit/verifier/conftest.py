"""The verifier app over a real replica of a real chain.

The chain is the verification tests' :class:`World` (accredit, issue, anchor, revoke through
ledger transactions); its replica, synced at every block, is handed to the app, whose clock is
the world's. No registry URL is configured, so the app never syncs by itself here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.vc_core.verification.conftest import World
from verifier.app import create_app
from verifier.config import Settings

MakeClient = Callable[..., TestClient]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World("replica", tmp_path)
    yield w
    w.close()


@pytest.fixture
def make_client(world: World, tmp_path: Path) -> Iterator[MakeClient]:
    """A factory of started clients; keyword arguments override the settings."""
    started: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(
            genesis_hash=world.genesis_hash,
            data_dir=tmp_path / f"verifier-{len(started)}",
            **overrides,
        )
        app = create_app(settings, replica=world.replica, clock=lambda: world.now)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        started.append(client)
        return client

    yield make
    for client in started:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
