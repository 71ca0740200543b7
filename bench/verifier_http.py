"""Verifier HTTP benchmark: ``POST /credentials/verify`` against a real verifier process, beside a
hello-world FastAPI app measured in the same run with the same number of workers (one; or
``--workers N`` for every server).

Run: ``.venv/bin/python bench/verifier_http.py`` (``--quick`` for a short run, ``--runs N``).

The chain is ``bench/verifier.py``'s (one office accredited for every type, every example
issued in both suites and anchored); a replica file is synced from it in process, with a
checkpoint signed now, and the verifier serves it with no registry configured (so it never
syncs, and never touches the network while verifying). Each server is a ``uvicorn`` child
process on 127.0.0.1 with one worker (``--workers N``: N each, hello's too). The load client is
a separate process: ``wrk`` (one thread, ``CONNECTIONS`` keep-alive connections, each sending
requests back to back; install it with ``apt-get install wrk`` on Debian/Ubuntu, ``brew install
wrk`` on macOS). Without ``wrk`` on the PATH the bench says so and falls back to an asyncio
``httpx`` client in a child process (slower: it takes more of the cores from the servers).
Every answer is checked (200, and ``valid`` for the verifier) before the run counts. The loads
(hello, the second baseline below, deed with ``eddsa-jcs-2022``, deed with ``eddsa-rdfc-2022``)
take turns ``--runs`` times, so each sees the same machine; the figures are medians, and the
ratios are medians of per-round ratios. Beside them, each server's CPU time per request
(``/proc/<pid>/stat`` before and after each load): on a shared, busy machine the rates say how
much of the cores each server got, the CPU cost what a request takes, so hello's CPU per
request over the verifier's is the ratio an idle machine with one worker per server would show.

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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
HELLO_LOAD = "hello"
HELLO_BODY_LOAD = "hello-body"
HELLO_BODY_LABEL = "hello + 2 kB body in, 6 kB out"
WHOLE = "whole ASGI app"
DEED = "PropertyDeedCredential"
TARGETS = {"eddsa-jcs-2022": 0.60, "eddsa-rdfc-2022": 0.35}
P99_TARGET_MS = 25.0
HELLO_BODY_LOAD = "hello-body"
HELLO = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/hello")
async def hello() -> dict[str, bool]:
    return {"ok": True}
"""
# The second baseline, its own app in its own process: it reads and parses the deed's request
# body and answers as many bytes as the verifier's report with its receipt, so that beside it
# only the verifier's own work differs. The targets are judged against the first.
HELLO_BODY = """
import json

from fastapi import FastAPI, Request, Response

app = FastAPI()
ANSWER = json.dumps({"ok": True, "pad": "x" * 5900}).encode()


@app.post("/hello-body")
async def hello_body(request: Request) -> Response:
    json.loads(await request.body())
    return Response(ANSWER, media_type="application/json")
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


_WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
local f = io.open(%(body_path)q, "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, %(expect)q, 1, true) then
    bad = bad + 1
    io.stderr:write(string.format("unexpected answer: status %%d\\n", status))
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%d %%f %%f\\n", summary.requests, summary.duration,
    total + errors, latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(
    url: str, body: bytes, seconds: float, expect: str, folder: Path
) -> tuple[float, float, float, int]:
    """``wrk`` for ``seconds`` on ``url``: (requests/s, p50 ms, p99 ms, requests); every answer
    checked."""
    body_path = folder / "wrk-body.json"
    body_path.write_bytes(body)
    script = folder / "wrk.lua"
    lua_quote = lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    script.write_text(
        _WRK_SCRIPT.replace("%(body_path)q", lua_quote(str(body_path)))
        .replace("%(expect)q", lua_quote(expect))
        .replace("%%", "%"),
        encoding="utf-8",
    )
    # A long timeout: on a busy shared machine an answer may take seconds, and that is a slow
    # answer, not a wrong one (wrk counts its default 2 s timeout as an error).
    cmd = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
    ]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    requests, duration_us, bad, p50_us, p99_us = line.split()[1:]
    if int(bad):
        print(out.stderr[-2000:], out.stdout, file=sys.stderr)
        raise SystemExit(f"{bad} of {requests} answers from {url} were not as expected")
    rate = int(requests) / (int(duration_us) / 1e6)
    return rate, float(p50_us) / 1000, float(p99_us) / 1000, int(requests)


def _python_load(url: str, body: bytes, total: int, expect: str) -> tuple[float, float, float, int]:
    """The fallback client, run in a child process: (requests/s, p50 ms, p99 ms, requests)."""
    rps, latencies = asyncio.run(_load(url, body, total, expect))
    sent = 2 * (total // CONNECTIONS) * CONNECTIONS  # its warm-up, then the timed run
    return rps, statistics.median(latencies), _p99(latencies), sent


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a server has used so far, its worker processes included
    (Linux ``/proc``; a worker's time counts in its parent's only once it has exited)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that has just exited
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


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


Figures = tuple[float, float, float, float]
"""Requests/s, p50 ms, p99 ms, and the server's CPU ms per request."""


def _report(rounds: list[dict[str, Figures]]) -> None:
    def median(name: str, i: int) -> float:
        return statistics.median(r[name][i] for r in rounds)

    hello_cpu, body_cpu = median(HELLO_LOAD, 3), median(HELLO_BODY_LOAD, 3)
    for name, label in ((HELLO_LOAD, "hello-world FastAPI"), (HELLO_BODY_LOAD, HELLO_BODY_LABEL)):
        print(
            f"{label:<34} {median(name, 0):8.0f} req/s  "
            f"p50 {median(name, 1):6.1f} ms  p99 {median(name, 2):6.1f} ms  "
            f"server CPU {median(name, 3):.3f} ms/req  "
            f"(rounds: {', '.join(f'{r[name][0]:.0f}' for r in rounds)})"
        )
    for suite, target in TARGETS.items():
        ratios = [r[suite][0] / r[HELLO_LOAD][0] for r in rounds]
        body_ratio = statistics.median(r[suite][0] / r[HELLO_BODY_LOAD][0] for r in rounds)
        ratio, p99, cpu = statistics.median(ratios), median(suite, 2), median(suite, 3)
        verdict = "met" if ratio >= target and p99 <= P99_TARGET_MS else "NOT met"
        print(
            f"{'verify deed ' + suite:<34} {median(suite, 0):8.0f} req/s  "
            f"p50 {median(suite, 1):6.1f} ms  p99 {p99:6.1f} ms  server CPU {cpu:.3f} ms/req  "
            f"{ratio:5.0%} of hello (rounds: {', '.join(f'{x:.0%}' for x in ratios)}; "
            f"target ≥ {target:.0%}, p99 ≤ {P99_TARGET_MS:.0f} ms): {verdict}; "
            f"by server CPU per request {hello_cpu / cpu:.0%} of hello; "
            f"second baseline: {body_ratio:.0%} of {HELLO_BODY_LOAD} "
            f"(by CPU {body_cpu / cpu:.0%})"
        )


def _cpu_ms(fn: Callable[[], object], *, budget_s: float = 0.6) -> float:
    """CPU ms per call of ``fn``: the median of ten batches of ``process_time``, after a
    warm-up (process CPU, so another program's load on the machine does not count)."""
    for _ in range(50):
        fn()
    start = time.process_time()
    calls = 0
    while time.process_time() - start < budget_s / 10:
        fn()
        calls += 1
    batches = []
    for _ in range(10):
        begin = time.process_time()
        for _ in range(calls):
            fn()
        batches.append((time.process_time() - begin) / calls * 1000)
    return statistics.median(batches)


def _asgi_call(app: Any, body: bytes) -> Callable[[], object]:
    """One ``POST /credentials/verify`` through the whole ASGI app, no server: every
    middleware, the routing, the exception handlers and the route."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/credentials/verify",
        "raw_path": b"/credentials/verify",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    loop = asyncio.new_event_loop()
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    def call() -> object:
        loop.run_until_complete(app(dict(scope), receive, send))
        if statuses.pop() != 200:
            raise SystemExit("the in-process verifier did not answer 200")
        return None

    return call


def _timed_parts() -> list[tuple[str, Any, str]]:
    """The parts of the route's work: (label, the module or class holding it, its name)."""
    from verifier import deps, service
    from verifier.problems import CompactJSONResponse
    from verifier.receipts import ReceiptSigner

    return [
        ("body parse (jsonio)", deps, "parse_object"),
        ("verification (DESIGN §5)", service, "verify"),
        ("report JSON", service, "report_json"),
        ("receipt signing", ReceiptSigner, "sign"),
        ("answer encoding", CompactJSONResponse, "render"),
    ]


def _within(app: Any, raw: bytes, calls: int) -> dict[str, float]:
    """CPU ms per request of each part, timed inside whole requests through the app (each part
    is dearer there than in a loop of its own, where its code and data stay in the caches)."""
    spent: dict[str, int] = {}
    restore: list[tuple[Any, str, Any]] = []
    for label, owner, name in _timed_parts():
        original = getattr(owner, name)
        spent[label] = 0

        def timed(*args: Any, _f: Any = original, _label: str = label, **kwargs: Any) -> Any:
            start = time.thread_time_ns()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_label] += time.thread_time_ns() - start

        setattr(owner, name, timed)
        restore.append((owner, name, original))
    try:
        call = _asgi_call(app, raw)
        for _ in range(calls):
            call()
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)
    return {label: ns / calls / 1e6 for label, ns in spent.items()}


def _parts(app: Any, raw: bytes, max_bytes: int, now: datetime) -> dict[str, float]:
    """CPU ms per request: the whole app, each part within it, and the verification alone."""
    from vc_core.jsonio import parse_object
    from verifier import service

    body = parse_object(raw, max_bytes=max_bytes)
    whole = _cpu_ms(_asgi_call(app, raw))
    figures = _within(app, raw, calls=2000)
    figures["verification alone"] = _cpu_ms(
        lambda: service.verify(app.state.checker, body, now=now)
    )
    figures[WHOLE] = whole
    return figures


def _breakdown(
    folder: Path, genesis: str, issued: dict[tuple[str, str], dict[str, Any]], now: datetime
) -> dict[str, dict[str, float]]:
    """In process, CPU ms per request of each part of ``POST /credentials/verify``, per suite."""
    from verifier.app import create_app, open_replica
    from verifier.config import Settings

    settings = Settings(
        genesis_hash=genesis,
        data_dir=folder / "breakdown",
        replica_path=folder / "replica.sqlite",
        freshness_max_age_s=86400,
    )
    settings.data_dir.mkdir()
    app = create_app(settings, opened=open_replica(settings), clock=lambda: now)
    parts: dict[str, dict[str, float]] = {}
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    try:
        for suite in TARGETS:
            raw = json.dumps({"verifiableCredential": issued[DEED, suite]}).encode()
            parts[suite] = _parts(app, raw, settings.max_body_bytes, now)
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
    return parts


def _crypto_floor_ms() -> float:
    """CPU ms of the two Ed25519 operations every verify request needs whatever else it does:
    the credential's proof (a verify) and its receipt (a signature), libsodium through PyNaCl."""
    import nacl.signing

    key = nacl.signing.SigningKey(bytes(range(32)))
    message = bytes(64)
    signature = key.sign(message).signature
    verify_key = key.verify_key
    return _cpu_ms(lambda: verify_key.verify(message, signature)) + _cpu_ms(
        lambda: key.sign(message)
    )


def _print_breakdown(parts: dict[str, dict[str, float]], rounds: list[dict[str, Figures]]) -> None:
    hello_cpu = statistics.median(r[HELLO_LOAD][3] for r in rounds)
    body_cpu = statistics.median(r[HELLO_BODY_LOAD][3] for r in rounds)
    crypto = _crypto_floor_ms()
    print(
        "# CPU ms per request: the server's under load; in process, before the loads, the whole "
        "app (no server) and each part timed within it (on a machine whose load changes between "
        "the two, uvicorn's share, taken by difference, is rough and may even come out negative)"
    )
    for suite, figures in parts.items():
        server = statistics.median(r[suite][3] for r in rounds)
        whole = figures[WHOLE]
        named = {k: v for k, v in figures.items() if k not in (WHOLE, "verification alone")}
        items = [f"{k} {v:.3f}" for k, v in named.items()]
        items.append(f"FastAPI/Starlette, middleware, route {whole - sum(named.values()):.3f}")
        print(
            f"{suite}: server {server:.3f} = uvicorn and the socket {server - whole:.3f} + "
            f"app {whole:.3f} (= {' + '.join(items)})"
        )
        alone = figures["verification alone"]
        print(
            f"  the verification alone (a loop of its own, as bench/verifier.py) {alone:.3f}: "
            f"with hello's {hello_cpu:.3f} ms/req, no verifier on this stack exceeds "
            f"{hello_cpu:.3f} / ({hello_cpu:.3f} + {alone:.3f}) = "
            f"{hello_cpu / (hello_cpu + alone):.0%} of hello's rate"
        )
    # A floor that holds for any verifier on this stack, not just ours: hello's own cost with a
    # verify request's body sizes, plus the two Ed25519 operations and nothing else.
    print(
        f"floor of any verify request: hello with its body sizes {body_cpu:.3f} + one Ed25519 "
        f"verify and one signature {crypto:.3f} = {body_cpu + crypto:.3f} ms/req, so at most "
        f"{hello_cpu / (body_cpu + crypto):.0%} of hello's rate (issue 9 asks 60 % for jcs deeds)"
    )


def _verifier_workers(
    folder: Path, genesis: str, port: int, workers: int, quiet: list[str]
) -> list[str]:
    """The verifier under ``uvicorn --workers`` (``ecert verifier serve`` runs one): the app
    factory reads its settings from the environment, and the receipt key is made first, so that
    the workers unseal one key rather than race to make it."""
    data = folder / "verifier"
    subprocess.run(
        [sys.executable, "-m", "verifier", "init", "--data-dir", str(data), "--kdf", "interactive"],
        check=True,
        capture_output=True,
    )
    os.environ.update(
        VERIFIER_GENESIS_HASH=genesis,
        VERIFIER_DATA_DIR=str(data),
        VERIFIER_REPLICA_PATH=str(folder / "replica.sqlite"),
        VERIFIER_FRESHNESS_MAX_AGE_S="86400",
    )
    cmd = [sys.executable, "-m", "uvicorn", "verifier.app:app_from_env", "--factory"]
    return [*cmd, "--port", str(port), *quiet]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run, rougher figures")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the loads")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers of every server (the same)"
    )
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
        # Measured before any server starts, so that none of them competes with it.
        parts = _breakdown(folder, genesis, issued, now)
        (folder / "hello_app.py").write_text(HELLO, encoding="utf-8")
        (folder / "hello_body_app.py").write_text(HELLO_BODY, encoding="utf-8")
        hello_port, body_port, verifier_port = free_port(), free_port(), free_port()
        quiet = ["--log-level", "warning", "--no-access-log", "--workers", str(args.workers)]
        hello_cmd = [sys.executable, "-m", "uvicorn", "hello_app:app", "--port", str(hello_port)]
        hello = _serve([*hello_cmd, *quiet], hello_port, folder, "/docs")
        body_cmd = [sys.executable, "-m", "uvicorn", "hello_body_app:app"]
        hello_body = _serve(
            [*body_cmd, "--port", str(body_port), *quiet], body_port, folder, "/docs"
        )
        # The verifier signs a receipt for every report, with a key sealed in its data dir and
        # made at its first start: a throwaway passphrase, and cheap key stretching, will do.
        os.environ.setdefault("VERIFIER_PASSPHRASE", "bench: a throwaway receipt key")
        os.environ.setdefault("VERIFIER_KEY_KDF", "interactive")
        verifier_cmd = [sys.executable, "-m", "verifier", "serve", "--genesis", genesis]
        verifier_cmd += ["--data-dir", str(folder / "verifier")]
        verifier_cmd += ["--replica", str(folder / "replica.sqlite")]
        verifier_cmd += ["--max-age", "86400", "--port", str(verifier_port)]
        if args.workers > 1:
            verifier_cmd = _verifier_workers(folder, genesis, verifier_port, args.workers, quiet)
        verifier = _serve(verifier_cmd, verifier_port, folder, "/health")
        client = "wrk" if shutil.which("wrk") else None
        if client is None:
            print(
                "wrk is not on the PATH (apt-get install wrk / brew install wrk); "
                "using the slower asyncio httpx client, in a child process"
            )
        seconds = 3.0 if args.quick else 10.0
        size = f"{seconds:g} s per load" if client else f"{total} requests per load"
        env_note = (
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
            f"{args.workers} uvicorn worker{'s' if args.workers > 1 else ''} each, "
            f"{CONNECTIONS} connections, client {client or 'httpx'}"
        )
        print(f"# ecert verifier HTTP bench — {size}, {args.runs} rounds, {env_note}")
        deed_body = json.dumps({"verifiableCredential": issued[DEED, "eddsa-jcs-2022"]}).encode()
        loads = {
            HELLO_LOAD: (f"http://127.0.0.1:{hello_port}/hello", b"{}", '"ok"'),
            HELLO_BODY_LOAD: (f"http://127.0.0.1:{body_port}/hello-body", deed_body, '"ok"'),
            **{
                suite: (
                    f"http://127.0.0.1:{verifier_port}/credentials/verify",
                    json.dumps({"verifiableCredential": issued[DEED, suite]}).encode(),
                    '"verdict":"valid"',
                )
                for suite in TARGETS
            },
        }

        def measure(name: str, url: str, body: bytes, expect: str) -> Figures:
            """(requests/s, p50 ms, p99 ms, the server's CPU ms per request)."""
            pid = {HELLO_LOAD: hello, HELLO_BODY_LOAD: hello_body}.get(name, verifier).pid
            before = _cpu_s(pid)
            if client == "wrk":
                rps, p50, p99, sent = _wrk(url, body, seconds, expect, folder)
            else:
                with ProcessPoolExecutor(1) as pool:
                    found = pool.submit(_python_load, url, body, total, expect).result()
                rps, p50, p99, sent = found
            return rps, p50, p99, (_cpu_s(pid) - before) / sent * 1000

        try:
            for name, (url, body, expect) in loads.items():  # warm-up
                if client is None:
                    measure(name, url, body, expect)
                else:
                    _wrk(url, body, 1, expect, folder)
            rounds: list[dict[str, Figures]] = []
            for _ in range(args.runs):
                rounds.append({name: measure(name, *load) for name, load in loads.items()})
            _report(rounds)
            _print_breakdown(parts, rounds)
            print(f"# load average at the end: {os.getloadavg()[0]:.1f}")
        finally:
            for process in (hello, hello_body, verifier):
                process.terminate()
                process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
