"""Registry test fixtures: a fresh node folder, an app on it, and transaction builders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from registry.app import create_app
from registry.config import Settings
from registry.setup import init_registry, read_key
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Scope,
    Transaction,
    council_tx,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import TxBody
from vc_core.transparency import MerkleTree

CHAIN = "unit"
JSON = {"Content-Type": "application/json"}
DRIVING = "DrivingLicenceCredential"


def digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def root_of(leaves: Sequence[str]) -> str:
    return MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()


@dataclass
class Chain:
    """A node folder made by ``init_registry`` (3 council members, threshold 2)."""

    settings: Settings
    genesis_hash: str
    council: list[KeyPair]
    now: datetime
    seqs: dict[str, int] = field(default_factory=dict)

    chain_id = CHAIN
    wait: ClassVar[dict[str, str]] = {"Prefer": "wait=5"}
    digest = staticmethod(digest)

    def next_seq(self, author: str) -> int:
        self.seqs[author] = self.seqs.get(author, 0) + 1
        return self.seqs[author]

    def council_tx(self, tx_type: str, body: TxBody) -> Transaction:
        proposer = self.council[0]
        seq = self.next_seq(proposer.public_multibase)
        return council_tx(
            CHAIN,
            tx_type,
            body,
            proposer=proposer,
            seq=seq,
            time=self.now,
            signers=self.council[1:2],
        )

    def accredit_tx(self, name: str, key: KeyPair) -> Transaction:
        body = AccreditBody(
            office=office_did(CHAIN, name),
            name=f"Office {name}",
            uscc="91350100M000100Y43",
            scopes=(Scope(credential_type=DRIVING, division_prefixes=("5101",)),),
            valid_from=self.now - timedelta(days=1),
            initial_key=key.public_multibase,
        )
        return self.council_tx("issuer.accredit", body)

    def office_tx(
        self, office: str, tx_type: str, body: TxBody, key: KeyPair, *, seq: int | None = None
    ) -> Transaction:
        return office_tx(
            CHAIN,
            tx_type,
            body,
            office=office,
            seq=seq or self.next_seq(office),
            time=self.now,
            key=key,
        )

    def anchor_tx(
        self, office: str, key: KeyPair, leaves: Sequence[str], **kw: object
    ) -> Transaction:
        body = AnchorBody(
            batch_id=f"batch-{leaves[0][:12]}",
            batch_root=str(kw.get("root") or root_of(leaves)),
            leaf_count=len(leaves),
            leaves=tuple(leaves),
        )
        return self.office_tx(office, "anchor", body, key)


@pytest.fixture
def make_chain(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``make_chain(**settings)`` → a :class:`Chain` in a fresh folder."""

    def make(**extra: object) -> Chain:
        folder = tmp_path / f"node-{len(list(tmp_path.iterdir()))}"
        settings = Settings(data_dir=folder, **extra)  # type: ignore[arg-type]
        now = datetime.now(UTC).replace(microsecond=0)
        result = init_registry(
            settings=settings, chain_id=CHAIN, council_size=3, threshold=2, now=now
        )
        council = [read_key(p) for p in result.council_key_paths]
        return Chain(settings, result.genesis_hash, council, now, {council[0].public_multibase: 1})

    return make


@pytest.fixture
def chain(make_chain) -> Chain:  # type: ignore[no-untyped-def]
    return make_chain(block_interval_ms=20)  # type: ignore[no-any-return]


@pytest.fixture
def client(chain: Chain) -> Iterator[TestClient]:
    """A TestClient on a running node (lifespan started: the writer task runs)."""
    # Every body the tests send is JSON, as the write routes require (415 otherwise).
    with TestClient(create_app(chain.settings), headers=JSON) as c:
        yield c


@pytest.fixture
def office_key() -> KeyPair:
    return KeyPair.from_seed(bytes([20]) * 32)


WAIT = {"Prefer": "wait=5"}


@pytest.fixture
def office(chain: Chain, client: TestClient, office_key: KeyPair) -> str:
    """An accredited office (committed)."""
    tx = chain.accredit_tx("traffic-police", office_key)
    r = client.post("/transactions", content=tx.to_json(), headers=WAIT)
    assert r.status_code == 200, r.text
    return office_did(CHAIN, "traffic-police")
