"""Crash: SIGKILL the registry while 20 writers submit; after a restart every transaction that
was reported included is there exactly once, and the audit is clean.

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
from vc_core.keys import KeyPair
from vc_core.ledger import AccreditBody, AnchorBody, Scope, council_tx, office_did, office_tx

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
