"""Audits pinned to what the auditor trusts (issue 7 item 4): a chain that lost its last blocks
fails ``audit --checkpoint`` naming the height expected; ``--from-checkpoint`` re-verifies only
the blocks after a saved audit state, and is pinned the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ecert.cli import run
from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from registry.setup import read_key
from vc_core.keys import KeyPair
from vc_core.ledger import Checkpoint

if TYPE_CHECKING:
    from .conftest import Chain

KEY = KeyPair.from_seed(bytes([7]) * 32)
OFFICE = "did:ecert:unit:tp"


def _grow(chain: Chain, blocks: int, *, accredit: bool = False) -> Checkpoint:
    """``blocks`` more anchor blocks (after an accreditation if asked); the head checkpoint."""
    engine = make_engine(chain.settings.db_path)
    ledger = EmbeddedLedger.open(engine, read_key(chain.settings.node_key_path))
    if accredit:
        ledger.submit(chain.accredit_tx("tp", KEY), chain.now)
        ledger.produce_block(chain.now)
    for _ in range(blocks):
        n = chain.next_seq("leaf-counter")
        leaves = [chain.digest(f"leaf-{n}-{j}") for j in range(3)]
        ledger.submit(chain.anchor_tx(OFFICE, KEY, leaves), chain.now)
        ledger.produce_block(chain.now)
    checkpoint = ledger.checkpoint(chain.now)
    engine.dispose()
    return checkpoint


def _drop_tail(db: Path, from_height: int) -> None:
    """Delete every row of the blocks at ``from_height`` and above (a chain that lost its tail)."""
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM tx WHERE height >= ?", (from_height,))
        conn.execute("DELETE FROM block WHERE height >= ?", (from_height,))


def _audit(chain: Chain, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = run(
        [
            "registry",
            "audit",
            "--data-dir",
            str(chain.settings.data_dir),
            "--genesis-hash",
            chain.genesis_hash,
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_chain_that_lost_its_last_blocks_fails_against_the_checkpoint(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = _grow(chain, 5, accredit=True)  # heights 0…6
    assert checkpoint.height == 6
    cp_file = tmp_path / "checkpoint.json"
    cp_file.write_text(checkpoint.to_json())
    assert _audit(chain, capsys, "--checkpoint", str(cp_file))[0] == 0

    _drop_tail(chain.settings.db_path, 4)  # the last 3 blocks, all their rows
    code, out = _audit(chain, capsys)
    assert code == 0, "without a pin, a shorter chain is a valid chain"
    code, out = _audit(chain, capsys, "--checkpoint", str(cp_file))
    assert code == 1
    assert "expected height 6" in out and "CHAIN_SHORTER_THAN_CHECKPOINT" in out
    assert "ends at height 3" in out


def test_a_rewritten_block_at_the_checkpoint_height_fails(
    chain: Chain,
    make_chain,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    checkpoint = _grow(chain, 2, accredit=True)
    forged = checkpoint.model_copy(update={"head_hash": "0" * 64})
    cp_file = tmp_path / "checkpoint.json"
    cp_file.write_text(forged.to_json())
    code, out = _audit(chain, capsys, "--checkpoint", str(cp_file))
    assert code == 1 and "CHECKPOINT_MISMATCH" in out and "expected height 3" in out


def test_a_checkpoint_not_signed_by_the_producer_fails(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = _grow(chain, 2, accredit=True)
    forged = checkpoint.model_copy(update={"signer": KeyPair.generate().public_multibase})
    cp_file = tmp_path / "checkpoint.json"
    cp_file.write_text(forged.to_json())
    code, out = _audit(chain, capsys, "--checkpoint", str(cp_file))
    assert code == 1 and "BAD_CHECKPOINT" in out


def test_the_incremental_audit_verifies_only_new_blocks_and_is_pinned(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _grow(chain, 4, accredit=True)  # heights 0…5
    saved = tmp_path / "audit.state"
    code, out = _audit(chain, capsys, "--save-checkpoint", str(saved))
    assert code == 0 and "saved the audit state at height 5" in out
    assert "blocks: 6 " in out

    _grow(chain, 3)  # heights 6…8
    code, out = _audit(chain, capsys, "--from-checkpoint", str(saved))
    assert code == 0, out
    assert "blocks: 3 " in out and "head: height 8" in out

    # Nothing new: still a clean audit of zero blocks, at the same head.
    code, out = _audit(
        chain, capsys, "--from-checkpoint", str(saved), "--save-checkpoint", str(saved)
    )
    assert code == 0 and "blocks: 3 " in out
    code, out = _audit(chain, capsys, "--from-checkpoint", str(saved))
    assert code == 0 and "blocks: 0 " in out and "head: height 8" in out

    _drop_tail(chain.settings.db_path, 7)
    code, out = _audit(chain, capsys, "--from-checkpoint", str(saved))
    assert code == 1 and "expected height 8" in out


def test_a_damaged_audit_state_is_refused(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _grow(chain, 1, accredit=True)
    saved = tmp_path / "audit.state"
    assert _audit(chain, capsys, "--save-checkpoint", str(saved))[0] == 0
    data = bytearray(saved.read_bytes())
    data[-1] ^= 1
    saved.write_bytes(bytes(data))
    code, out = _audit(chain, capsys, "--from-checkpoint", str(saved))
    assert code == 2 and "BAD_AUDIT_STATE" in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--checkpoint", "--from-checkpoint"])
def test_a_missing_pin_file_is_one_line_exit_2(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    code, out = _audit(chain, capsys, option, str(tmp_path / "nope"))
    assert code == 2 and "FILE_NOT_FOUND" in out and len(out.strip().splitlines()) == 1


def test_an_unwritable_save_path_is_one_line_exit_2(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _audit(chain, capsys, "--save-checkpoint", str(tmp_path / "no" / "audit.state"))
    assert code == 2 and "UNWRITABLE" in out and len(out.strip().splitlines()) == 1
