"""The replica: verifies every block from the genesis, answers as of a time, refuses a chain
that does not extend what it holds, and says "could not check" when no source answers.

Sources are real in-memory chains (``MemoryLedger``) behind the ``BlockSource`` protocol."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Block,
    ChainError,
    MemoryLedger,
    RevokeEvent,
    Scope,
    StatusBody,
    council_tx,
    genesis_tx,
    make_block,
    office_did,
    office_tx,
)
from vc_core.ledger.sigs import encode_signature
from vc_core.ledger.tx import TxSignature
from vc_core.replica import BlockPage, ChainRewrittenError, HttpSource, Replica
from vc_core.replica import replica as replica_module
from vc_core.transparency import MerkleTree

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
CHAIN = "rep"
COUNCIL = KeyPair.from_seed(b"\x01" * 32)
PRODUCER = KeyPair.from_seed(b"\x02" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x03" * 32)
OFFICE = office_did(CHAIN, "tp")


class LedgerSource:
    """A chain in memory, served like a registry node."""

    def __init__(self, ledger: MemoryLedger, name: str = "memory") -> None:
        self.ledger, self.name = ledger, name

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self):  # type: ignore[no-untyped-def]
        return self.ledger.checkpoint(self.ledger.head().time)


class DownSource:
    name = "down"

    def blocks(self, start: int, limit: int) -> BlockPage:
        raise RegistryError("connection refused")

    def checkpoint(self):  # type: ignore[no-untyped-def]
        raise RegistryError("connection refused")


def digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


GENESIS: Block = make_block(
    None, [genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0)], T0, PRODUCER
)


def _chain(leaf_prefix: str = "leaf") -> MemoryLedger:
    """Genesis; accredit the office; anchor 4 leaves; revoke credential c-1 at T0+3 min."""
    ledger = MemoryLedger(GENESIS, PRODUCER)
    body = AccreditBody(
        office=OFFICE,
        name="Traffic police",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=OFFICE_KEY.public_multibase,
    )
    t1 = T0 + timedelta(minutes=1)
    ledger.submit(council_tx(CHAIN, "issuer.accredit", body, proposer=COUNCIL, seq=2, time=t1), t1)
    ledger.produce_block(t1)
    leaves = [digest(f"{leaf_prefix}-{i}") for i in range(4)]
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    t2 = T0 + timedelta(minutes=2)
    anchor = AnchorBody(batch_id="b1", batch_root=root, leaf_count=4, leaves=tuple(leaves))
    ledger.submit(
        office_tx(CHAIN, "anchor", anchor, office=OFFICE, seq=1, time=t2, key=OFFICE_KEY), t2
    )
    ledger.produce_block(t2)
    t3 = T0 + timedelta(minutes=3)
    status = StatusBody(credential_id="c-1", event=RevokeEvent(reason="lost"))
    ledger.submit(
        office_tx(CHAIN, "status", status, office=OFFICE, seq=2, time=t3, key=OFFICE_KEY), t3
    )
    ledger.produce_block(t3)
    return ledger


def _replica(tmp_path: Path) -> Replica:
    return Replica.open(tmp_path / "replica.sqlite", genesis_hash=GENESIS.hash)


NOW = T0 + timedelta(minutes=10)


def test_sync_verifies_and_answers_as_of_a_time(tmp_path: Path) -> None:
    replica = _replica(tmp_path)
    result = replica.sync([LedgerSource(_chain())], now=NOW)
    assert result.head.height == 3 and result.added_transactions == 4
    keys = replica.office_keys(OFFICE)
    at = T0 + timedelta(minutes=2)
    assert [(k.key, k.state_at(at)) for k in keys] == [(OFFICE_KEY.public_multibase, "active")]
    assert replica.accreditation(OFFICE, T0) is None
    assert replica.accreditation(OFFICE, T0 + timedelta(minutes=1)) is not None
    found = replica.leaf_anchor(digest("leaf-2"))
    assert found is not None and found.index == 2 and found.batch.office == OFFICE
    assert replica.leaf_anchor(digest("never")) is None
    before = replica.credential_status(OFFICE, credential_id="c-1", as_of=T0 + timedelta(minutes=2))
    after = replica.credential_status(OFFICE, credential_id="c-1", as_of=NOW)
    assert before.valid and after.revoked
    assert replica.checkpoint is not None and replica.checkpoint.height == 3


def test_reopened_replica_answers_offline(tmp_path: Path) -> None:
    replica = _replica(tmp_path)
    replica.sync([LedgerSource(_chain())], now=NOW)
    replica.close()
    again = _replica(tmp_path)
    assert again.head is not None and again.head.height == 3
    assert again.leaf_anchor(digest("leaf-0")) is not None
    assert again.checkpoint is not None


def test_a_rewritten_chain_is_refused(tmp_path: Path) -> None:
    replica = _replica(tmp_path)
    replica.sync([LedgerSource(_chain("leaf"))], now=NOW)
    rewritten = _chain("other")  # same genesis and block 1, different block 2 and on
    with pytest.raises(ChainRewrittenError) as info:
        replica.sync([LedgerSource(rewritten)], now=NOW)
    assert "rewritten" in info.value.message
    assert replica.head is not None and replica.head.height == 3
    assert replica.leaf_anchor(digest("leaf-0")) is not None


def test_a_shorter_chain_is_refused(tmp_path: Path) -> None:
    replica = _replica(tmp_path)
    replica.sync([LedgerSource(_chain())], now=NOW)
    with pytest.raises(ChainRewrittenError):
        replica.sync([LedgerSource(MemoryLedger(GENESIS, PRODUCER))], now=NOW)


def test_a_forged_block_is_refused_and_not_stored(tmp_path: Path) -> None:
    honest = _chain()
    forged = make_block(
        honest.block(2).header,
        list(honest.block(3).transactions),
        honest.block(3).time,
        KeyPair.generate(),
    )

    class Forging(LedgerSource):
        def blocks(self, start: int, limit: int) -> BlockPage:
            page = super().blocks(start, limit)
            return BlockPage(page.head, [forged if b.height == 3 else b for b in page.blocks])

    replica = _replica(tmp_path)
    with pytest.raises(ChainError) as info:
        replica.sync([Forging(honest)], now=NOW)
    assert info.value.height == 3 and info.value.code == "WRONG_PRODUCER"
    replica.close()
    assert _replica(tmp_path).head.height == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("chunk_txs", [1, 1024], ids=["worker pool", "in-process"])
def test_a_forged_transaction_signature_is_refused_at_its_height(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_txs: int
) -> None:
    """A producer-signed block holding a transaction whose own signature is forged."""
    monkeypatch.setattr(replica_module, "SIG_CHUNK_TXS", chunk_txs)
    honest = _chain()
    t4 = T0 + timedelta(minutes=4)
    anchors = [
        office_tx(CHAIN, "anchor", AnchorBody(batch_id=f"f{i}", batch_root=digest(f"f{i}"),
                  leaf_count=1), office=OFFICE, seq=3 + i, time=t4, key=OFFICE_KEY)
        for i in range(3)
    ]  # fmt: skip
    bad_sig = encode_signature(OFFICE_KEY.sign(b"other bytes"))
    anchors[1] = anchors[1].model_copy(
        update={"signatures": (TxSignature(signer=OFFICE_KEY.public_multibase, signature=bad_sig),)}
    )
    late = make_block(honest.block(3).header, anchors, t4, PRODUCER)

    class WithLateBlock(LedgerSource):
        def blocks(self, start: int, limit: int) -> BlockPage:
            page = super().blocks(start, limit)
            fresh = [Block.from_json(b.to_json()) for b in page.blocks]
            return BlockPage(4, [*fresh, late] if start + len(fresh) == 4 else fresh)

    replica = _replica(tmp_path)
    with pytest.raises(ChainError) as info:
        replica.sync([WithLateBlock(honest)], now=NOW)
    assert info.value.height == 4 and info.value.code == "BAD_SIGNATURE"
    assert info.value.tx_index == 1
    replica.close()
    reopened = _replica(tmp_path)
    assert reopened.head is not None and reopened.head.height == 3
    reopened.close()


def test_wrong_genesis_is_refused(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "r.sqlite", genesis_hash="0" * 64)
    with pytest.raises(ChainError) as info:
        replica.sync([LedgerSource(_chain())], now=NOW)
    assert info.value.code == "GENESIS_MISMATCH"


def test_falls_back_to_the_next_source_then_could_not_check(tmp_path: Path) -> None:
    replica = _replica(tmp_path)
    result = replica.sync([DownSource(), LedgerSource(_chain(), "backup")], now=NOW)
    assert result.source == "backup"
    with pytest.raises(RegistryError) as info:
        replica.sync([DownSource(), HttpSource("http://127.0.0.1:9", timeout_s=1)], now=NOW)
    assert info.value.code == "REGISTRY_UNAVAILABLE"
    assert replica.head is not None and replica.head.height == 3
