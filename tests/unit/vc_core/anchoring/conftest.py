"""An in-memory chain with an anchored batch of credentials, for receipt and bundle tests.

Block 1 accredits the office; block 2 adds a second office key; block 3 anchors a batch of five
credentials together with a second office's accreditation (so the anchor's path to ``tx_root``
is not trivial); block 4 suspends credential 2. Keys come from fixed seeds; the clock is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc_core.anchoring import credential_digest
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    KeyAddBody,
    MemoryLedger,
    Scope,
    StatusBody,
    SuspendEvent,
    Transaction,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import TxBody
from vc_core.transparency import MerkleTree

CHAIN = "anc"
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
COUNCIL = KeyPair.from_seed(b"\x11" * 32)
PRODUCER = KeyPair.from_seed(b"\x12" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x13" * 32)
SECOND_KEY = KeyPair.from_seed(b"\x14" * 32)
OTHER_KEY = KeyPair.from_seed(b"\x15" * 32)
OFFICE = office_did(CHAIN, "tp")
DRIVING = "DrivingLicenceCredential"


def credential(i: int) -> dict[str, Any]:
    """A secured credential's JSON (its proof value is opaque here: only its digest matters)."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:ecert:anc:{i}",
        "type": ["VerifiableCredential", DRIVING],
        "issuer": OFFICE,
        "validFrom": "2025-06-01T08:00:00Z",
        "credentialSubject": {"id": f"did:key:z6Mk{i}", "licenceClass": "C1", "名": "张三"},
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "verificationMethod": f"{OFFICE}#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": f"z{i}abc",
        },
    }


def _accredit(name: str, key: KeyPair) -> AccreditBody:
    return AccreditBody(
        office=office_did(CHAIN, name),
        name=f"Office {name}",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type=DRIVING, division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=key.public_multibase,
    )


@dataclass
class AnchoredChain:
    ledger: MemoryLedger
    credentials: list[dict[str, Any]]
    anchor: Transaction
    council_seq: int = 1
    office_seq: int = 0

    @property
    def genesis(self) -> Any:
        return self.ledger.block(0)

    def council_tx(self, tx_type: str, body: TxBody, at: datetime) -> Transaction:
        self.council_seq += 1
        return council_tx(CHAIN, tx_type, body, proposer=COUNCIL, seq=self.council_seq, time=at)

    def office_tx(self, tx_type: str, body: TxBody, at: datetime, key: KeyPair) -> Transaction:
        self.office_seq += 1
        return office_tx(CHAIN, tx_type, body, office=OFFICE, seq=self.office_seq, time=at, key=key)

    def block(self, at: datetime, *txs: Transaction) -> None:
        for tx in txs:
            self.ledger.submit(tx, at)
        assert self.ledger.produce_block(at) is not None


def build_chain() -> AnchoredChain:
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    creds = [credential(i) for i in range(5)]
    chain = AnchoredChain(ledger=ledger, credentials=creds, anchor=None)  # type: ignore[arg-type]
    t = T0 + timedelta(minutes=1)
    chain.block(t, chain.council_tx("issuer.accredit", _accredit("tp", OFFICE_KEY), t))
    t += timedelta(minutes=1)
    add = KeyAddBody(key=SECOND_KEY.public_multibase)
    chain.block(t, chain.office_tx("key.add", add, t, OFFICE_KEY))
    t += timedelta(minutes=1)
    leaves = [credential_digest(c) for c in creds]
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    body = AnchorBody(batch_id="b1", batch_root=root, leaf_count=5, leaves=tuple(leaves))
    chain.anchor = chain.office_tx("anchor", body, t, SECOND_KEY)
    other = chain.council_tx("issuer.accredit", _accredit("other", OTHER_KEY), t)
    chain.block(t, other, chain.anchor)
    t += timedelta(minutes=1)
    suspend = StatusBody(
        credential_id="urn:ecert:anc:2",
        event=SuspendEvent.model_validate({"from": t, "reason": "x"}),
    )
    chain.block(t, chain.office_tx("status", suspend, t, OFFICE_KEY))
    return chain


@pytest.fixture(scope="module")
def anchored() -> AnchoredChain:
    return build_chain()
