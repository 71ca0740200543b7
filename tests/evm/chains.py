"""Builders for the EVM tests: a genesis, accredited offices, anchors (real keys, real txs)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from registry.evm import EvmLedger
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Scope,
    Transaction,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.transparency import MerkleTree

CHAIN = "evm-test"
DRIVING = "DrivingLicenceCredential"


def key(n: int) -> KeyPair:
    return KeyPair.from_seed(hashlib.sha256(f"evm test key {n}".encode()).digest())


COUNCIL = (key(1), key(2))
PRODUCER = key(9)


def wall() -> datetime:
    """Now, to the second (EVM block times are whole seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


def genesis(now: datetime | None = None) -> tuple[Transaction, KeyPair]:
    tx = genesis_tx(CHAIN, list(COUNCIL), 2, PRODUCER.public, now or wall())
    return tx, PRODUCER


def accredit(ledger: EvmLedger, names: Sequence[str], now: datetime) -> dict[str, KeyPair]:
    """Accredit each office (2 of 2 council signatures) with its own first key; waits."""
    keys = {}
    seq = ledger.next_seq(COUNCIL[0].public_multibase)
    last = ""
    for i, name in enumerate(names):
        office_key = KeyPair.from_seed(hashlib.sha256(f"office {name}".encode()).digest())
        body = AccreditBody(
            office=office_did(CHAIN, name),
            name=f"Office {name}",
            uscc="91350100M000100Y43",
            scopes=(Scope(credential_type=DRIVING, division_prefixes=("5101",)),),
            valid_from=now - timedelta(days=1),
            initial_key=office_key.public_multibase,
        )
        tx = council_tx(
            CHAIN,
            "issuer.accredit",
            body,
            proposer=COUNCIL[0],
            seq=seq + i,
            time=now,
            signers=COUNCIL[1:],
        )
        last = ledger.submit(tx, now)
        keys[office_did(CHAIN, name)] = office_key
    assert ledger.wait_included(last, timeout_s=30) is not None
    return keys


def leaves(label: str, n: int) -> list[str]:
    return [hashlib.sha256(f"{label}/{i}".encode()).hexdigest() for i in range(n)]


def anchor_tx(
    office: str, signer: KeyPair, batch: list[str], seq: int, now: datetime, batch_id: str
) -> Transaction:
    root = MerkleTree([bytes.fromhex(x) for x in batch]).root.hex()
    body = AnchorBody(
        batch_id=batch_id, batch_root=root, leaf_count=len(batch), leaves=tuple(batch)
    )
    return office_tx(CHAIN, "anchor", body, office=office, seq=seq, time=now, key=signer)


def story_office(ledger: EvmLedger) -> tuple[Any, Any, Any]:
    """The demo's traffic police, accredited and with its signing key, on ``ledger``.

    Returns ``(registry, office, credential)``: a credential issued (not yet anchored).
    """
    from ecert.story.cast import OFFICES
    from ecert.story.chain import Council, Registry, cosign, propose_accreditations
    from ecert.story.office import Office
    from vc_core.canon import default_contexts

    now = wall()
    council = Council.of(3, 2)
    registry = Registry(ledger=ledger, producer=ledger.producer_key, genesis=ledger.block(0))  # type: ignore[arg-type]
    office = Office.of(next(spec for spec in OFFICES if spec.name == "traffic-police"))
    (proposal,) = propose_accreditations(
        registry,
        council,
        [(office.spec, office.first_key)],
        valid_from=now - timedelta(days=1),
        proposed_at=now,
        expires=now + timedelta(days=3),
    )
    accredited = ledger.submit(cosign(proposal, council.members[1]), now)
    # The accreditation takes effect at its block's time: the first key signs after that.
    assert ledger.wait_included(accredited, timeout_s=30) is not None
    key_add = ledger.submit(office.add_signing_key(registry, wall()), wall())
    assert ledger.wait_included(key_add, timeout_s=30) is not None
    return registry, office, office.issue("eddsa-jcs-2022", wall(), default_contexts())


def story_genesis() -> tuple[Transaction, KeyPair]:
    """The demo's genesis (council of 3, threshold 2) and its producer, dated now."""
    from ecert.story.chain import CHAIN_ID, Council, demo_key

    producer = demo_key("registry node")
    council = Council.of(3, 2)
    return genesis_tx(CHAIN_ID, council.members, 2, producer.public, wall()), producer


def node_folder(
    data: Path, deployed: EvmLedger, producer: KeyPair, *, confirmations: int, sender: int = 1
) -> dict[str, str]:
    """A registry node's folder for the EcertLog ``deployed`` (genesis.json = derived block 0,
    the producer's key, an EVM sender key); returns its ``REGISTRY_*`` settings."""
    from registry.evm.devnode import dev_account
    from registry.setup import write_secret

    write_secret(data / "node-key.json", producer.to_json())
    write_secret(data / "sender.key", dev_account(sender).key.hex())
    (data / "genesis.json").write_text(deployed.block(0).to_json(), encoding="utf-8")
    return {
        "REGISTRY_DATA_DIR": str(data),
        "REGISTRY_BACKEND": "evm",
        "REGISTRY_EVM_RPC_URL": deployed.chain.rpc_url,
        "REGISTRY_EVM_CONTRACT": str(deployed.chain.address),
        "REGISTRY_EVM_CHAIN_ID": str(deployed.chain.chain_id),
        "REGISTRY_EVM_CONFIRMATIONS": str(confirmations),
        "REGISTRY_EVM_SENDER_KEY_FILE": str(data / "sender.key"),
    }
