"""Run a real verifier in a child process, for integration tests and benchmarks.

The verifier is ``python -m verifier serve`` on 127.0.0.1 and a free port, configured by
``VERIFIER_*`` environment variables (genesis hash, registry URLs, data dir, …).
:func:`running_verifier` waits until ``GET /health`` answers and stops the process (SIGTERM,
then SIGKILL) on exit. Unless the caller sets ``VERIFIER_PASSPHRASE``, the receipt key is sealed
beforehand under :data:`TEST_PASSPHRASE` with the cheapest argon2id settings (a test's start
should not spend a second on key stretching); its DID is ``receipt_did``. The child's output
goes to a log file in the data dir's parent, so tests can read it.

Example (not run here: it starts a process)::

    env = {"VERIFIER_GENESIS_HASH": genesis, "VERIFIER_REGISTRY_URLS": json.dumps([url])}
    with running_verifier(data_dir, env=env) as verifier:
        httpx.post(verifier.url + "/credentials/verify", json={"verifiableCredential": vc})
"""

from __future__ import annotations

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

from vc_core.did import did_key
from vc_core.errors import RegistryError
from vc_core.keystore import KdfLimits, SealedKey
from vc_core.tls import url_scheme
from verifier.config import RECEIPT_KEY_FILE
from verifier.receipts import PASSPHRASE_ENV, init_key

TEST_PASSPHRASE = "verifier test passphrase, never logged"  # noqa: S105 (a test's, on purpose)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class VerifierProcess:
    """A verifier running in a child process."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    receipt_did: str | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_verifier(
    data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None
) -> VerifierProcess:
    """Start ``python -m verifier serve`` on ``data_dir`` and wait until it answers."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"verifier-{port}.log"
    child_env = {**os.environ, **(env or {})}
    receipt_did = None
    if PASSPHRASE_ENV not in child_env:
        child_env[PASSPHRASE_ENV] = TEST_PASSPHRASE
        receipt_did = _test_key(data_dir / RECEIPT_KEY_FILE)
    cmd = [sys.executable, "-m", "verifier", "serve", "--data-dir", str(data_dir)]
    cmd += ["--port", str(port)]
    url = f"{url_scheme(child_env, 'VERIFIER_TLS_CERT_FILE')}://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env
        )
    verifier = VerifierProcess(
        process=process,
        url=url,
        log_path=log_path,
        receipt_did=receipt_did,
    )
    wait_ready(verifier)
    return verifier


def _test_key(path: Path) -> str:
    """The DID of the test receipt key at ``path``, sealed now when there is none."""
    if path.exists():
        pair = SealedKey.read(path).unseal(TEST_PASSPHRASE)
    else:
        pair = init_key(path, TEST_PASSPHRASE, KdfLimits.minimum())
    return did_key(pair.public)


def wait_ready(verifier: VerifierProcess, *, timeout_s: float = 30.0) -> None:
    """Poll ``GET /health`` until it answers 200, or raise with the verifier's log tail."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if verifier.process.poll() is not None:
            break
        try:
            if httpx.get(verifier.url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    verifier.stop()
    raise RegistryError(f"verifier did not become ready; log tail:\n{verifier.log()[-4000:]}")


@contextmanager
def running_verifier(data_dir: Path, **kwargs: object) -> Iterator[VerifierProcess]:
    """A started verifier, stopped on exit."""
    verifier = start_verifier(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield verifier
    finally:
        verifier.stop()
