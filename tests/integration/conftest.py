"""Fixtures of the integration tests.

``issuer_db_url`` runs a test once on SQLite (the office's default file, ``None``) and once on
PostgreSQL (a fresh database on the session's throwaway server, :mod:`tests.integration.postgres`).
An issuer fixture or test that passes it on (``Settings(database_url=…)``,
``ISSUER_DATABASE_URL``) gets both for free. Without PostgreSQL the ``postgresql`` cases skip,
except under ``CI``, where they fail: CI installs the server (``tools/setup/10-postgresql.sh``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration.postgres import PostgresMissingError, PostgresServer, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session (started on first use)."""
    try:
        with postgres_server() as server:
            yield server
    except PostgresMissingError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI requires PostgreSQL")
        pytest.skip(str(exc))


@pytest.fixture(params=["sqlite", "postgresql"])
def issuer_db_url(request: pytest.FixtureRequest) -> str | None:
    """The issuer's database URL for this test: ``None`` (SQLite in the data dir) or a fresh
    PostgreSQL database."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()
