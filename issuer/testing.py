"""Run a real issuer in a child process, for integration tests and benchmarks.

The issuer is ``python -m issuer serve`` on 127.0.0.1 and a free port, on an office folder made
by ``ecert issuer init``. :func:`running_issuer` waits until ``GET /health`` answers and stops
the process (SIGTERM, then SIGKILL) on exit; :meth:`IssuerProcess.kill` sends SIGKILL, for crash
tests. The child's output goes to a log file beside the office folder, so tests can read it.

Example (not run here: it starts a process)::

    with running_issuer(data_dir, env={"ISSUER_PASSPHRASE": "…"}) as issuer:
        httpx.get(issuer.url + "/health")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from vc_core.errors import RegistryError
from vc_core.tls import url_scheme


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class IssuerProcess:
    """An issuer running in a child process."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL to the issuer and every process it started (its signing pool), as a machine
        losing power or systemd stopping the unit's cgroup would: nothing flushes or closes, and
        no orphaned signing process outlives the test holding the office's key."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        # A graceful stop shuts the signing pool down; anything left in the group goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_issuer(
    data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None
) -> IssuerProcess:
    """Start ``python -m issuer serve`` on ``data_dir`` and wait until it answers."""
    port = port or free_port()
    log_path = data_dir.parent / f"issuer-{port}.log"
    child_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "issuer", "serve", "--data-dir", str(data_dir)]
    cmd += ["--port", str(port)]
    url = f"{url_scheme(child_env, 'ISSUER_TLS_CERT_FILE')}://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            # Its own process group, so that kill() reaches the signing pool too.
            start_new_session=True,
        )
    issuer = IssuerProcess(process=process, url=url, log_path=log_path)
    wait_ready(issuer)
    return issuer


def wait_ready(issuer: IssuerProcess, *, timeout_s: float = 30.0) -> None:
    """Poll ``GET /health`` until it answers 200, or raise with the issuer's log tail."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if issuer.process.poll() is not None:
            break
        try:
            if httpx.get(issuer.url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    issuer.stop()
    raise RegistryError(f"issuer did not become ready; log tail:\n{issuer.log()[-4000:]}")


@contextmanager
def running_issuer(data_dir: Path, **kwargs: object) -> Iterator[IssuerProcess]:
    """A started issuer, stopped on exit."""
    issuer = start_issuer(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield issuer
    finally:
        issuer.stop()
