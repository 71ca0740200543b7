"""The background sync: a registry that cannot be reached is logged and retried, never fatal,
and verification goes on answering from the replica it holds."""

from __future__ import annotations

import time

from tests.unit.vc_core.verification.conftest import World
from tests.unit.verifier.conftest import MakeClient
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
