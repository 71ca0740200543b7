"""A replica reopens from its stored state, and never trusts one that does not match its blocks.

Each tampering — the state's bytes, its height, its head hash, a state from another replica,
a lost key, and any byte of a stored block — is detected: the state is refused and rebuilt by
replaying the blocks from the genesis, or, when a block itself changed, the open fails at that
block's height."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    BlockPage,
    ChainError,
    Checkpoint,
    MemoryLedger,
    RevokeEvent,
    Scope,
    StatusBody,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
    replay,
)
from vc_core.ledger.statefile import decode_state, encode_state
from vc_core.replica import Replica, reopen
from vc_core.replica import replica as replica_module
from vc_core.replica.store import ReplicaStore, StoredState
from vc_core.transparency import MerkleTree

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
CHAIN = "reo"
COUNCIL = KeyPair.from_seed(b"\x11" * 32)
PRODUCER = KeyPair.from_seed(b"\x12" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x13" * 32)
OFFICE = office_did(CHAIN, "tp")
BATCHES, LEAVES = 6, 50
TAMPERED_HEIGHT = 4


def leaf(batch: int, i: int) -> str:
    return hashlib.sha256(f"{batch}-{i}".encode()).hexdigest()


class Source:
    """A memory chain served as a block source."""

    name = "memory"

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.ledger.head().time)


def _chain() -> MemoryLedger:
    """Genesis, an accreditation, then one block per batch of published leaves, a revocation."""
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    body = AccreditBody(
        office=OFFICE,
        name="Traffic police",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=OFFICE_KEY.public_multibase,
    )
    ledger.submit(council_tx(CHAIN, "issuer.accredit", body, proposer=COUNCIL, seq=2, time=T0), T0)
    ledger.produce_block(T0)
    for batch in range(BATCHES):
        _anchor(ledger, batch)
    t = T0 + timedelta(minutes=BATCHES + 1)
    status = StatusBody(credential_id="c-1", status_index=3, event=RevokeEvent(reason="lost"))
    seq = ledger.next_seq(OFFICE)
    ledger.submit(
        office_tx(CHAIN, "status", status, office=OFFICE, seq=seq, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)
    return ledger


def _anchor(ledger: MemoryLedger, batch: int) -> None:
    leaves = tuple(leaf(batch, i) for i in range(LEAVES))
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    body = AnchorBody(batch_id=f"b{batch}", batch_root=root, leaf_count=LEAVES, leaves=leaves)
    t = T0 + timedelta(minutes=batch + 1)
    seq = ledger.next_seq(OFFICE)
    ledger.submit(
        office_tx(CHAIN, "anchor", body, office=OFFICE, seq=seq, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)


NOW = T0 + timedelta(hours=1)


def _synced(path: Path, ledger: MemoryLedger) -> Replica:
    replica = Replica.open(path, genesis_hash=ledger.block(0).hash)
    replica.sync([Source(ledger)], now=NOW)
    return replica


def _answers(replica: Replica) -> list[Any]:
    probes = [leaf(b, i) for b in range(BATCHES + 1) for i in (0, 17, LEAVES - 1)]
    probes += [probes[0].upper(), "not hex", ""]
    return [
        replica.chain_head(),
        replica.council(),
        replica.offices(),
        replica.office_keys(OFFICE),
        [replica.leaf_anchor(p) for p in probes],
        [replica.batch_by_id(OFFICE, f"b{b}") for b in range(BATCHES + 1)],
        replica.credential_status(OFFICE, credential_id="c-1", as_of=NOW),
        replica.status_indexes(OFFICE, 0, 10),
        replica.accreditation(OFFICE, NOW),
    ]


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, MemoryLedger, list[Any]]:
    """A synced and closed replica file, its chain, and what a replica of it answers."""
    ledger = _chain()
    path = tmp_path / "replica.sqlite"
    replica = _synced(path, ledger)
    expected = _answers(replica)
    replica.close()
    return path, ledger, expected


def test_a_replica_reopens_from_its_stored_state_with_the_same_answers(
    stored: tuple[Path, MemoryLedger, list[Any]],
) -> None:
    path, ledger, expected = stored
    replica = Replica.open(path, genesis_hash=ledger.block(0).hash)
    assert replica.opened_from == "stored state" and replica.state_refused is None
    assert _answers(replica) == expected
    assert expected[4][0] is not None and expected[4][-3:] == [None, None, None]
    # The state folded from genesis is the very state the file gave back.
    replayed = Replica.open(path.with_name("fresh.sqlite"), genesis_hash=ledger.block(0).hash)
    replayed.sync([Source(ledger)], now=NOW)
    assert replica._committed() == replayed._committed()


def test_the_state_round_trips_through_its_bytes() -> None:
    ledger = _chain()
    state = ledger.state
    again = decode_state(*encode_state(state))
    assert again == state
    assert dict(again.leaves.items()) == dict(state.leaves.items())
    assert len(again.leaves) == BATCHES * LEAVES and len(again.leaves.overlay) == 0


def _set(path: Path, column: str, change: Callable[[Any], Any]) -> None:
    with sqlite3.connect(path) as db:
        (value,) = db.execute(f"SELECT {column} FROM state").fetchone()
        db.execute(f"UPDATE state SET {column} = ?", (change(value),))


def _flip(blob: bytes, at: int | None = None) -> bytes:
    out = bytearray(blob)
    out[len(out) // 2 if at is None else at] ^= 0x01
    return bytes(out)


def _other_key(path: Path) -> None:
    reopen.key_path(path).unlink()


def _copied_from_elsewhere(path: Path) -> None:
    """Another replica's file (with its state) put in place of this one's, key kept."""
    other = path.with_name("other.sqlite")
    _synced(other, _chain()).close()
    path.unlink()
    shutil.copy(other, path)


STATE_TAMPERS: dict[str, Callable[[Path], None]] = {
    "a byte of the state": lambda p: _set(p, "meta", _flip),
    "a byte of the leaf index": lambda p: _set(p, "leaves", lambda b: _flip(b, 5)),
    "its height": lambda p: _set(p, "height", lambda h: h - 1),
    "its head hash": lambda p: _set(p, "head_hash", lambda h: "0" * 64),
    "its MAC": lambda p: _set(p, "mac", lambda m: "0" * 64),
    "the key (lost)": _other_key,
    "the file, from another replica": _copied_from_elsewhere,
}


@pytest.mark.parametrize("tamper", list(STATE_TAMPERS), ids=list(STATE_TAMPERS))
def test_a_changed_state_is_refused_and_rebuilt_from_the_blocks(
    stored: tuple[Path, MemoryLedger, list[Any]], tamper: str
) -> None:
    path, ledger, expected = stored
    STATE_TAMPERS[tamper](path)
    replica = Replica.open(path, genesis_hash=ledger.block(0).hash)
    assert replica.opened_from == "genesis"
    assert replica.state_refused == "STATE_MAC_MISMATCH"
    assert _answers(replica) == expected
    replica.close()
    # The rebuilt state was stored again and is used next time.
    assert Replica.open(path, genesis_hash=ledger.block(0).hash).opened_from == "stored state"


def test_a_resealed_state_that_names_another_head_is_refused(
    stored: tuple[Path, MemoryLedger, list[Any]],
) -> None:
    """Even under the right key, the state must be at the head it is stored for."""
    path, ledger, expected = stored
    genesis = ledger.block(0).hash
    earlier = replay(ledger.block(0), [ledger.block(1), ledger.block(2)])
    store = ReplicaStore(path)
    row = store.load_state()
    assert row is not None
    meta, leaves = encode_state(earlier)
    mac = reopen.seal(
        reopen.replica_key(path),
        genesis_hash=genesis,
        height=row.height,
        head_hash=row.head_hash,
        meta=meta,
        leaves=leaves,
    )
    store.save_state(StoredState(row.height, row.head_hash, meta, leaves, mac))
    store.close()
    replica = Replica.open(path, genesis_hash=genesis)
    assert replica.state_refused == "STATE_HEAD_MISMATCH" and replica.opened_from == "genesis"
    assert _answers(replica) == expected


def _tx_body(path: Path) -> None:
    with sqlite3.connect(path) as db:
        (body,) = db.execute("SELECT body FROM tx WHERE height = ?", (TAMPERED_HEIGHT,)).fetchone()
        db.execute("UPDATE tx SET body = ? WHERE height = ?", (_flip(body), TAMPERED_HEIGHT))


def _block_column(column: str, change: Callable[[Any], Any]) -> Callable[[Path], None]:
    def tamper(path: Path) -> None:
        with sqlite3.connect(path) as db:
            (value,) = db.execute(
                f"SELECT {column} FROM block WHERE height = ?",
                (TAMPERED_HEIGHT,),
            ).fetchone()
            db.execute(
                f"UPDATE block SET {column} = ? WHERE height = ?",
                (change(value), TAMPERED_HEIGHT),
            )

    return tamper


def _signature(sig: str) -> str:
    return sig[:-3] + ("AAA" if sig[-3:] != "AAA" else "BBB")


BLOCK_TAMPERS: dict[str, Callable[[Path], None]] = {
    "a byte of a transaction": _tx_body,
    "a byte of a header": _block_column(
        "header", lambda h: h.replace(b'"height":4', b'"height":5')
    ),
    "the block signature": _block_column("signature", _signature),
    "the stored block hash": _block_column("hash", lambda h: "f" * 64),
}


@pytest.mark.parametrize("tamper", list(BLOCK_TAMPERS), ids=list(BLOCK_TAMPERS))
def test_a_changed_block_is_detected_at_its_height(
    stored: tuple[Path, MemoryLedger, list[Any]], tamper: str
) -> None:
    path, ledger, _ = stored
    genesis = ledger.block(0).hash
    BLOCK_TAMPERS[tamper](path)
    store = ReplicaStore(path)
    with pytest.raises(reopen.StateRefused) as refused:
        reopen.restore(store, reopen.replica_key(path), genesis)
    store.close()
    assert refused.value.code == "BLOCKS_MISMATCH"
    assert f"block {TAMPERED_HEIGHT} " in refused.value.message
    if tamper == "the stored block hash":
        return  # the replay folds the bytes, which are intact; the check above refused the row
    with pytest.raises(ChainError) as failed:
        Replica.open(path, genesis_hash=genesis)
    assert failed.value.height == TAMPERED_HEIGHT


def test_blocks_stored_after_the_state_are_folded_on_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that added too few transactions to store the state, then a crash (no close)."""
    ledger = _chain()
    path = tmp_path / "replica.sqlite"
    _synced(path, ledger).close()
    _anchor(ledger, BATCHES + 5)
    replica = _synced(path, ledger)
    assert replica.chain_head().height == ledger.head().height
    expected = _answers(replica)
    replica._store.close()  # a crash: close() would have stored the state
    again = Replica.open(path, genesis_hash=ledger.block(0).hash)
    assert again.opened_from == "stored state"
    assert again.chain_head() == ledger.state.head
    assert again.leaf_anchor(leaf(BATCHES + 5, 3)) is not None
    assert _answers(again) == expected


def test_the_first_sync_stores_the_state_and_later_ones_every_few_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica_module, "SAVE_EVERY_TXS", 2)
    ledger = _chain()
    path = tmp_path / "replica.sqlite"
    replica = _synced(path, ledger)
    height = ReplicaStore(path).load_state()
    assert height is not None and height.height == ledger.head().height
    _anchor(ledger, 20)
    replica.sync([Source(ledger)], now=NOW)
    row = ReplicaStore(path).load_state()
    assert row is not None and row.height == ledger.head().height - 1  # one tx: not yet
    _anchor(ledger, 21)
    replica.sync([Source(ledger)], now=NOW)
    row = ReplicaStore(path).load_state()
    assert row is not None and row.height == ledger.head().height
