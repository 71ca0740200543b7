"""Verification makes no network call at all (DESIGN §5): with every socket connection and name
lookup refused, a verify request still answers from the replica alone."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.vc_core.verification.conftest import World
from vc_core.keys import KeyPair
from wallet_cli.present import build_presentation

HOLDER = KeyPair.from_seed(b"\x51" * 32)


def test_a_verify_request_does_no_network_io(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    deed = world.issued()
    revoked = world.deed(number=2)
    world.anchor(revoked)
    world.revoke(revoked)
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] if args else kwargs)
        raise OSError("network blocked by the test")

    challenge = client.post("/challenges").json()
    vp = build_presentation(
        [deed], HOLDER, challenge=challenge["challenge"], domain=challenge["domain"], now=world.now
    )
    # The test client talks to the app in memory, so these block every socket but its own.
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # A remote context named in the credential must not be fetched either: it is refused.
    remote = {**deed, "@context": [*deed["@context"], "https://example.org/remote/v1"]}
    answers = [
        client.post("/credentials/verify", json={"verifiableCredential": deed}),
        client.post("/credentials/verify", json={"verifiableCredential": revoked}),
        client.post("/credentials/verify", json={"verifiableCredential": remote}),
        client.post("/verify/batch", json={"verifiableCredentials": [deed, revoked]}),
        client.post("/presentations/verify", json={"verifiablePresentation": vp}),
    ]
    assert [a.status_code for a in answers] == [200, 422, 422, 200, 200]
    assert attempts == []
