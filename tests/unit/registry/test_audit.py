"""Tamper detection: changing any byte of a stored block or transaction makes the audit fail
and name the height (``ecert registry audit`` exits 1)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from registry import store
from registry.audit import audit
from registry.cli import app
from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from registry.setup import read_genesis, read_key
from registry.snapshot import import_snapshot
from vc_core.keys import KeyPair
from vc_core.ledger import ChainError, Checkpoint, Transaction, make_block
from vc_core.ledger.sigs import encode_signature
from vc_core.ledger.tx import TxSignature
from vc_core.replica import SNAPSHOT_FORMAT

if TYPE_CHECKING:
    from .conftest import Chain


TAMPERED_HEIGHT = 3


def _build(chain: Chain) -> Path:
    """A chain of 6 blocks (genesis, accreditation, 4 anchor blocks) in ``chain``'s folder."""
    engine = make_engine(chain.settings.db_path)
    ledger = EmbeddedLedger.open(engine, read_key(chain.settings.node_key_path))
    key = KeyPair.from_seed(bytes([7]) * 32)
    ledger.submit(chain.accredit_tx("tp", key), chain.now)
    ledger.produce_block(chain.now)
    office = "did:ecert:unit:tp"
    for block in range(4):
        for i in range(3):
            leaves = [chain.digest(f"marker-{block}-{i}-{j}") for j in range(4)]
            ledger.submit(chain.anchor_tx(office, key, leaves), chain.now)
        ledger.produce_block(chain.now)
    engine.dispose()  # checkpoints the WAL into the main file
    return chain.settings.db_path


def _sql(db: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, args)


def _flip_tx_body(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute(
            "SELECT body FROM tx WHERE height = ? AND position = 1", (TAMPERED_HEIGHT,)
        ).fetchone()
        changed = bytearray(body)
        changed[len(body) // 2] ^= 0x01
        conn.execute(
            "UPDATE tx SET body = ? WHERE height = ? AND position = 1",
            (bytes(changed), TAMPERED_HEIGHT),
        )


def _flip_header(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        (header,) = conn.execute(
            "SELECT header FROM block WHERE height = ?", (TAMPERED_HEIGHT,)
        ).fetchone()
        changed = header.replace(b'"tx_count":3', b'"tx_count":2')
        conn.execute("UPDATE block SET header = ? WHERE height = ?", (changed, TAMPERED_HEIGHT))


def _flip_signature(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        (sig,) = conn.execute(
            "SELECT signature FROM block WHERE height = ?", (TAMPERED_HEIGHT,)
        ).fetchone()
        swapped = sig[:10] + ("2" if sig[10] != "2" else "3") + sig[11:]
        conn.execute("UPDATE block SET signature = ? WHERE height = ?", (swapped, TAMPERED_HEIGHT))


def _reencode_tx(db: Path) -> None:
    """The same JSON value in other bytes (not its JCS): every signature still verifies."""
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute(
            "SELECT body FROM tx WHERE height = ? AND position = 1", (TAMPERED_HEIGHT,)
        ).fetchone()
        conn.execute(
            "UPDATE tx SET body = ? WHERE height = ? AND position = 1",
            (json.dumps(json.loads(body), indent=1).encode(), TAMPERED_HEIGHT),
        )


def _drop_tx(db: Path) -> None:
    _sql(db, "DELETE FROM tx WHERE height = ? AND position = 2", TAMPERED_HEIGHT)


def _move_tx(db: Path) -> None:
    _sql(db, "UPDATE tx SET position = 9 WHERE height = ? AND position = 0", TAMPERED_HEIGHT)


def _raw_file_byte(db: Path) -> None:
    """Flip one byte inside the file itself, in the text of a transaction of that block."""
    data = bytearray(db.read_bytes())
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute(
            "SELECT body FROM tx WHERE height = ? AND position = 1", (TAMPERED_HEIGHT,)
        ).fetchone()
    at = data.index(body[:120])
    data[at + 100] ^= 0x02
    db.write_bytes(bytes(data))


TAMPERS: dict[str, Callable[[Path], None]] = {
    "a byte of a transaction": _flip_tx_body,
    "a byte of a block header": _flip_header,
    "a character of a block signature": _flip_signature,
    "a transaction re-encoded": _reencode_tx,
    "a transaction removed": _drop_tx,
    "a transaction moved": _move_tx,
    "a byte of the raw file": _raw_file_byte,
}


# chunk_txs=1 sends every transaction's signatures to the worker pool even on this small chain;
# the default chunk is larger than the chain, so the audit checks them in-process.
PATHS = {"in-process": {}, "worker pool": {"chunk_txs": 1, "workers": 2}}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("tamper", list(TAMPERS), ids=list(TAMPERS))
def test_tampering_fails_the_audit_at_its_height(chain: Chain, tamper: str, path: str) -> None:
    db = _build(chain)
    genesis = read_genesis(chain.settings.genesis_path).hash
    engine = make_engine(db)
    assert audit(engine, genesis_hash=genesis, **PATHS[path]).ok
    engine.dispose()
    TAMPERS[tamper](db)
    engine = make_engine(db)
    report = audit(engine, genesis_hash=genesis, **PATHS[path])
    engine.dispose()
    assert not report.ok
    assert report.first_bad_height == TAMPERED_HEIGHT, report.lines()
    assert report.head_height == TAMPERED_HEIGHT - 1


def _forged(tx: Transaction, key: KeyPair) -> Transaction:
    """``tx`` with a well-formed signature by its own signer, over other bytes."""
    sig = TxSignature(signer=key.public_multibase, signature=encode_signature(key.sign(b"x")))
    return tx.model_copy(update={"signatures": (sig,)})


@pytest.mark.parametrize("path", list(PATHS))
def test_a_forged_transaction_signature_in_a_late_block_fails_at_its_height(
    chain: Chain, path: str
) -> None:
    """A block the producer signed, holding a transaction whose own signature is forged."""
    db = _build(chain)
    engine = make_engine(db)
    producer = read_key(chain.settings.node_key_path)
    head = store.read_block(engine, store.head_height(engine) or 0).header
    key = KeyPair.from_seed(bytes([7]) * 32)
    for n in range(3):
        txs = [
            chain.anchor_tx("did:ecert:unit:tp", key, [chain.digest(f"late-{n}-{i}")])
            for i in range(3)
        ]
        if n == 2:
            txs[1] = _forged(txs[1], key)
        block = make_block(head, txs, chain.now, producer)
        store.write_block(engine, block)
        head = block.header
    report = audit(engine, genesis_hash=chain.genesis_hash, **PATHS[path])
    engine.dispose()
    assert not report.ok
    assert report.first_bad_height == head.height, report.lines()
    assert report.error is not None and report.error.code == "BAD_SIGNATURE"
    assert report.head_height == head.height - 1


def test_cli_audit_prints_head_counts_and_the_bad_height(chain: Chain) -> None:
    db = _build(chain)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "--data-dir", str(chain.settings.data_dir)])
    assert ok.exit_code == 0, ok.output
    assert "head: height 5" in ok.output and "transactions: 14" in ok.output
    assert "audit: OK" in ok.output
    _flip_tx_body(db)
    bad = runner.invoke(app, ["audit", "--data-dir", str(chain.settings.data_dir)])
    assert bad.exit_code == 1
    assert f"audit: FAILED at height {TAMPERED_HEIGHT}" in bad.output


def test_a_different_genesis_is_refused(chain: Chain) -> None:
    _build(chain)
    engine = make_engine(chain.settings.db_path)
    report = audit(engine, genesis_hash="0" * 64)
    engine.dispose()
    assert not report.ok and report.first_bad_height == 0
    assert report.error is not None and report.error.code == "GENESIS_MISMATCH"


def test_audit_node_start_and_snapshot_import_meet_the_same_bad_block(
    chain: Chain, tmp_path: Path
) -> None:
    """One replay: a forged transaction signature fails each path at the same height and code."""
    db = _build(chain)
    engine = make_engine(db)
    producer = read_key(chain.settings.node_key_path)
    head = store.read_block(engine, store.head_height(engine) or 0).header
    key = KeyPair.from_seed(bytes([7]) * 32)
    txs = [chain.anchor_tx("did:ecert:unit:tp", key, [chain.digest(f"late-{i}")]) for i in range(2)]
    block = make_block(head, [txs[0], _forged(txs[1], key)], chain.now, producer)
    store.write_block(engine, block)
    snapshot = tmp_path / "chain.snapshot"
    checkpoint = Checkpoint(
        chain_id=block.header.chain_id,
        height=block.height,
        head_hash=block.hash,
        time=chain.now,
        signer=producer.public_multibase,
    )
    signature = encode_signature(producer.sign(checkpoint.signing_bytes))
    checkpoint = checkpoint.model_copy(update={"signature": signature})
    header = {
        "format": SNAPSHOT_FORMAT,
        "genesis_hash": chain.genesis_hash,
        "checkpoint": checkpoint.to_dict(),
    }
    lines = [json.dumps(header).encode()]
    lines += [s.to_json_bytes() for s in store.iter_stored(engine, 0)]
    snapshot.write_bytes(b"\n".join(lines) + b"\n")

    report = audit(engine, genesis_hash=chain.genesis_hash)
    assert report.error is not None and report.first_bad_height == block.height
    seen = [(report.error.code, report.first_bad_height)]
    with pytest.raises(ChainError) as started:
        EmbeddedLedger.open(engine, producer, genesis_hash=chain.genesis_hash)
    seen.append((started.value.code, started.value.height))
    with pytest.raises(ChainError) as imported:
        import_snapshot(
            snapshot=snapshot,
            replica_path=tmp_path / "replica.sqlite",
            genesis_hash=chain.genesis_hash,
            now=chain.now,
        )
    seen.append((imported.value.code, imported.value.height))
    engine.dispose()
    assert seen == [("BAD_SIGNATURE", block.height)] * 3


def _tx_rows(db: Path) -> list[tuple[int, int, bytes]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT height, position, body FROM tx ORDER BY height, position"))


def _write_tx(db: Path, height: int, position: int, body: bytes, *, rehash: bool) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE tx SET body = ? WHERE height = ? AND position = ?", (body, height, position)
        )
        if rehash:  # the index column made to match the changed bytes, so only the chain can tell
            conn.execute(
                "UPDATE tx SET hash = ? WHERE height = ? AND position = ?",
                (hashlib.sha256(body).hexdigest(), height, position),
            )


def test_one_flipped_byte_anywhere_in_any_signed_transaction_fails_at_its_height(
    chain: Chain, tmp_path: Path
) -> None:
    """The fast path (workers check the stored bytes; the fold takes them as checked) misses no
    change: one byte of one transaction, at a random position, with its hash column left as it
    was or rewritten to match, fails the audit at that transaction's block, in this process and
    through the worker pool."""
    db = _build(chain)
    rows = _tx_rows(db)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    for trial in range(36):
        height, position, body = rng.choice(rows)
        at, mask = rng.randrange(len(body)), rng.randrange(1, 256)
        changed = bytearray(body)
        changed[at] ^= mask
        copy = tmp_path / f"flip-{trial}.sqlite"
        shutil.copyfile(db, copy)
        _write_tx(copy, height, position, bytes(changed), rehash=trial % 2 == 1)
        path = "worker pool" if trial % 6 == 5 else "in-process"
        engine = make_engine(copy)
        report = audit(engine, genesis_hash=chain.genesis_hash, **PATHS[path])
        engine.dispose()
        where = f"seed {seed} trial {trial}: block {height} tx {position} byte {at} ^ {mask}"
        assert not report.ok, where
        assert report.first_bad_height == height, (where, report.lines())


def test_a_changed_transaction_type_fails_at_its_height(chain: Chain) -> None:
    """A byte that makes the ``type`` unknown (or its name another) is a bad block, not a crash."""
    db = _build(chain)
    rows = [r for r in _tx_rows(db) if r[0] == TAMPERED_HEIGHT]
    height, position, body = rows[0]
    for changed in (body.replace(b'"type":', b'"typf":'), body.replace(b'"anchor"', b'"anchoz"')):
        _write_tx(db, height, position, changed, rehash=False)
        engine = make_engine(db)
        report = audit(engine, genesis_hash=chain.genesis_hash)
        engine.dispose()
        assert not report.ok and report.first_bad_height == TAMPERED_HEIGHT, report.lines()
