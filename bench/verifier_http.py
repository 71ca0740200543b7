"""Verifier HTTP benchmark: ``POST /credentials/verify`` against a real verifier process, beside a
hello-world FastAPI app measured in the same run with the same number of workers (one).

Run: ``.venv/bin/python bench/verifier_http.py`` (``--quick`` for a short run).

The chain is ``bench/verifier.py``'s (one office accredited for every type, every example
issued in both suites and anchored); a replica file is synced from it in process, with a
checkpoint signed now, and the verifier serves it with no registry configured (so it never
syncs, and never touches the network while verifying). Each server is a ``uvicorn`` child
process on 127.0.0.1; the load is ``CONNECTIONS`` concurrent keep-alive connections from one
asyncio ``httpx`` client in this process, each sending requests back to back. Every answer
is checked (200 and ``valid`` for the verifier) before it counts.

Targets (issue 9): requests per second ≥ 60 % of the hello-world app's for deeds signed with
``eddsa-jcs-2022``, ≥ 35 % with ``eddsa-rdfc-2022``; p99 ≤ 25 ms at 32 connections.
Caveat: the load generator shares the machine's cores with the server under test (and with
whatever else runs), so both figures are lower bounds of what a dedicated server would do; the
ratio between the two apps, measured the same way in the same run, is the meaningful number.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Keep bench/ itself off the import path (bench/registry.py shares a package's name).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import httpx  # noqa: E402

from vc_core.ledger import BlockPage, Checkpoint, MemoryLedger  # noqa: E402
from vc_core.replica import Replica  # noqa: E402
from verifier.testing import free_port  # noqa: E402

CONNECTIONS = 32
DEED = "PropertyDeedCredential"
TARGETS = {"eddsa-jcs-2022": 0.60, "eddsa-rdfc-2022": 0.35}
P99_TARGET_MS = 25.0
HELLO = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/hello")
async def hello() -> dict[str, bool]:
    return {"ok": True}
"""


def _chain() -> tuple[MemoryLedger, dict[tuple[str, str], dict[str, Any]]]:
    spec = importlib.util.spec_from_file_location("bench_verifier", _HERE / "verifier.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ledger, issued, _ = module.build()
    return ledger, issued


class _Source:
    """The in-process chain as a block source, with a checkpoint signed now."""

    name = "bench chain"

    def __init__(self, ledger: MemoryLedger, now: datetime) -> None:
        self.ledger, self.now = ledger, now

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = self.ledger.head().height
        heights = range(start, min(head + 1, start + limit))
        return BlockPage(head=head, blocks=[self.ledger.block(h) for h in heights])

    def checkpoint(self) -> Checkpoint:
        return self.ledger.checkpoint(self.now)


def _serve(cmd: list[str], port: int, cwd: Path, ready_path: str) -> subprocess.Popen[bytes]:
    log = (cwd / f"server-{port}.log").open("ab")
    process = subprocess.Popen(
        cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"server on {port} did not start; see {cwd}")


async def _load(url: str, body: bytes, total: int, expect: str) -> tuple[float, list[float]]:
    """``total`` requests over CONNECTIONS connections: (requests per second, latencies ms)."""
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    headers = {"content-type": "application/json"}
    latencies: list[float] = []
    per_worker = total // CONNECTIONS
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            for _ in range(per_worker):
                t0 = time.perf_counter()
                answer = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                if answer.status_code != 200 or expect not in answer.text:
                    raise SystemExit(f"unexpected answer {answer.status_code}: {answer.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))  # warm-up
        latencies.clear()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies


def _p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run, rougher figures")
    args = parser.parse_args()
    total = 640 if args.quick else 3200
    ledger, issued = _chain()
    now = datetime.now(UTC)
    genesis = ledger.block(0).hash
    with tempfile.TemporaryDirectory(prefix="ecert-bench-verifier-") as tmp:
        folder = Path(tmp)
        replica = Replica.open(folder / "replica.sqlite", genesis_hash=genesis)
        replica.sync([_Source(ledger, now)], now=now)
        replica.close()
        (folder / "hello_app.py").write_text(HELLO, encoding="utf-8")
        hello_port, verifier_port = free_port(), free_port()
        hello_cmd = [sys.executable, "-m", "uvicorn", "hello_app:app", "--port", str(hello_port)]
        hello = _serve(
            [*hello_cmd, "--log-level", "warning", "--no-access-log"], hello_port, folder, "/docs"
        )
        verifier_cmd = [sys.executable, "-m", "verifier", "serve", "--genesis", genesis]
        verifier_cmd += ["--data-dir", str(folder / "verifier")]
        verifier_cmd += ["--replica", str(folder / "replica.sqlite")]
        verifier_cmd += ["--max-age", "86400", "--port", str(verifier_port)]
        verifier = _serve(verifier_cmd, verifier_port, folder, "/health")
        env_note = f"{os.cpu_count()} cores, 1 uvicorn worker each, {CONNECTIONS} connections"
        print(f"# ecert verifier HTTP bench — {total} requests per run, {env_note}")
        try:
            base_rps, base_lat = asyncio.run(
                _load(f"http://127.0.0.1:{hello_port}/hello", b"{}", total, '"ok"')
            )
            print(
                f"{'hello-world FastAPI':<34} {base_rps:8.0f} req/s  "
                f"p50 {statistics.median(base_lat):6.1f} ms  p99 {_p99(base_lat):6.1f} ms"
            )
            for suite in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
                body = json.dumps({"verifiableCredential": issued[DEED, suite]}).encode()
                rps, lat = asyncio.run(
                    _load(
                        f"http://127.0.0.1:{verifier_port}/credentials/verify",
                        body,
                        total,
                        '"verdict":"valid"',
                    )
                )
                ratio, p99 = rps / base_rps, _p99(lat)
                verdict = "met" if ratio >= TARGETS[suite] and p99 <= P99_TARGET_MS else "NOT met"
                print(
                    f"{'verify deed ' + suite:<34} {rps:8.0f} req/s  "
                    f"p50 {statistics.median(lat):6.1f} ms  p99 {p99:6.1f} ms  "
                    f"{ratio:5.0%} of hello (target ≥ {TARGETS[suite]:.0%}, "
                    f"p99 ≤ {P99_TARGET_MS:.0f} ms): {verdict}"
                )
        finally:
            for process in (hello, verifier):
                process.terminate()
                process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
