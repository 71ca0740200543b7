"""``ecert verify`` as a person runs it: a real chain synced into a replica file, real
subprocesses, one test per exit code (0 valid, 1 invalid, 2 malformed, 3 could not check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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

CHAIN = "cli-verify"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COUNCIL = KeyPair.from_seed(b"\x61" * 32)
PRODUCER = KeyPair.from_seed(b"\x62" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x63" * 32)
OFFICE = office_did(CHAIN, "land-bureau")

Run = Callable[..., subprocess.CompletedProcess[str]]


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


@dataclass
class Files:
    genesis: str
    replica: Path
    valid: Path
    revoked: Path
    bundle: Path
    head_time: datetime


def _deed(number: int, at: datetime) -> dict[str, Any]:
    draft = example_credential("PropertyDeedCredential")
    draft["id"] = f"urn:ecert:cli:{number}"
    vm = f"{OFFICE}#{OFFICE_KEY.public_multibase}"
    return issue_credential(
        draft, OFFICE_KEY, suite="eddsa-jcs-2022", now=at, verification_method=vm
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """Block 1 accredits the office, block 2 anchors two deeds, block 3 revokes the second;
    the chain is synced into a replica file, and the first deed also written as a bundle."""
    folder = tmp_path_factory.mktemp("verify-cli")
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    t = T0 + timedelta(seconds=1)
    accredit = AccreditBody(
        office=OFFICE,
        name="Land bureau",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="PropertyDeedCredential", division_prefixes=("5101",)),),
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
    tx = office_tx(CHAIN, "anchor", anchor, office=OFFICE, seq=1, time=t, key=OFFICE_KEY)
    ledger.submit(tx, t)
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
    receipt = make_receipt(ledger.block(2), 0, leaves[0])
    blocks = [ledger.block(h) for h in range(ledger.head().height + 1)]
    bundle = build_bundle(deeds[0], receipt, ledger.checkpoint(t), blocks)
    paths = {name: folder / f"{name}.json" for name in ("valid", "revoked", "bundle")}
    paths["valid"].write_text(json.dumps(deeds[0], ensure_ascii=False), encoding="utf-8")
    paths["revoked"].write_text(json.dumps(deeds[1], ensure_ascii=False), encoding="utf-8")
    paths["bundle"].write_text(bundle.to_json(), encoding="utf-8")
    return Files(genesis, folder / "replica.sqlite", head_time=t, **paths)


@pytest.fixture
def ecert(tmp_path: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "ecert", "verify", *args],
            check=False,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    return run


def _at(files: Files, minutes: int = 1) -> str:
    return (files.head_time + timedelta(minutes=minutes)).isoformat()


def test_valid_exits_0_and_prints_the_steps(ecert: Run, files: Files) -> None:
    proc = ecert(
        str(files.valid),
        "--replica",
        str(files.replica),
        "--genesis",
        files.genesis,
        "--now",
        _at(files),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("parse", "proof", "issuer key", "accreditation", "anchor", "freshness"):
        assert name in proc.stdout
    assert "verdict: valid" in proc.stdout


def test_revoked_exits_1_with_the_code(ecert: Run, files: Files) -> None:
    proc = ecert(
        str(files.revoked),
        "--replica",
        str(files.replica),
        "--genesis",
        files.genesis,
        "--now",
        _at(files),
        "--json",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "invalid"
    assert [s["code"] for s in report["steps"] if s["status"] == "failed"] == ["REVOKED"]


def test_revoked_as_of_before_the_revocation_exits_0(ecert: Run, files: Files) -> None:
    before = (files.head_time - timedelta(milliseconds=500)).isoformat()
    proc = ecert(
        str(files.revoked),
        "--replica",
        str(files.replica),
        "--genesis",
        files.genesis,
        "--now",
        _at(files),
        "--as-of",
        before,
    )
    assert proc.returncode == 0, proc.stdout


def test_a_stale_replica_exits_3(ecert: Run, files: Files) -> None:
    proc = ecert(
        str(files.valid),
        "--replica",
        str(files.replica),
        "--genesis",
        files.genesis,
        "--now",
        _at(files, minutes=60),
        "--json",
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "could_not_check"
    assert "REPLICA_TOO_OLD" in [s.get("code") for s in report["steps"]]


def test_a_replica_of_another_genesis_exits_3(ecert: Run, files: Files) -> None:
    proc = ecert(
        str(files.valid),
        "--replica",
        str(files.replica),
        "--genesis",
        "0" * 64,
        "--now",
        _at(files),
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "GENESIS_MISMATCH" in proc.stderr


def test_an_unreachable_registry_exits_3(ecert: Run, files: Files) -> None:
    proc = ecert(str(files.valid), "--registry", "http://127.0.0.1:9", "--genesis", files.genesis)
    assert proc.returncode == 3, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("content", "extra"),
    [
        ("{not json", ()),
        ("[1, 2]", ()),
        (None, ("--max-age", "soon")),
        (None, ("--bundle",)),  # two sources at once
    ],
)
def test_malformed_input_or_usage_exits_2(
    ecert: Run, files: Files, tmp_path: Path, content: str | None, extra: tuple[str, ...]
) -> None:
    target = files.valid
    if content is not None:
        target = tmp_path / "bad.json"
        target.write_text(content, encoding="utf-8")
    proc = ecert(
        str(target),
        "--replica",
        str(files.replica),
        "--genesis",
        files.genesis,
        "--now",
        _at(files),
        *extra,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr


def test_a_bundle_verifies_offline_and_exits_0(ecert: Run, files: Files) -> None:
    proc = ecert(str(files.bundle), "--bundle", "--genesis", files.genesis, "--now", _at(files))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    days_later = ecert(
        str(files.bundle),
        "--bundle",
        "--genesis",
        files.genesis,
        "--now",
        _at(files, minutes=3 * 24 * 60),
    )
    assert days_later.returncode == 3
    wallet = ecert(
        str(files.bundle),
        "--bundle",
        "--genesis",
        files.genesis,
        "--max-age",
        "7d",
        "--now",
        _at(files, minutes=3 * 24 * 60),
    )
    assert wallet.returncode == 0
