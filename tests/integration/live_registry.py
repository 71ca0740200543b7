"""A small real chain for integration tests: ``init_registry`` in a temporary folder, then a
registry node in a child process (:func:`registry.testing.running_node`), written to through
the one registry client. Tests build what they need with :class:`LiveChain`'s methods."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from registry.config import Settings
from registry.setup import init_registry, read_key
from registry.testing import NodeProcess, start_node
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Scope,
    StatusBody,
    Transaction,
    council_tx,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import StatusEvent
from vc_core.registry_client import RegistryClient, TxStatus
from vc_core.transparency import MerkleTree


@dataclass
class LiveChain:
    """A running node, its council (threshold 1) and a client on it."""

    url: str
    chain_id: str
    genesis_hash: str
    council: KeyPair
    producer: KeyPair
    data_dir: Path
    client: RegistryClient

    def include(self, tx: Transaction) -> TxStatus:
        status = self.client.submit(tx, wait_s=10)
        assert status.state == "included", status
        return status

    def accredit(
        self, office: str, key: KeyPair, *, types: Sequence[str], prefixes: Sequence[str] = ("51",)
    ) -> str:
        did = office_did(self.chain_id, office)
        body = AccreditBody(
            office=did,
            name=f"Office {office}",
            uscc="91350100M000100Y43",
            scopes=tuple(
                Scope(credential_type=t, division_prefixes=tuple(prefixes)) for t in types
            ),
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            initial_key=key.public_multibase,
        )
        author = self.council.public_multibase
        seq = self.client.next_seq(author)
        self.include(
            council_tx(
                self.chain_id,
                "issuer.accredit",
                body,
                proposer=self.council,
                seq=seq,
                time=datetime.now(UTC),
            )
        )
        return did

    def anchor(self, office: str, key: KeyPair, digests: Sequence[str], batch_id: str) -> str:
        root = MerkleTree([bytes.fromhex(d) for d in digests]).root.hex()
        body = AnchorBody(
            batch_id=batch_id, batch_root=root, leaf_count=len(digests), leaves=tuple(digests)
        )
        self.include(self.office_tx(office, "anchor", body, key))
        return root

    def status(self, office: str, key: KeyPair, credential_id: str, event: StatusEvent) -> TxStatus:
        body = StatusBody(credential_id=credential_id, event=event)
        return self.include(self.office_tx(office, "status", body, key))

    def office_tx(
        self, office: str, tx_type: str, body: AccreditBody | AnchorBody | StatusBody, key: KeyPair
    ) -> Transaction:
        seq = self.client.next_seq(office)
        return office_tx(
            self.chain_id,
            tx_type,
            body,
            office=office,
            seq=seq,
            time=datetime.now(UTC),
            key=key,
        )


@dataclass
class KillableNode:
    """A live chain's node process, which a crash test SIGKILLs and starts again on its port (so
    the chain's URL and client stay good)."""

    process: NodeProcess
    data_dir: Path

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> None:
        port = int(self.process.url.rsplit(":", 1)[1])
        self.process = start_node(self.data_dir, port=port)


@contextmanager
def crashable_chain(
    tmp: Path, *, chain_id: str = "live", node_env: dict[str, str] | None = None
) -> Iterator[tuple[LiveChain, KillableNode]]:
    """A fresh chain with one council member (threshold 1), served on 127.0.0.1, and its node."""
    data = tmp / "node"
    settings = Settings(data_dir=data)
    made = init_registry(
        settings=settings, chain_id=chain_id, council_size=1, threshold=1, now=datetime.now(UTC)
    )
    council = read_key(made.council_key_paths[0])
    producer = read_key(made.node_key_path)
    node = KillableNode(start_node(data, env=node_env), data)
    try:
        with RegistryClient(node.process.url) as client:
            chain = LiveChain(
                url=node.process.url,
                chain_id=chain_id,
                genesis_hash=made.genesis_hash,
                council=council,
                producer=producer,
                data_dir=data,
                client=client,
            )
            yield chain, node
    finally:
        node.process.stop()


@contextmanager
def live_chain(
    tmp: Path, *, chain_id: str = "live", node_env: dict[str, str] | None = None
) -> Iterator[LiveChain]:
    """A fresh chain with one council member (threshold 1), served on 127.0.0.1."""
    with crashable_chain(tmp, chain_id=chain_id, node_env=node_env) as (chain, _node):
        yield chain
