"""A throwaway PostgreSQL server for integration tests: ``initdb`` into a fresh temporary folder,
``pg_ctl start`` on a free 127.0.0.1 port, one database per test, ``pg_ctl stop`` at the end.

The server is Debian's ``postgresql`` package (``tools/setup/10-postgresql.sh`` installs it);
its programs live in ``/usr/lib/postgresql/<version>/bin``, not on ``PATH``. ``initdb`` refuses
to run as root, so as root the server runs as the package's unprivileged ``postgres`` user
(through ``runuser``) in a folder it owns, outside pytest's root-only temp folders. It trusts
connections from 127.0.0.1 only (``--auth=trust``: a test server with no secret to keep) and
runs with ``fsync=off``: the tests kill issuers, never this server, so durability across a
machine crash is not what they test, and each commit stays fast.

Example (not run here: it starts a server)::

    with postgres_server() as server:
        url = server.create_database("issuer_one")   # postgresql+psycopg://…/issuer_one
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from issuer.testing import free_port

SUPERUSER = "ecert"
RUN_AS = "postgres"  # the system user Debian's package creates


class PostgresMissingError(RuntimeError):
    """No PostgreSQL server programs (or no Python driver) on this machine."""


def _version(initdb: str) -> int:
    name = Path(initdb).parent.parent.name
    return int(name) if name.isdigit() else 0


def server_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``.

    Raises:
        PostgresMissingError: the server package is not installed.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise PostgresMissingError(
            "PostgreSQL's server programs are not installed "
            "(run tools/setup/10-postgresql.sh, or apt-get install postgresql)"
        )
    try:
        import psycopg  # noqa: F401  (the driver the issuer's URL names)
    except ImportError as exc:
        raise PostgresMissingError(f"the psycopg driver is missing: {exc}") from exc
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    """A running throwaway server."""

    bindir: Path
    folder: Path
    port: int
    prefix: list[str]
    created: int = 0

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        self.created += 1
        name = name or f"ecert_{self.created}"
        dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name this module made, not input
        return self.url(name)

    def pg_ctl(self, *args: str) -> None:
        command = [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _prefix() -> list[str]:
    """Run the server's programs as ``postgres`` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresMissingError("running as root and runuser is missing")
    return [runuser, "-u", RUN_AS, "--"]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh server for the duration of the block, then stop it and delete its files.

    Raises:
        PostgresMissingError: the server package or the driver is missing.
    """
    bindir = server_bindir()
    prefix = _prefix()
    folder = Path(tempfile.mkdtemp(prefix="ecert-pg-"))
    if prefix:
        shutil.chown(folder, user=RUN_AS, group=RUN_AS)
    server = PostgresServer(bindir=bindir, folder=folder, port=free_port(), prefix=prefix)
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(server.data), "-U", SUPERUSER,
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        options = (
            f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        server.pg_ctl("-l", str(folder / "server.log"), "-o", options, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        detail = (exc.stderr or b"").decode(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {detail}\n{server.log()[-2000:]}") from exc
    try:
        yield server
    finally:
        try:
            server.pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
