"""Issuance checked against the office's own replica: a real chain in memory (``MemoryLedger``,
real signatures), a real :class:`~vc_core.replica.Replica` file synced from it, the real app.

Block 1 accredits the office for driving licences in divisions ``51…``; a second chain also
suspends it. A source that is down leaves the replica as it stands, and past the allowed age the
answer is 503 ``ACCREDITATION_UNCHECKED``, never a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.accreditation import AccreditationGate
from issuer.errors import ForbiddenError
from tests.unit.issuer.conftest import NOW, OFFICE_DID
from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    Block,
    BlockPage,
    Checkpoint,
    MemoryLedger,
    Scope,
    council_tx,
    genesis_tx,
    make_block,
)
from vc_core.ledger.bodies import IssuerSuspendBody
from vc_core.replica import Replica

CHAIN = "unit"
T0 = NOW - timedelta(days=30)
COUNCIL = KeyPair.from_seed(b"\x41" * 32)
PRODUCER = KeyPair.from_seed(b"\x42" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x43" * 32)
DRIVER = "DriverLicenceCredential"
GENESIS: Block = make_block(
    None, [genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0)], T0, PRODUCER
)
Draft = Callable[[str], dict[str, Any]]


class LedgerSource:
    """A chain in memory, served like a registry node (its checkpoint signed at ``at``)."""

    name = "memory"

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(NOW)


class DownSource:
    name = "down"

    def blocks(self, start: int, limit: int) -> BlockPage:
        raise RegistryError("connection refused")

    def checkpoint(self) -> Checkpoint:
        raise RegistryError("connection refused")


def _chain(*, suspended: bool = False) -> MemoryLedger:
    ledger = MemoryLedger(GENESIS, PRODUCER)
    body = AccreditBody(
        office=OFFICE_DID,
        name="Traffic police",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type=DRIVER, division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=OFFICE_KEY.public_multibase,
    )
    t1 = T0 + timedelta(minutes=1)
    ledger.submit(council_tx(CHAIN, "issuer.accredit", body, proposer=COUNCIL, seq=2, time=t1), t1)
    ledger.produce_block(t1)
    if suspended:
        t2 = T0 + timedelta(minutes=2)
        pause = IssuerSuspendBody(office=OFFICE_DID, reason="audit")
        tx = council_tx(CHAIN, "issuer.suspend", pause, proposer=COUNCIL, seq=3, time=t2)
        ledger.submit(tx, t2)
        ledger.produce_block(t2)
    return ledger


def _gate(
    tmp_path: Path, sources: list[Any], *, max_age: timedelta = timedelta(minutes=5)
) -> AccreditationGate:
    replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=GENESIS.hash)
    return AccreditationGate(
        replica, sources, office_did=OFFICE_DID, max_age=max_age, sync_every=timedelta(0)
    )


def _issue(client: TestClient, token: Any, credential: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token.token}"}
    return client.post("/credentials/issue", json={"credential": credential}, headers=headers)


def test_the_replica_decides_type_and_region(
    client: TestClient, make_operator: Any, draft: Draft, tmp_path: Path
) -> None:
    gate = _gate(tmp_path, [LedgerSource(_chain())])
    client.app.state.gate = gate  # type: ignore[attr-defined]
    token = make_operator()
    assert _issue(client, token, draft(DRIVER)).status_code == 201
    beijing = draft(DRIVER)
    beijing["credentialSubject"]["divisionCode"] = "110101"
    refused = _issue(client, token, beijing)
    assert refused.status_code == 403 and refused.json()["code"] == "REGION_NOT_ACCREDITED"
    deed = _issue(client, token, draft("PropertyDeedCredential"))
    assert deed.status_code == 403 and deed.json()["code"] == "TYPE_NOT_ACCREDITED"
    gate.close()


def test_a_suspended_office_may_not_issue(
    client: TestClient, make_operator: Any, draft: Draft, tmp_path: Path
) -> None:
    client.app.state.gate = _gate(tmp_path, [LedgerSource(_chain(suspended=True))])  # type: ignore[attr-defined]
    refused = _issue(client, make_operator(), draft(DRIVER))
    assert refused.status_code == 403 and refused.json()["code"] == "OFFICE_SUSPENDED"


def test_another_office_is_not_accredited(tmp_path: Path, draft: Draft) -> None:
    replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=GENESIS.hash)
    gate = AccreditationGate(
        replica,
        [LedgerSource(_chain())],
        office_did="did:ecert:unit:someone-else",
        max_age=timedelta(minutes=5),
        sync_every=timedelta(0),
    )
    credential = draft(DRIVER)
    with pytest.raises(ForbiddenError) as refused:
        gate.check(credential, now=NOW)
    assert refused.value.code == "OFFICE_NOT_ACCREDITED" and refused.value.http_status == 403


def test_never_issue_blind(
    client: TestClient, make_operator: Any, draft: Draft, tmp_path: Path
) -> None:
    token = make_operator()
    # Never synced: nothing to check against.
    client.app.state.gate = _gate(tmp_path / "a", [DownSource()])  # type: ignore[attr-defined]
    blind = _issue(client, token, draft(DRIVER))
    assert blind.status_code == 503 and blind.json()["code"] == "ACCREDITATION_UNCHECKED"
    # Synced once, then the registry goes away: fine while young enough, 503 once too old.
    sources: list[Any] = [LedgerSource(_chain())]
    gate = _gate(tmp_path / "b", sources, max_age=timedelta(minutes=5))
    client.app.state.gate = gate  # type: ignore[attr-defined]
    assert _issue(client, token, draft(DRIVER)).status_code == 201
    sources[0] = DownSource()
    gate.check(draft(DRIVER), now=NOW + timedelta(minutes=4))
    with pytest.raises(RegistryError) as stale:
        gate.check(draft(DRIVER), now=NOW + timedelta(minutes=6))
    assert stale.value.code == "ACCREDITATION_UNCHECKED" and stale.value.http_status == 503
