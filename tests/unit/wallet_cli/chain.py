"""A real chain for wallet tests, and a wallet driven through its entry point.

Block 1 accredits the land bureau; block 2 anchors two property deeds the bureau signed
(eddsa-rdfc-2022, real proofs); block 3 revokes the second. The chain is synced into a replica
file, and each deed is written twice: as the credential alone and as an offline bundle built
from the chain's blocks (receipt, signed checkpoint, chain facts). Keys come from fixed seeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vc_core.anchoring import build_bundle, credential_digest, make_receipt
from vc_core.credential_types import example_credential
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    BlockPage,
    Checkpoint,
    MemoryLedger,
    RevokeEvent,
    Scope,
    StatusBody,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.replica import Replica
from vc_core.transparency import MerkleTree

CHAIN = "wallet-test"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COUNCIL = KeyPair.from_seed(b"\x71" * 32)
PRODUCER = KeyPair.from_seed(b"\x72" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x73" * 32)
OFFICE = office_did(CHAIN, "land-bureau")
DEED = "PropertyDeedCredential"


class _Source:
    name = "in-process"

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.ledger.head().time)


@dataclass(frozen=True)
class ChainFiles:
    """What the chain left on disk, and the trusted genesis hash."""

    genesis: str
    replica: Path
    head_time: datetime
    deeds: list[dict[str, Any]]
    credential: list[Path]  # each deed alone
    bundle: list[Path]  # each deed as an offline bundle

    @property
    def now(self) -> str:
        """A check time one minute after the chain's head (fresh for any max age)."""
        return (self.head_time + timedelta(minutes=1)).isoformat()


def _deed(number: int, at: datetime) -> dict[str, Any]:
    draft = example_credential(DEED)
    draft["id"] = f"urn:ecert:wallet-test:{number}"
    vm = f"{OFFICE}#{OFFICE_KEY.public_multibase}"
    return issue_credential(
        draft, OFFICE_KEY, suite="eddsa-rdfc-2022", now=at, verification_method=vm
    )


def build_chain(folder: Path) -> ChainFiles:
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    t = T0 + timedelta(seconds=1)
    accredit = AccreditBody(
        office=OFFICE,
        name="Land bureau",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type=DEED, division_prefixes=("5101",)),),
        valid_from=T0,
        initial_key=OFFICE_KEY.public_multibase,
    )
    ledger.submit(
        council_tx(CHAIN, "issuer.accredit", accredit, proposer=COUNCIL, seq=2, time=t), t
    )
    ledger.produce_block(t)
    t += timedelta(seconds=1)
    deeds = [_deed(1, t), _deed(2, t)]
    leaves = [credential_digest(d) for d in deeds]
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    anchor = AnchorBody(batch_id="b1", batch_root=root, leaf_count=2, leaves=tuple(leaves))
    ledger.submit(
        office_tx(CHAIN, "anchor", anchor, office=OFFICE, seq=1, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)
    t += timedelta(seconds=1)
    revoke = StatusBody(credential_id=deeds[1]["id"], event=RevokeEvent(reason="court order"))
    ledger.submit(
        office_tx(CHAIN, "status", revoke, office=OFFICE, seq=2, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)

    genesis = ledger.block(0).hash
    replica = Replica.open(folder / "replica.sqlite", genesis_hash=genesis)
    replica.sync([_Source(ledger)], now=t)
    replica.close()
    blocks = [ledger.block(h) for h in range(ledger.head().height + 1)]
    credential_paths, bundle_paths = [], []
    for i, deed in enumerate(deeds):
        receipt = make_receipt(ledger.block(2), 0, leaves[i])
        bundle = build_bundle(deed, receipt, ledger.checkpoint(t), blocks)
        credential_paths.append(folder / f"deed-{i}.json")
        credential_paths[-1].write_text(json.dumps(deed, ensure_ascii=False), encoding="utf-8")
        bundle_paths.append(folder / f"deed-{i}.bundle.json")
        bundle_paths[-1].write_text(bundle.to_json(), encoding="utf-8")
    return ChainFiles(genesis, folder / "replica.sqlite", t, deeds, credential_paths, bundle_paths)
