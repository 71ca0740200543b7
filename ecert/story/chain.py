"""The council and the registry chain: genesis, accreditation, and blocks (DESIGN §2, §3).

The chain is the embedded registry node's own backend, :class:`registry.ledger.EmbeddedLedger`,
over SQLite in a folder the caller owns, driven in-process through its public API: ``submit``
(the fold checks every rule), ``produce_block`` (one fsync'd SQLite transaction per block),
``block``, ``checkpoint``. Nothing here re-implements a ledger rule.

Keys come from :func:`demo_key`: Ed25519 seeds derived from public labels, so the story's
hashes are the same on every run. They protect nothing and must never leave the demo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from vc_core.did_ecert import office_did
from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    Block,
    Scope,
    Transaction,
    add_signature,
    genesis_tx,
    unsigned_tx,
)
from vc_core.ledger.did import verification_method_id

CHAIN_ID = "demo"


def demo_key(label: str) -> KeyPair:
    """A demo-only key whose seed is SHA-256 of a public label (deterministic, not secret)."""
    return KeyPair.from_seed(hashlib.sha256(f"ecert demo key: {label}".encode()).digest())


@dataclass(frozen=True)
class Council:
    """The governance council: N member keys, of which M must sign each decision."""

    members: tuple[KeyPair, ...]
    threshold: int

    @classmethod
    def of(cls, size: int, threshold: int) -> Council:
        return cls(tuple(demo_key(f"council member {i}") for i in range(1, size + 1)), threshold)


@dataclass(frozen=True)
class Registry:
    """The chain as its one producer node holds it, in-process."""

    ledger: EmbeddedLedger
    producer: KeyPair
    genesis: Block

    @property
    def genesis_hash(self) -> str:
        """What every verifier configures once and trusts (DESIGN §2)."""
        return self.genesis.hash

    def close(self) -> None:
        self.ledger.engine.dispose()


def create_registry(folder: Path, council: Council, now: datetime) -> Registry:
    """Block 0: the genesis transaction, naming the council, M and the producer, signed by all."""
    producer = demo_key("registry node")
    genesis = genesis_tx(CHAIN_ID, council.members, council.threshold, producer.public, now)
    engine = make_engine(folder / "registry.sqlite")
    ledger = EmbeddedLedger.create(engine, genesis, producer, now)
    return Registry(ledger=ledger, producer=producer, genesis=ledger.block(0))


def submit(registry: Registry, tx: Transaction, now: datetime) -> Transaction:
    """Hand ``tx`` to the node, whose fold checks every rule at once (it stays pending).

    Raises:
        LedgerRuleError: the rule ``tx`` breaks.
    """
    registry.ledger.submit(tx, now)
    return tx


def seal(registry: Registry, txs: Sequence[Transaction], now: datetime) -> Block:
    """Seal the pending ``txs`` in one block dated ``now`` (one fsync'd SQLite transaction).

    Raises:
        LedgerRuleError: a transaction no longer passes at the block time.
    """
    block = registry.ledger.produce_block(now)
    for tx in txs:
        rejected = registry.ledger.rejection(tx.hash)
        if rejected is not None:
            raise rejected
    if block is None:
        raise RegistryError("the registry node produced no block")
    return block


@dataclass(frozen=True)
class OfficeSpec:
    """An issuing office, the one credential type it issues and the region it covers."""

    name: str  # the office part of its DID
    title: str
    uscc: str
    credential_type: str
    prefix: str  # GB/T 2260 division-code prefix

    @property
    def did(self) -> str:
        return office_did(CHAIN_ID, self.name)


def propose_accreditations(
    registry: Registry,
    council: Council,
    offices: Sequence[tuple[OfficeSpec, KeyPair]],
    *,
    valid_from: datetime,
    proposed_at: datetime,
    expires: datetime,
) -> list[Transaction]:
    """``issuer.accredit`` for each office with its first key, proposed and signed by the first
    member with a deadline (``expires``), to be co-signed by others one at a time."""
    proposer = council.members[0]
    first_seq = registry.ledger.next_seq(proposer.public_multibase)
    proposals = []
    for n, (office, first_key) in enumerate(offices):
        body = AccreditBody(
            office=office.did,
            name=office.title,
            uscc=office.uscc,
            scopes=(
                Scope(credential_type=office.credential_type, division_prefixes=(office.prefix,)),
            ),
            valid_from=valid_from,
            initial_key=first_key.public_multibase,
        )
        unsigned = unsigned_tx(
            chain_id=CHAIN_ID,
            tx_type="issuer.accredit",
            author=proposer.public_multibase,
            seq=first_seq + n,
            time=proposed_at,
            body=body,
            expires=expires,
        )
        proposals.append(add_signature(unsigned, proposer))
    return proposals


def cosign(proposal: Transaction, member: KeyPair) -> Transaction:
    """One more council member's signature (members sign one at a time, for days if need be)."""
    return add_signature(proposal, member)


def method_of(office: OfficeSpec, key: KeyPair) -> str:
    """The key's verification method in the office's ``did:ecert`` document."""
    return verification_method_id(office.did, key.public_multibase)
