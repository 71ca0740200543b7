"""The story through the real services on the EVM backend (issue 11, Must show 2).

anvil mines a block every second; an EcertLog contract holds the genesis. Three real processes
on 127.0.0.1: ``ecert registry serve --backend evm`` (appends submissions to the contract and
serves the blocks it derives from confirmed events), an issuer whose anchoring worker talks to
that node over HTTP, and a verifier whose replica syncs from it — neither knows the chain is an
EVM one. Issue → anchored (the receipt verifies offline) → the verifier says valid → revoke
through the issuer → the verifier says REVOKED. An independent follower in this process then
reads the contract and must derive the very blocks the node served (same hashes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.testing import running_issuer
from registry.evm import EvmFollower, EvmLedger
from registry.testing import running_node
from tests.evm.anvil import Anvil, account, shared_anvil
from tests.evm.chains import node_folder
from tests.integration.live_registry import LiveChain
from tests.integration.offices import issue_drivers, issuer_env, make_office, wait_receipt
from vc_core.anchoring import ChainFacts, credential_digest, verify_receipt
from vc_core.keys import KeyPair
from vc_core.ledger import genesis_tx
from vc_core.registry_client import RegistryClient
from verifier.testing import VerifierProcess, running_verifier

pytestmark = pytest.mark.integration
CHAIN = "evm-live"
CONFIRMATIONS = 1


@pytest.fixture
def ticking_anvil() -> Iterator[Anvil]:
    """The shared anvil, reset, mining a block every second on its own (as a QBFT network)."""
    node = shared_anvil().fresh(automine=False, real_time=True)
    node.rpc("evm_setIntervalMining", [1])
    yield node
    node.rpc("evm_setIntervalMining", [0])


@contextmanager
def evm_registry(tmp: Path, anvil: Anvil) -> Iterator[tuple[LiveChain, str]]:
    """Deploy EcertLog with a fresh genesis, then serve it with an EVM-backed registry node."""
    council, producer = KeyPair.generate(), KeyPair.generate()
    genesis = genesis_tx(CHAIN, [council], 1, producer.public, datetime.now(UTC))
    deployed = EvmLedger.deploy(
        anvil.chain(), account(0), genesis, confirmations=CONFIRMATIONS, producer_key=producer
    )
    deployed.wait_for_genesis(timeout_s=30)
    block0 = deployed.block(0)
    data = tmp / "node"
    env = node_folder(data, deployed, producer, confirmations=CONFIRMATIONS)
    env["REGISTRY_BLOCK_INTERVAL_MS"] = "200"
    with running_node(data, env=env) as node, RegistryClient(node.url) as client:
        live = LiveChain(
            url=node.url,
            chain_id=CHAIN,
            genesis_hash=block0.hash,
            council=council,
            producer=producer,
            data_dir=data,
            client=client,
        )
        yield live, str(deployed.chain.address)


def _verify(verifier: VerifierProcess, credential: dict[str, Any]) -> httpx.Response:
    body = {"verifiableCredential": credential}
    return httpx.post(verifier.url + "/credentials/verify", json=body, timeout=30)


def _until(verifier: VerifierProcess, credential: dict[str, Any], status: int) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:  # Until the replica has synced the fact (a bound on the wait, not a timing).
        answer = _verify(verifier, credential)
        if answer.status_code == status:
            return answer
        assert time.monotonic() < deadline, answer.text + verifier.log()[-3000:]
        time.sleep(0.2)


def test_issue_anchor_verify_revoke_verify_through_the_services_on_evm(
    tmp_path: Path, ticking_anvil: Anvil
) -> None:
    with evm_registry(tmp_path, ticking_anvil) as (chain, contract):
        office = make_office(tmp_path, chain)
        facts = ChainFacts.from_genesis(chain.client.blocks(0, 1).blocks[0])
        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
            "VERIFIER_SYNC_INTERVAL_S": "0.2",
        }
        with (
            running_issuer(office.data, env=issuer_env(chain, office)) as issuer,
            running_verifier(tmp_path / "verifier", env=verifier_env) as verifier,
        ):
            kept, revoked = issue_drivers(issuer, office, 2)
            for vc in (kept, revoked):
                verify_receipt(wait_receipt(issuer, office, vc["id"]), vc, facts)
            assert _until(verifier, kept, 200).json()["verified"] is True
            _until(verifier, revoked, 200)

            body = {"credentialId": revoked["id"], "action": "revoke", "reason": "lost"}
            done = httpx.post(
                issuer.url + "/credentials/status",
                json=body,
                headers=office.headers("approver"),
                timeout=30,
            )
            assert done.status_code == 200, done.text + issuer.log()[-2000:]
            assert done.json()["state"] == "included"

            gone = _until(verifier, revoked, 422)
            failed = [s["code"] for s in gone.json()["steps"] if s["status"] == "failed"]
            assert failed == ["REVOKED"]
            assert _verify(verifier, kept).status_code == 200

        # The order came from the contract: a reader of the EVM chain alone derives the blocks
        # the node served, byte for byte the same headers.
        served = list(chain.client.iter_blocks(0))
        evm_chain = ticking_anvil.chain()
        evm_chain.attach(contract)
        follower = EvmFollower(
            evm_chain, confirmations=CONFIRMATIONS, genesis_hash=chain.genesis_hash
        )
        follower.sync()
        derived = [b.header.hash for b in follower.blocks[: len(served)]]
        assert len(served) >= 4 and derived == [b.hash for b in served]
        anchored = {
            leaf
            for block in served
            for tx in block.transactions
            if tx.type == "anchor"
            for leaf in tx.body.leaves or ()  # type: ignore[union-attr]
        }
        assert anchored == {credential_digest(kept), credential_digest(revoked)}
