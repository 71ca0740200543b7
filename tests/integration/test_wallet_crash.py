"""``ecert-wallet`` as real processes: the happy path with every socket refused, a wrong
passphrase, and SIGKILL during ``import`` and ``backup`` (inside the write, and at random
moments): the store still opens and holds everything it held before."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.wallet_cli.chain import ChainFiles, build_chain
from vc_core.dataintegrity import Expectations, verify_proofs

pytestmark = pytest.mark.integration

PASSPHRASE = "a long and honest passphrase"
PAUSE_ENV = "ECERT_WALLET_TEST_PAUSE_BEFORE_RENAME"
# Refuses every connection and name lookup in the child process: loaded through PYTHONPATH as
# sitecustomize, before the wallet's own code runs.
BLOCK_SOCKETS = """\
import socket

def _refuse(*args, **kwargs):
    raise OSError("network blocked by the test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainFiles:
    return build_chain(tmp_path_factory.mktemp("wallet-crash-chain"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_SOCKETS, encoding="utf-8")
    return {
        **os.environ,
        "ECERT_WALLET_HOME": str(tmp_path / "home"),
        "ECERT_WALLET_PASSPHRASE": PASSPHRASE,
        "ECERT_WALLET_TEST_KDF_MINIMUM": "1",
        "PYTHONPATH": str(blocker),
        "COLUMNS": "200",
    }


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wallet_cli", *args]


@pytest.fixture
def wallet(env: dict[str, str], tmp_path: Path) -> Run:
    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            _command(*args),
            check=False,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env={**env, **extra},
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    return run


def _ids(wallet: Run) -> list[str]:
    proc = wallet("list", "--json")
    assert proc.returncode == 0, proc.stderr
    return [row["id"] for row in json.loads(proc.stdout)]


def test_real_process_init_import_verify_offline_present(wallet: Run, chain: ChainFiles) -> None:
    assert wallet("init").returncode == 0
    assert wallet("import", str(chain.bundle[0])).returncode == 0
    (ref,) = _ids(wallet)
    verified = wallet("verify", ref, "--genesis", chain.genesis, "--now", chain.now)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "verdict: valid" in verified.stdout
    presented = wallet("present", ref, "--challenge", "k3-x", "--domain", "bank.example")
    assert presented.returncode == 0, presented.stderr
    vp = json.loads(presented.stdout)
    verify_proofs(
        vp, now=datetime.now(UTC), expect=Expectations(challenge="k3-x", domain="bank.example")
    )


def test_real_process_wrong_passphrase(wallet: Run) -> None:
    assert wallet("init").returncode == 0
    proc = wallet("list", ECERT_WALLET_PASSPHRASE="not it")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: KEYSTORE_UNLOCK")


@pytest.fixture
def killed(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Start ``ecert-wallet ARGS`` paused inside its atomic write, wait until its temporary file
    is on disk (polling, with no time limit on the outcome), then SIGKILL it."""
    procs: list[subprocess.Popen[bytes]] = []

    def kill_inside_write(*args: str, folder: Path) -> None:
        before = set(folder.glob(".*.tmp"))
        proc = subprocess.Popen(
            _command(*args),
            env={**env, PAUSE_ENV: "600"},
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        while not set(folder.glob(".*.tmp")) - before:
            assert proc.poll() is None, "the command ended before it wrote"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL

    yield kill_inside_write
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_inside_the_import_write_loses_nothing(
    wallet: Run, chain: ChainFiles, env: dict[str, str], killed: Callable[..., None]
) -> None:
    home = Path(env["ECERT_WALLET_HOME"])
    assert wallet("init").returncode == 0
    assert wallet("import", str(chain.bundle[0])).returncode == 0
    held = _ids(wallet)
    store_before = (home / "wallet.sealed").read_bytes()
    killed("import", str(chain.bundle[1]), folder=home)
    assert list(home.glob(".wallet.sealed.*.tmp")), "the kill did not land inside the write"
    assert (home / "wallet.sealed").read_bytes() == store_before
    assert _ids(wallet) == held
    # The next write completes and clears what the killed one left behind.
    assert wallet("import", str(chain.bundle[1])).returncode == 0
    assert len(_ids(wallet)) == 2
    assert not list(home.glob(".wallet.sealed.*.tmp"))


def test_sigkill_inside_the_backup_write_loses_nothing(
    wallet: Run,
    chain: ChainFiles,
    env: dict[str, str],
    killed: Callable[..., None],
    tmp_path: Path,
) -> None:
    home = Path(env["ECERT_WALLET_HOME"])
    assert wallet("init").returncode == 0
    assert wallet("import", str(chain.bundle[0])).returncode == 0
    backups = tmp_path / "backups"
    backups.mkdir()
    target = backups / "wallet.backup"
    assert wallet("backup", str(target)).returncode == 0
    old_backup = target.read_bytes()
    assert wallet("import", str(chain.bundle[1])).returncode == 0
    held = _ids(wallet)
    store_before = (home / "wallet.sealed").read_bytes()
    killed("backup", str(target), folder=backups)
    assert list(backups.glob(".wallet.backup.*.tmp")), "the kill did not land inside the write"
    assert target.read_bytes() == old_backup
    assert (home / "wallet.sealed").read_bytes() == store_before
    assert _ids(wallet) == held
    fresh = tmp_path / "fresh"
    assert wallet("--home", str(fresh), "restore", str(target)).returncode == 0
    assert _ids_at(wallet, fresh) == held[:1]


def _ids_at(wallet: Run, home: Path) -> list[str]:
    proc = wallet("--home", str(home), "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return [row["id"] for row in json.loads(proc.stdout)]


@pytest.mark.parametrize("command", ["import", "backup"])
def test_sigkill_at_random_moments(
    wallet: Run, chain: ChainFiles, env: dict[str, str], tmp_path: Path, command: str
) -> None:
    """Kill the command at random moments of its run (from interpreter start to exit)."""
    rng = random.Random(f"wallet-{command}")
    assert wallet("init").returncode == 0
    assert wallet("import", str(chain.bundle[0])).returncode == 0
    started = time.monotonic()
    target = tmp_path / "wallet.backup"
    args = ["import", str(chain.bundle[1])] if command == "import" else ["backup", str(target)]
    assert wallet(*args).returncode == 0
    # How long one run takes here: kill points are drawn across that span.
    span = time.monotonic() - started
    if command == "import":
        assert wallet("delete", "--yes", _ids(wallet)[-1]).returncode == 0
    for _ in range(8):
        held = _ids(wallet)
        proc = subprocess.Popen(
            _command(*args),
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0, span))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = _ids(wallet)
        assert after[: len(held)] == held
        assert len(after) - len(held) in (0, 1)
        if command == "import" and len(after) > len(held):
            assert wallet("delete", "--yes", after[-1]).returncode == 0
        if command == "backup" and target.exists():
            fresh = tmp_path / f"fresh-{rng.random()}"
            restored = wallet("--home", str(fresh), "restore", str(target))
            assert restored.returncode == 0, restored.stderr
            assert _ids_at(wallet, fresh) == held
