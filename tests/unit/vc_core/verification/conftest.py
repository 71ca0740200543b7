"""A real chain for verification tests: an office accredited by the council, office keys, deeds
issued and anchored, status events — every situation built through ledger transactions.

:class:`World` writes to a ledger and reads through the backend under test (``reader``): a
:class:`~vc_core.ledger.MemoryLedger`, the registry's embedded SQLite ledger, or a
:class:`~vc_core.replica.Replica` of the memory ledger that syncs every block as it is
produced. Keys come from fixed seeds and the clock only moves on, by one second per block
unless a test moves it further.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vc_core.anchoring import credential_digest
from vc_core.credential_types import example_credential
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Block,
    BlockPage,
    Checkpoint,
    IssuerSuspendBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    Ledger,
    LedgerReader,
    MemoryLedger,
    RevokeEvent,
    Scope,
    StatusBody,
    SupersedeEvent,
    SuspendEvent,
    Transaction,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import EncumbranceAddEvent, StatusEvent, TxBody
from vc_core.replica import Replica
from vc_core.transparency import MerkleTree
from vc_core.verification import FreshnessPolicy, VerificationReport, check_credential

CHAIN = "verify-test"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DEED = "PropertyDeedCredential"
COUNCIL = KeyPair.from_seed(b"\x41" * 32)
PRODUCER = KeyPair.from_seed(b"\x42" * 32)
K1 = KeyPair.from_seed(b"\x43" * 32)
K2 = KeyPair.from_seed(b"\x44" * 32)
OFFICE = office_did(CHAIN, "land-bureau")


class LedgerSource:
    """The writer's chain as a block source, for the replica."""

    name = "in-process"

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.ledger.head().time)


class World:
    """The land bureau's chain, with helpers that each submit real transactions and commit."""

    office = OFFICE
    chain_id = CHAIN
    t0 = T0
    k1, k2 = K1, K2

    def __init__(self, backend: str, folder: Path) -> None:
        self.now = T0
        self.council_seq = 1
        genesis = genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0)
        self.ledger: Ledger = MemoryLedger.create(genesis, PRODUCER, T0)
        if backend == "embedded":
            from registry.testing import embedded_ledger

            self.ledger = embedded_ledger(genesis, PRODUCER, T0)
        self.replica: Replica | None = None
        if backend == "replica":
            self.replica = Replica.open(folder / "replica.sqlite", genesis_hash=self.genesis_hash)
            self.replica.sync([LedgerSource(self.ledger)], now=T0)

    @property
    def genesis_hash(self) -> str:
        return self.ledger.block(0).hash

    @property
    def reader(self) -> LedgerReader:
        return self.replica if self.replica is not None else self.ledger

    def close(self) -> None:
        if self.replica is not None:
            self.replica.close()

    # Time and blocks -----------------------------------------------------------------------

    def tick(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def commit(self, *txs: Transaction) -> Block:
        for tx in txs:
            self.ledger.submit(tx, self.now)
        self.tick()
        block = self.ledger.produce_block(self.now)
        assert block is not None
        if self.replica is not None:
            self.replica.sync([LedgerSource(self.ledger)], now=self.now)
        return block

    def council(self, tx_type: str, body: TxBody) -> Block:
        self.council_seq += 1
        tx = council_tx(CHAIN, tx_type, body, proposer=COUNCIL, seq=self.council_seq, time=self.now)
        return self.commit(tx)

    def by_office(self, tx_type: str, body: TxBody, key: KeyPair) -> Block:
        seq = self.ledger.next_seq(OFFICE)
        tx = office_tx(CHAIN, tx_type, body, office=OFFICE, seq=seq, time=self.now, key=key)
        return self.commit(tx)

    # Governance ----------------------------------------------------------------------------

    def accredit(
        self,
        *,
        credential_type: str = DEED,
        prefixes: Sequence[str] = ("5101",),
        initial: KeyPair | None = K1,
    ) -> None:
        body = AccreditBody(
            office=OFFICE,
            name="Chengdu real-estate registration centre",
            uscc="91350100M000100Y43",
            scopes=(Scope(credential_type=credential_type, division_prefixes=tuple(prefixes)),),
            valid_from=self.now - timedelta(days=1),
            initial_key=initial.public_multibase if initial else None,
        )
        self.council("issuer.accredit", body)

    def suspend_office(self, reason: str = "audit") -> None:
        self.council("issuer.suspend", IssuerSuspendBody(office=OFFICE, reason=reason))

    def add_key(self, new: KeyPair, signer: KeyPair = K1) -> None:
        self.by_office("key.add", KeyAddBody(key=new.public_multibase), signer)

    def retire_key(self, old: KeyPair, signer: KeyPair) -> None:
        self.by_office("key.retire", KeyRetireBody(key=old.public_multibase), signer)

    def compromise(self, key: KeyPair, since: datetime) -> None:
        body = KeyCompromisedBody(office=OFFICE, key=key.public_multibase, since=since, reason="x")
        self.council("key.compromised", body)

    # Credentials ---------------------------------------------------------------------------

    def deed(
        self,
        key: KeyPair = K1,
        *,
        suite: str = "eddsa-rdfc-2022",
        number: int = 1,
        **changes: Any,
    ) -> dict[str, Any]:
        """A property deed signed now by ``key`` as the land bureau (not anchored)."""
        draft = example_credential(DEED)
        draft["id"] = f"urn:ecert:deed:{number}"
        draft.update(changes)
        vm = f"{OFFICE}#{key.public_multibase}"
        return issue_credential(draft, key, suite=suite, now=self.now, verification_method=vm)

    def anchor(self, *credentials: dict[str, Any], key: KeyPair = K1) -> Block:
        leaves = [credential_digest(c) for c in credentials]
        root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
        body = AnchorBody(
            batch_id=f"batch-{leaves[0][:12]}",
            batch_root=root,
            leaf_count=len(leaves),
            leaves=tuple(leaves),
        )
        return self.by_office("anchor", body, key)

    def status(self, credential: dict[str, Any], event: StatusEvent, key: KeyPair = K1) -> None:
        body = StatusBody(credential_id=credential["id"], event=event)
        self.by_office("status", body, key)

    def revoke(self, credential: dict[str, Any], reason: str = "court order") -> None:
        self.status(credential, RevokeEvent(reason=reason))

    def suspend(
        self, credential: dict[str, Any], start: datetime, until: datetime | None = None
    ) -> None:
        event = SuspendEvent.model_validate({"from": start, "until": until, "reason": "dispute"})
        self.status(credential, event)

    def supersede(self, credential: dict[str, Any], successor: str) -> None:
        self.status(credential, SupersedeEvent(by=successor, reason="transfer"))

    def encumber(self, credential: dict[str, Any], kind: str = "mortgage") -> None:
        event = EncumbranceAddEvent(encumbrance_id="enc-1", kind=kind, holder="a bank")
        self.status(credential, event)

    # Verification --------------------------------------------------------------------------

    def check(
        self,
        credential: dict[str, Any] | bytes,
        *,
        now: datetime | None = None,
        as_of: datetime | None = None,
        max_age: timedelta = timedelta(minutes=15),
        reader: LedgerReader | None = None,
    ) -> VerificationReport:
        return check_credential(
            credential,
            reader=reader or self.reader,
            now=now or self.now,
            as_of=as_of,
            policy=FreshnessPolicy(max_age=max_age),
        )

    def issued(self, **kwargs: Any) -> dict[str, Any]:
        """An accredited office's deed, signed with K1 and anchored."""
        self.accredit()
        credential = self.deed(**kwargs)
        self.anchor(credential)
        return credential


@pytest.fixture(params=["memory", "embedded", "replica"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A fresh chain, read through each backend in turn."""
    w = World(request.param, tmp_path)
    yield w
    w.close()


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[[str], World]]:
    """A factory of fresh chains by backend name, each in a folder of its own."""
    made: list[World] = []

    def make(backend: str) -> World:
        folder = tmp_path / f"{backend}-{len(made)}"
        folder.mkdir()
        made.append(World(backend, folder))
        return made[-1]

    yield make
    for w in made:
        w.close()


@pytest.fixture
def memory_world(tmp_path: Path) -> World:
    """A fresh chain read straight from the memory ledger (for tests about other readers)."""
    return World("memory", tmp_path)
