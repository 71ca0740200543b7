"""The replica behind the service: a registry that cannot be reached is logged and retried,
never fatal, and verification goes on answering from the replica it holds; an empty replica is
"could not check"; a replica of another chain is refused before the server starts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecert.cli import run
from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
from verifier.app import create_app
from verifier.config import Settings
from verifier.testing import free_port


def test_an_unreachable_registry_leaves_the_verifier_answering(
    world: World, make_client: MakeClient
) -> None:
    deed = world.issued()
    client = make_client(
        registry_urls=[f"http://127.0.0.1:{free_port()}"], sync_interval_s=0.05, sync_timeout_s=1
    )
    last = None
    for _ in range(200):  # Until the first round has ended (a bound, not a timing assertion).
        last = client.get("/health").json()["lastSync"]
        if last is not None:
            break
        time.sleep(0.05)
    assert last is not None and last["ok"] is False
    assert last["code"] == "REGISTRY_UNAVAILABLE"
    answer = client.post("/credentials/verify", json={"verifiableCredential": deed})
    assert answer.status_code == 200, answer.text


def test_an_empty_replica_could_not_check(world: World, tmp_path: Path) -> None:
    """Before its first sync the verifier knows no chain: 503, never "invalid"."""
    deed = world.issued()
    settings = Settings(genesis_hash=world.genesis_hash, data_dir=tmp_path / "empty")
    with TestClient(create_app(settings, clock=lambda: world.now)) as client:
        answer = client.post("/credentials/verify", json={"verifiableCredential": deed})
    assert answer.status_code == 503, answer.text
    assert answer.json()["report"]["verdict"] == "could_not_check"


def test_a_replica_of_another_chain_is_refused_before_serving(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The world's replica file verifies from its own genesis only."""
    assert world.replica is not None
    other = "cd" * 32
    replica_file = tmp_path / "replica.sqlite"
    code = run(["verifier", "serve", "--genesis", other, "--replica", str(replica_file)])
    assert code == 2
    err = capsys.readouterr().err
    assert "REPLICA_NOT_OF_THIS_CHAIN" in err and "Traceback" not in err
