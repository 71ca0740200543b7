"""The Ledger contract suite's fixtures: one harness, parametrized over every backend.

To add a backend, add a factory ``(genesis_tx, producer_key, now, folder) -> Ledger`` to
``BACKENDS`` (the registry's embedded SQLite chain, an EcertLog contract on anvil). Every test
in this folder then runs against it too.

The ``replica`` backend writes to a memory chain and answers every read
(:class:`~vc_core.ledger.LedgerReader`) from a :class:`~vc_core.replica.Replica` that syncs each
block as it is produced, so every read test also checks a replica against the producer's rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Block,
    BlockPage,
    Checkpoint,
    Ledger,
    LedgerReader,
    LedgerRuleError,
    MemoryLedger,
    Scope,
    Transaction,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import TxBody
from vc_core.replica import Replica
from vc_core.transparency import MerkleTree

LedgerFactory = Callable[[Transaction, KeyPair, datetime], Ledger]
BackendFactory = Callable[[Transaction, KeyPair, datetime, Path], Ledger]
READER_METHODS = frozenset(
    name for name in dir(LedgerReader) if not name.startswith("_") and name != "chain_id"
)


def _memory(genesis: Transaction, producer: KeyPair, now: datetime, folder: Path) -> Ledger:
    return MemoryLedger.create(genesis, producer, now)


def _embedded(genesis: Transaction, producer: KeyPair, now: datetime, folder: Path) -> Ledger:
    from registry.testing import embedded_ledger

    return embedded_ledger(genesis, producer, now)


class LedgerSource:
    """A producer's chain served as a :class:`~vc_core.ledger.BlockSource`."""

    def __init__(self, ledger: Ledger, name: str = "in-process") -> None:
        self.ledger, self.name = ledger, name

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.ledger.head().time)


class ReplicatedLedger:
    """Writes go to ``writer``; reads are answered by a replica synced after every block."""

    def __init__(self, writer: Ledger, path: Path) -> None:
        self.writer, self.path = writer, path
        self.replica = Replica.open(path, genesis_hash=writer.block(0).hash)
        self._source = LedgerSource(writer)
        self.replica.sync([self._source], now=writer.head().time)

    def reopened(self) -> Replica:
        """Close the replica and open its file again (from the state it stored on close)."""
        self.replica.close()
        self.replica = Replica.open(self.path, genesis_hash=self.writer.block(0).hash)
        return self.replica

    def produce_block(self, now: datetime) -> Block | None:
        block = self.writer.produce_block(now)
        if block is not None:
            self.replica.sync([self._source], now=now)
        return block

    @property
    def chain_id(self) -> str:
        return self.replica.chain_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.replica if name in READER_METHODS else self.writer, name)


def replicated(writer: Ledger, folder: Path) -> Ledger:
    """``writer`` with every read answered by a replica of it in ``folder``."""
    ledger: Ledger = ReplicatedLedger(writer, folder / "replica.sqlite")  # type: ignore[assignment]
    return ledger


def _replica(genesis: Transaction, producer: KeyPair, now: datetime, folder: Path) -> Ledger:
    return replicated(MemoryLedger.create(genesis, producer, now), folder)


def _evm(genesis: Transaction, producer: KeyPair, now: datetime, folder: Path) -> Ledger:
    """An EcertLog contract on the session's anvil (reset first), mined only on commit."""
    from registry.evm import EvmLedger
    from tests.evm.anvil import account, shared_anvil

    node = shared_anvil().fresh(automine=False)
    ledger: Ledger = EvmLedger.deploy(  # type: ignore[assignment]
        node.chain(), account(0), genesis, confirmations=0, producer_key=producer, dev_time=now
    )
    return ledger


BACKENDS: dict[str, BackendFactory] = {
    "memory": _memory,
    "embedded": _embedded,
    "replica": _replica,
    "evm": _evm,
}

CHAIN = "test-chain"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DRIVING = "DrivingLicenceCredential"


def key(n: int) -> KeyPair:
    """A fixed key per number, so failures reproduce."""
    return KeyPair.from_seed(bytes([n]) * 32)


def digest(label: str) -> str:
    """A 32-byte leaf digest (hex) for a label."""
    return hashlib.sha256(label.encode()).hexdigest()


def batch_root(leaves: Sequence[str]) -> str:
    return MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()


class Harness:
    """A chain with a council of 3 (threshold 2), a producer, and a clock that only moves on.

    Tests reach every helper through this object (no imports from test modules).
    """

    chain_id = CHAIN
    t0 = T0
    credential_type = DRIVING
    key = staticmethod(key)
    digest = staticmethod(digest)
    batch_root = staticmethod(batch_root)

    @staticmethod
    @contextmanager
    def rejects(code: str) -> Iterator[pytest.ExceptionInfo[LedgerRuleError]]:
        """``with chain.rejects(RuleCode.X):`` — a LedgerRuleError with exactly this code."""
        with pytest.raises(LedgerRuleError) as info:
            yield info
        assert info.value.code == code, info.value.diagnostics()

    def __init__(self, factory: LedgerFactory) -> None:
        self.council_keys = [key(1), key(2), key(3)]
        self.producer = key(9)
        self.now = T0
        genesis = genesis_tx(
            CHAIN,
            self.council_keys[:2],
            2,
            self.producer.public,
            T0,
            members=[k.public_multibase for k in self.council_keys],
        )
        self.ledger = factory(genesis, self.producer, T0)

    def tick(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def council(
        self,
        tx_type: str,
        body: TxBody,
        *,
        signers: Sequence[KeyPair] | None = None,
        proposer: KeyPair | None = None,
        time: datetime | None = None,
    ) -> Transaction:
        """A council transaction by ``proposer`` (member 1), signed by it and ``signers``."""
        proposer = proposer or self.council_keys[0]
        signers = self.council_keys[1:2] if signers is None else signers
        seq = self.ledger.next_seq(proposer.public_multibase)
        return council_tx(
            CHAIN, tx_type, body, proposer=proposer, seq=seq, time=time or self.now, signers=signers
        )

    def office(
        self,
        office: str,
        tx_type: str,
        body: TxBody,
        signer: KeyPair,
        *,
        time: datetime | None = None,
        seq: int | None = None,
    ) -> Transaction:
        seq = self.ledger.next_seq(office) if seq is None else seq
        return office_tx(
            CHAIN, tx_type, body, office=office, seq=seq, time=time or self.now, key=signer
        )

    def submit(self, tx: Transaction) -> str:
        return self.ledger.submit(tx, self.now)

    def commit(self) -> Block | None:
        self.tick()
        return self.ledger.produce_block(self.now)

    def accredit_body(
        self,
        name: str,
        initial: KeyPair | None,
        *,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        prefixes: tuple[str, ...] = ("5101",),
    ) -> AccreditBody:
        return AccreditBody(
            office=office_did(CHAIN, name),
            name=f"Office {name}",
            uscc="91350100M000100Y43",
            scopes=(Scope(credential_type=DRIVING, division_prefixes=prefixes),),
            valid_from=valid_from or self.now - timedelta(days=1),
            valid_until=valid_until,
            initial_key=initial.public_multibase if initial else None,
        )

    def accredit(
        self,
        name: str,
        initial: KeyPair,
        *,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> str:
        """Accredit an office (2 of 3 council signatures) and commit; returns its DID."""
        body = self.accredit_body(name, initial, valid_from=valid_from, valid_until=valid_until)
        self.submit(self.council("issuer.accredit", body))
        self.commit()
        return body.office

    def anchor_tx(
        self,
        office: str,
        signer: KeyPair,
        leaves: Sequence[str],
        *,
        batch_id: str | None = None,
        publish: bool = True,
        root: str | None = None,
        time: datetime | None = None,
    ) -> Transaction:
        body = AnchorBody(
            batch_id=batch_id or f"batch-{leaves[0][:12]}",
            batch_root=root or batch_root(leaves),
            leaf_count=len(leaves),
            leaves=tuple(leaves) if publish else None,
        )
        return self.office(office, "anchor", body, signer, time=time)


@pytest.fixture(params=sorted(BACKENDS))
def ledger_factory(request: pytest.FixtureRequest, tmp_path: Path) -> LedgerFactory:
    """Each backend's factory in turn (with a folder of its own)."""
    backend = BACKENDS[request.param]

    def make(genesis: Transaction, producer: KeyPair, now: datetime) -> Ledger:
        return backend(genesis, producer, now, tmp_path)

    return make


@pytest.fixture
def chain(ledger_factory: LedgerFactory) -> Harness:
    """A fresh chain on the backend under test."""
    return Harness(ledger_factory)


@pytest.fixture
def office_key() -> KeyPair:
    return key(20)


@pytest.fixture
def office(chain: Harness, office_key: KeyPair) -> str:
    """An office accredited for driving licences in 5101…, with ``office_key``."""
    return chain.accredit("traffic-police", office_key)


@pytest.fixture
def every_backend(tmp_path: Path) -> dict[str, Harness]:
    """The same fresh chain (same keys, genesis and clock) on every backend, by name."""
    chains = {}
    for name, backend in BACKENDS.items():
        folder = tmp_path / name
        folder.mkdir()

        def make(
            genesis: Transaction,
            producer: KeyPair,
            now: datetime,
            backend: BackendFactory = backend,
            folder: Path = folder,
        ) -> Ledger:
            return backend(genesis, producer, now, folder)

        chains[name] = Harness(make)
    return chains
