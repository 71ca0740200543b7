"""Run a real registry node in a child process, for integration tests and benchmarks.

The node is ``python -m registry serve`` on 127.0.0.1 and a free port, with its SQLite file in
the given folder. :func:`running_node` waits until ``GET /checkpoint`` answers, and stops the
process (SIGTERM, then SIGKILL) on exit. :meth:`NodeProcess.kill` sends SIGKILL, for crash tests.

Example (not run here: it starts a process)::

    with running_node(data_dir) as node:
        RegistryClient(node.url).checkpoint()
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from vc_core.errors import RegistryError
from vc_core.keys import KeyPair
from vc_core.ledger import Transaction
from vc_core.registry_client import RegistryClient
from vc_core.tls import url_scheme


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NodeProcess:
    """A registry node running in a child process."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: the node gets no chance to flush or close anything."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_node(
    data_dir: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    ready_timeout_s: float = 20.0,
) -> NodeProcess:
    """Start ``python -m registry serve`` on ``data_dir`` and wait until it answers (a node
    re-verifies its chain from genesis first: a large chain needs a longer ``ready_timeout_s``)."""
    port = port or free_port()
    log_path = data_dir / f"node-{port}.log"
    child_env = {**os.environ, **(env or {})}
    cmd = [
        sys.executable,
        "-m",
        "registry",
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
    ]
    url = f"{url_scheme(child_env, 'REGISTRY_TLS_CERT_FILE')}://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env)  # noqa: S603
    node = NodeProcess(process=process, url=url, log_path=log_path)
    wait_ready(node, timeout_s=ready_timeout_s)
    return node


def wait_ready(node: NodeProcess, *, timeout_s: float = 20.0) -> None:
    """Poll ``GET /checkpoint`` until it answers 200, or raise with the node's log."""
    deadline = time.monotonic() + timeout_s
    with RegistryClient(node.url, timeout_s=1.0, retries=0) as client:
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                break
            try:
                client.checkpoint()
                return
            except RegistryError:
                pass
            time.sleep(0.05)
    node.stop()
    log = node.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RegistryError(f"registry node did not become ready; log tail:\n{log}")


@contextmanager
def running_node(data_dir: Path, **kwargs: object) -> Iterator[NodeProcess]:
    """A started node, stopped on exit."""
    node = start_node(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield node
    finally:
        node.stop()


def embedded_ledger(genesis: Transaction, producer_key: KeyPair, now: datetime) -> EmbeddedLedger:
    """A fresh :class:`EmbeddedLedger` in a temporary folder removed with the ledger.

    The ``(genesis_tx, producer_key, now) -> Ledger`` factory the contract suite runs.
    """
    folder = Path(tempfile.mkdtemp(prefix="ecert-ledger-"))
    engine = make_engine(folder / "registry.sqlite")
    ledger = EmbeddedLedger.create(engine, genesis, producer_key, now)
    weakref.finalize(ledger, _cleanup, engine, folder)
    return ledger


def _cleanup(engine: Engine, folder: Path) -> None:
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
