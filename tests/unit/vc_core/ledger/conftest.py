"""Fixtures for the ledger unit tests: fixed keys, a fixed clock, small builders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    LedgerState,
    Scope,
    Transaction,
    apply,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class World:
    """A two-member council (threshold 2), a producer and one accredited office, as a state."""

    chain_id = "unit"
    t0 = T0

    def __init__(self) -> None:
        self.a, self.b = KeyPair.from_seed(b"\x01" * 32), KeyPair.from_seed(b"\x02" * 32)
        self.producer = KeyPair.from_seed(b"\x09" * 32)
        self.office_key = KeyPair.from_seed(b"\x14" * 32)
        self.office = office_did(self.chain_id, "tp")
        self.genesis = genesis_tx(self.chain_id, [self.a, self.b], 2, self.producer.public, T0)
        self.state = apply(LedgerState.empty(self.chain_id), self.genesis, T0)
        self.accredit = council_tx(
            self.chain_id, "issuer.accredit", self.accredit_body(), proposer=self.a, seq=2,
            time=T0, signers=[self.b],
        )  # fmt: skip
        self.state = apply(self.state, self.accredit, T0)

    def accredit_body(self) -> AccreditBody:
        return AccreditBody(
            office=self.office, name="Traffic police", uscc="91350100M000100Y43",
            scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
            valid_from=T0, initial_key=self.office_key.public_multibase,
        )  # fmt: skip

    def anchor(self, seq: int, root: str, *, key: KeyPair | None = None) -> Transaction:
        body = AnchorBody(batch_id=f"b{seq}", batch_root=root, leaf_count=1)
        return office_tx(self.chain_id, "anchor", body, office=self.office, seq=seq, time=T0,
                         key=key or self.office_key)  # fmt: skip


@pytest.fixture(scope="session")
def world() -> World:
    """Immutable once built, so one per session (hypothesis tests share it safely)."""
    return World()
