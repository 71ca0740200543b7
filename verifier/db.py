"""The verifier's database of issued challenges: a SQLite file by default (WAL, fsync'd commits).

On SQLite every connection gets ``journal_mode=WAL`` (readers never block the writer),
``synchronous=FULL`` (a challenge marked used stays used after a crash, so a presentation cannot
be replayed by restarting the verifier) and a busy timeout.

Example:
    >>> import tempfile, pathlib
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'v.sqlite'}"
    >>> with make_engine(url).connect() as c:
    ...     c.exec_driver_sql("PRAGMA synchronous").scalar()
    2
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from verifier import tables
from verifier.oid4vp.tables import presentation_request_table

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
)


def _apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the verifier's tables created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _apply_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(
        engine, tables=[tables.challenge_table(), presentation_request_table()]
    )
    return engine
