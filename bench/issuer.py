"""Issuer throughput on this machine (run: ``.venv/bin/python bench/issuer.py``; ``--quick``).

Sustained issuance per second **including signing, storage and anchoring**: the clock runs
from the first request until the issuer reports every credential anchored, which it does only
once the registry included the batch's anchor transaction in a block. Per cryptosuite
(``eddsa-jcs-2022``, ``eddsa-rdfc-2022``), two ways:

1. **Batches**: ``POST /batches`` with N driving-licence rows (CSV); the issuer's batch runner
   checks and stores them a chunk per transaction and signs them in a pool of
   ``--processes`` processes (``ISSUER_SIGNING_PROCESSES``).
2. **Single POSTs**: ``POST /credentials/issue`` from ``--connections`` concurrent keep-alive
   connections (signing in the uvicorn process, one core at most).

Each is run ``--runs`` times (median reported) on a real registry node and a real issuer,
each its own process on 127.0.0.1 over SQLite files (WAL). The time from issue to receipt
available is read from the issuer's database: each credential's ``issued_at`` against its
batch's ``anchored_at`` (the moment ``GET /credentials/{id}/receipt`` starts answering 200).

Baselines measured in the same run, on all cores (a process per core): raw Ed25519 signatures
per second, and the bare issuance recipe per suite (``vc_core.issuance.issue_credential`` on the
same draft with its status entries: schema, identifiers, canonical form, signature, no
storage), which is the ceiling the issuer's rate is compared with.

Targets (issue 8), on the 2-core CI machine: ≥ 2,000/s with ``eddsa-jcs-2022``, ≥ 1,000/s
with ``eddsa-rdfc-2022``. Caveat: the machine is shared; the ratio to the same-run baseline
is the meaningful figure.
"""

# ruff: noqa: E402  (bench/ must leave the import path before the registry package is imported)

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import httpx
from sqlmodel import Session, select

from issuer.config import Settings
from issuer.db import make_engine
from issuer.tables import BatchRow, CredentialRow, OutboxRow
from issuer.testing import start_issuer
from registry.testing import running_node
from tests.integration.live_registry import LiveChain
from tests.integration.offices import DRIVER, PASSPHRASE, example_draft, make_office
from tests.integration.test_issuer_batches import _rows_csv
from vc_core.canon import default_contexts
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.registry_client import RegistryClient

SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")
TARGETS = {"eddsa-jcs-2022": 2000.0, "eddsa-rdfc-2022": 1000.0}
STATUS = [
    {
        "id": f"http://127.0.0.1:1/status-lists/tp/{p}/0#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": p,
        "statusListIndex": "5",
        "statusListCredential": f"http://127.0.0.1:1/status-lists/tp/{p}/0",
    }
    for p in ("revocation", "suspension")
]

# Baselines ------------------------------------------------------------------------------------


def _sign_for(seconds: float) -> tuple[int, float]:
    key, n, end = KeyPair.generate(), 0, time.perf_counter() + seconds
    cpu = time.process_time()
    while time.perf_counter() < end:
        for _ in range(100):
            key.sign(b"m" * 64)
        n += 100
    return n, time.process_time() - cpu


def _issue_for(args: tuple[str, float]) -> tuple[int, float]:
    suite, seconds = args
    key, contexts = KeyPair.generate(), default_contexts()
    did = "did:ecert:bench:tp"
    vm = f"{did}#{key.public.multibase}"
    draft = {**example_draft(DRIVER), "issuer": did, "credentialStatus": STATUS, "id": "urn:uuid:x"}
    now, n = datetime.now(UTC), 0
    draft["id"] = "urn:uuid:00000000-0000-4000-8000-ffffffffffff"
    issue_credential(draft, key, suite=suite, now=now, contexts=contexts, verification_method=vm)
    end, cpu = time.perf_counter() + seconds, time.process_time()
    while time.perf_counter() < end:
        draft["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        issue_credential(
            draft, key, suite=suite, now=now, contexts=contexts, verification_method=vm
        )
        n += 1
    return n, time.process_time() - cpu


def baselines(seconds: float) -> dict[str, float]:
    """Per second on all cores (wall), and CPU ms per operation (``<name>/cpu_ms``)."""
    cores = os.cpu_count() or 1
    out = {}
    with ProcessPoolExecutor(cores) as pool:
        jobs: dict[str, list[tuple[int, float]]] = {
            "ed25519": list(pool.map(_sign_for, [seconds] * cores))
        }
        for suite in SUITES:
            jobs[suite] = list(pool.map(_issue_for, [(suite, seconds)] * cores))
    for name, results in jobs.items():
        count = sum(n for n, _ in results)
        out[name] = count / seconds
        out[f"{name}/cpu_ms"] = 1000 * sum(c for _, c in results) / count
    return out


# The issuer on a chain ------------------------------------------------------------------------


def _office(tmp: Path, chain: LiveChain) -> tuple[Path, str]:
    office = make_office(tmp, chain, roles=("issuer",))
    return office.data, office.tokens["issuer"]


def _wait_anchored(url: str, headers: dict[str, str], batch_id: str) -> dict[str, Any]:
    while True:
        got: dict[str, Any] = httpx.get(f"{url}/batches/{batch_id}", headers=headers).json()
        if got["state"] == "done" and got["anchored"] == got["issued"]:
            return got
        time.sleep(0.05)


def run_batch(url: str, headers: dict[str, str], rows: int) -> tuple[float, int]:
    body = _rows_csv(rows)
    start = time.perf_counter()
    answer = httpx.post(
        f"{url}/batches?type={DRIVER}",
        content=body,
        headers={**headers, "Content-Type": "text/csv"},
        timeout=300,
    )
    answer.raise_for_status()
    done = _wait_anchored(url, headers, answer.json()["id"])
    elapsed = time.perf_counter() - start
    assert done["issued"] == rows, done
    return done["issued"] / elapsed, done["issued"]


async def _post_loop(
    client: httpx.AsyncClient, headers: dict[str, str], until: float, ids: list[str]
) -> None:
    draft = example_draft(DRIVER)
    while time.perf_counter() < until:
        answer = await client.post(
            "/credentials/issue", json={"credential": draft}, headers=headers
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["verifiableCredential"]["id"])


def run_singles(
    url: str, headers: dict[str, str], seconds: float, connections: int, db_url: str
) -> tuple[float, int]:
    ids: list[str] = []

    async def load() -> None:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
            until = time.perf_counter() + seconds
            await asyncio.gather(
                *(_post_loop(client, headers, until, ids) for _ in range(connections))
            )

    start = time.perf_counter()
    asyncio.run(load())
    engine = make_engine(db_url)
    while True:  # until every one is in an included anchor
        with Session(engine) as session:
            waiting = session.exec(
                select(OutboxRow.id)
                .join(BatchRow, BatchRow.id == OutboxRow.batch_id, isouter=True)  # type: ignore[arg-type]
                .where(BatchRow.anchored_at == None)  # noqa: E711
                .limit(1)
            ).first()
        if waiting is None:
            break
        time.sleep(0.05)
    engine.dispose()
    return len(ids) / (time.perf_counter() - start), len(ids)


def latencies(db_url: str, since: str) -> list[float]:
    """Seconds from issue to receipt available, for the credentials issued after ``since``."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = session.exec(
            select(CredentialRow.issued_at, BatchRow.anchored_at)
            .join(OutboxRow, OutboxRow.credential_id == CredentialRow.id)  # type: ignore[arg-type]
            .join(BatchRow, BatchRow.id == OutboxRow.batch_id)  # type: ignore[arg-type]
            .where(CredentialRow.issued_at > since)
        ).all()
    engine.dispose()
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return [
        (datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds()
        for a, b in rows
        if b is not None
    ]


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live children (the signing
    pool), from ``/proc``: unlike wall time, this does not depend on what else the shared
    machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, …; utime and stime are fields 14 and 15 of stat(5).
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """CPU seconds of the issuer (with its pool) and of the registry node during a run."""

    def __init__(self, issuer_pid: int, node_pid: int) -> None:
        self.pids = (issuer_pid, node_pid)
        self.start = self._now()

    def _now(self) -> tuple[float, float]:
        return (_cpu_s(self.pids[0]), _cpu_s(self.pids[1]))

    def per_credential_ms(self, count: int) -> tuple[float, float]:
        issuer, node = self._now()
        return (
            1000 * (issuer - self.start[0]) / max(count, 1),
            1000 * (node - self.start[1]) / max(count, 1),
        )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def bench_suite(args: argparse.Namespace, suite: str, base: dict[str, float]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        chain, node_ctx, client, chain_pid = _chain(tmp)
        try:
            data, token = _office(tmp, chain)
            env = {
                "ISSUER_PASSPHRASE": PASSPHRASE,
                "ISSUER_REGISTRY_URL": chain.url,
                "ISSUER_GENESIS_HASH": chain.genesis_hash,
                "ISSUER_SUITE_BY_TYPE": json.dumps({DRIVER: suite}),
                "ISSUER_SIGNING_PROCESSES": str(args.processes),
                "ISSUER_BATCH_CHUNK": str(args.chunk),
                "ISSUER_BATCH_MAX_LEAVES": str(args.leaves),
                "ISSUER_BATCH_MAX_AGE_S": "0.5",
            }
            issuer = start_issuer(data, env=env)
            headers = {"Authorization": f"Bearer {token}"}
            db_url = Settings(data_dir=data).db_url
            try:
                rows = args.rows if suite.endswith("jcs-2022") else args.rows // 2
                node_pid = chain_pid
                # Warm up: the signing pool starts its processes on first use, and the first
                # requests load schemas and contexts; none of that is sustained issuance.
                run_batch(issuer.url, headers, 200)
                since, meter = _stamp(), CpuMeter(issuer.process.pid, node_pid)
                runs = [run_batch(issuer.url, headers, rows) for _ in range(args.runs)]
                cpu = meter.per_credential_ms(sum(n for _, n in runs))
                lat = latencies(db_url, since)
                how = f"batches of {rows}"
                _report(suite, how, runs, lat, base, f"{args.processes} signing + 1", cpu)
                since, meter = _stamp(), CpuMeter(issuer.process.pid, node_pid)
                runs = [
                    run_singles(issuer.url, headers, args.seconds, args.connections, db_url)
                    for _ in range(args.runs)
                ]
                cpu = meter.per_credential_ms(sum(n for _, n in runs))
                lat = latencies(db_url, since)
                how = f"POST x{args.connections} conn"
                _report(suite, how, runs, lat, base, "1 (uvicorn)", cpu)
            finally:
                issuer.stop()
        finally:
            client.close()
            node_ctx.__exit__(None, None, None)


def _chain(tmp: Path) -> tuple[LiveChain, Any, RegistryClient, int]:
    from registry.config import Settings as RegistrySettings
    from registry.setup import init_registry, read_key

    data = tmp / "node"
    made = init_registry(
        settings=RegistrySettings(data_dir=data),
        chain_id="bench",
        council_size=1,
        threshold=1,
        now=datetime.now(UTC),
    )
    node_ctx = running_node(data)
    node = node_ctx.__enter__()
    client = RegistryClient(node.url)
    chain = LiveChain(
        url=node.url,
        chain_id="bench",
        genesis_hash=made.genesis_hash,
        council=read_key(made.council_key_paths[0]),
        producer=read_key(made.node_key_path),
        data_dir=data,
        client=client,
    )
    return chain, node_ctx, client, node.process.pid


def _report(
    suite: str,
    how: str,
    runs: list[tuple[float, int]],
    lat: list[float],
    base: dict[str, float],
    processes: str,
    cpu_ms: tuple[float, float],
) -> None:
    rates = [r for r, _ in runs]
    rate = statistics.median(rates)
    ceiling = base[suite]
    cores = os.cpu_count() or 1
    per = cpu_ms[0] + cpu_ms[1]
    print(
        f"{suite} {how}: {rate:.0f}/s anchored (median of {len(rates)}: "
        f"{', '.join(f'{r:.0f}' for r in rates)}); issuer processes: {processes}; "
        f"target {TARGETS[suite]:.0f}/s {'MET' if rate >= TARGETS[suite] else 'NOT MET'}\n"
        f"    {rate / ceiling:.0%} of the bare recipe on all cores ({ceiling:.0f}/s), "
        f"{rate / base['ed25519']:.1%} of raw Ed25519 ({base['ed25519']:.0f}/s)\n"
        f"    CPU per credential: issuer {cpu_ms[0]:.2f} ms + registry {cpu_ms[1]:.2f} ms = "
        f"{per:.2f} ms, so at most {cores * 1000 / per:.0f}/s on {cores} idle cores; the "
        f"bare recipe is {base[suite + '/cpu_ms']:.2f} ms ({per / base[suite + '/cpu_ms']:.1f}x)\n"
        f"    issue to receipt available: median {_pct(lat, 0.5):.2f} s, "
        f"p99 {_pct(lat, 0.99):.2f} s; load average now {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small numbers, one run each")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per jcs batch (rdfc: half)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--leaves", type=int, default=4096, help="ISSUER_BATCH_MAX_LEAVES")
    parser.add_argument("--seconds", type=float, default=5.0, help="single-POST load time")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--suite", choices=SUITES, action="append")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs, args.seconds = 2000, 1, 2.0
    print(f"cores: {os.cpu_count()}; load average now: {os.getloadavg()[0]:.1f}")
    base = baselines(1.0 if args.quick else 3.0)
    print(
        f"baseline (all cores): raw Ed25519 {base['ed25519']:.0f} sign/s "
        f"({base['ed25519/cpu_ms'] * 1000:.0f} µs CPU each); bare issuance recipe "
        + ", ".join(f"{s} {base[s]:.0f}/s ({base[s + '/cpu_ms']:.2f} ms CPU each)" for s in SUITES)
    )
    for suite in args.suite or SUITES:
        bench_suite(args, suite, base)


if __name__ == "__main__":
    main()
