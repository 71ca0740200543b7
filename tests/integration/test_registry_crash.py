"""Crash: SIGKILL the registry while 20 writers submit; after a restart every transaction that
was reported included is there exactly once, and the audit is clean. And, since ``202 pending``
is not durable (docs/adr/0001-pending-durability.md): SIGKILL right after 20 writers were
answered 202, and every client resubmitting until ``included`` converges to exactly once.

Real processes: ``python -m registry serve`` on 127.0.0.1 with SQLite in a temp folder.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from registry.config import Settings
from registry.setup import init_registry, read_key
from registry.testing import start_node
from registry.txfiles import submit_until_included
from vc_core.errors import NotFoundError, RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Scope,
    Transaction,
    council_tx,
    office_did,
    office_tx,
)
from vc_core.registry_client import RegistryClient

pytestmark = pytest.mark.integration

CHAIN = "crash"
WRITERS = 20
# Kill the node once this many transactions were reported included: enough that the kill lands
# mid-stream with writes in flight. The test waits for the count, not for a fixed time, so a slow
# machine only makes it slower; LIVENESS_S only bounds a node that makes no progress at all.
KILL_AFTER = 60
LIVENESS_S = 300.0
WAIT = {"Prefer": "wait=10"}
JSON = {"Content-Type": "application/json"}


def _accredit_all(url: str, council: list[KeyPair], keys: list[KeyPair], now: datetime) -> None:
    with httpx.Client(base_url=url, timeout=30, headers=JSON) as http:
        for i, key in enumerate(keys):
            body = AccreditBody(
                office=office_did(CHAIN, f"office-{i}"),
                name=f"Office {i}",
                uscc="91350100M000100Y43",
                scopes=(
                    Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),
                ),
                valid_from=now - timedelta(days=1),
                initial_key=key.public_multibase,
            )
            tx = council_tx(
                CHAIN,
                "issuer.accredit",
                body,
                proposer=council[0],
                seq=i + 2,
                time=now,
                signers=council[1:2],
            )
            last = i + 1 == len(keys)
            r = http.post("/transactions", content=tx.to_json(), headers=WAIT if last else {})
            assert r.status_code == (200 if last else 202), r.text


def _writer(url: str, n: int, key: KeyPair, included: list[str], stop: threading.Event) -> None:
    office = office_did(CHAIN, f"office-{n}")
    with httpx.Client(base_url=url, timeout=15, headers=JSON) as http:
        for seq in range(1, 10_000):
            if stop.is_set():
                return
            leaf = f"{n:04x}{seq:060x}"
            body = AnchorBody(batch_id=f"w{n}-{seq}", batch_root=leaf, leaf_count=1)
            tx = office_tx(
                CHAIN, "anchor", body, office=office, seq=seq, time=datetime.now(UTC), key=key
            )
            try:
                r = http.post("/transactions", content=tx.to_json(), headers=WAIT)
            except httpx.TransportError:
                return
            if r.status_code == 200 and r.json()["state"] == "included":
                included.append(tx.hash)
            else:
                return


def _wait_for_included(included: list[str], threads: list[threading.Thread]) -> None:
    """Return once ``KILL_AFTER`` transactions are included; fail if the writers all stopped
    first or nothing moves for ``LIVENESS_S`` (a hung node, not a slow one)."""
    deadline = time.monotonic() + LIVENESS_S
    while len(included) < KILL_AFTER:
        if not any(t.is_alive() for t in threads):
            pytest.fail(f"every writer stopped after {len(included)} inclusions")
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(included)} inclusions in {LIVENESS_S:.0f} s: the node is stuck")
        time.sleep(0.02)


def test_sigkill_while_20_writers_submit(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    settings = Settings(data_dir=tmp_path / "node")
    result = init_registry(settings=settings, chain_id=CHAIN, council_size=3, threshold=2, now=now)
    council = [read_key(p) for p in result.council_key_paths]
    keys = [KeyPair.from_seed(bytes([i + 1]) * 32) for i in range(WRITERS)]

    node = start_node(settings.data_dir, env={"REGISTRY_BLOCK_INTERVAL_MS": "50"})
    included: list[str] = []
    stop = threading.Event()
    try:
        _accredit_all(node.url, council, keys, now)
        threads = [
            threading.Thread(target=_writer, args=(node.url, i, keys[i], included, stop))
            for i in range(WRITERS)
        ]
        for t in threads:
            t.start()
        _wait_for_included(included, threads)
        node.kill()  # SIGKILL mid-stream: no shutdown hook runs
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        node.kill()
    assert len(included) >= KILL_AFTER

    node = start_node(settings.data_dir)
    try:
        with httpx.Client(base_url=node.url, timeout=30) as http:
            for tx_hash in included:
                assert http.get(f"/transactions/{tx_hash}").json()["state"] == "included"
            seen: Counter[str] = Counter()
            start = 0
            while True:
                page = http.get("/blocks", params={"from": start, "limit": 100}).json()
                for block in page["blocks"]:
                    seen.update(tx["body"].get("batch_id", "") for tx in block["transactions"])
                start += len(page["blocks"])
                if start > page["head"]:
                    break
    finally:
        node.stop()
    anchors = {k: v for k, v in seen.items() if k}
    assert anchors and max(anchors.values()) == 1, "no transaction is in the chain twice"

    audit = subprocess.run(
        [sys.executable, "-m", "registry", "audit", "--data-dir", str(settings.data_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "audit: OK" in audit.stdout


# Pending transactions live in memory (docs/adr/0001-pending-durability.md): a 202 is not durable,
# so every client resubmits until `included`. This test shows that resubmission converges.
ACK_BEFORE_KILL = 100
PER_WRITER = 15


def _ack_writer(
    url: str, n: int, key: KeyPair, acked: list[Transaction], stop: threading.Event
) -> None:
    """Submit anchors without waiting (each answered 202 pending) until the node dies."""
    office = office_did(CHAIN, f"office-{n}")
    with RegistryClient(url, timeout_s=15, retries=0) as client:
        for seq in range(1, PER_WRITER + 1):
            if stop.is_set():
                return
            leaf = f"{n:04x}{seq:060x}"
            body = AnchorBody(batch_id=f"a{n}-{seq}", batch_root=leaf, leaf_count=1)
            tx = office_tx(
                CHAIN, "anchor", body, office=office, seq=seq, time=datetime.now(UTC), key=key
            )
            try:
                status = client.submit(tx)
            except RegistryError:
                return
            if status.state not in ("pending", "included"):
                return
            acked.append(tx)


def test_resubmission_converges_to_exactly_once_after_sigkill(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    settings = Settings(data_dir=tmp_path / "node")
    result = init_registry(settings=settings, chain_id=CHAIN, council_size=3, threshold=2, now=now)
    council = [read_key(p) for p in result.council_key_paths]
    keys = [KeyPair.from_seed(bytes([i + 1]) * 32) for i in range(WRITERS)]

    # A long block interval keeps most acknowledged transactions pending when the node dies.
    node = start_node(settings.data_dir, env={"REGISTRY_BLOCK_INTERVAL_MS": "1000"})
    acked: list[Transaction] = []
    stop = threading.Event()
    try:
        _accredit_all(node.url, council, keys, now)
        threads = [
            threading.Thread(target=_ack_writer, args=(node.url, i, keys[i], acked, stop))
            for i in range(WRITERS)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + LIVENESS_S
        while len(acked) < ACK_BEFORE_KILL and any(t.is_alive() for t in threads):
            assert time.monotonic() < deadline, "the node is stuck"
            time.sleep(0.005)
        node.kill()  # right after the 202s: whatever was pending is gone
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        node.kill()
    assert len(acked) >= ACK_BEFORE_KILL

    node = start_node(settings.data_dir)
    try:
        with RegistryClient(node.url, timeout_s=30) as client:
            lost = sum(1 for tx in acked if _state(client, tx.hash) == "unknown")
            # Each writer resubmits what it was told was pending, in its own order.
            for tx in sorted(acked, key=lambda t: (t.author, t.seq)):
                answer = submit_until_included(client, tx, wait_s=60)
                assert answer["state"] == "included"
            seen: Counter[str] = Counter()
            for block in client.iter_blocks():
                seen.update(tx.hash for tx in block.transactions)
    finally:
        node.stop()
    assert lost > 0, "the kill must have lost some pending transactions for this to show much"
    assert all(seen[tx.hash] == 1 for tx in acked), "every acknowledged tx is in exactly once"
    assert max(seen.values()) == 1


def _state(client: RegistryClient, tx_hash: str) -> str:
    try:
        return str(client.get_json(f"/transactions/{tx_hash}")["state"])
    except NotFoundError:
        return "unknown"
