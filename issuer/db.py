"""The issuer's database: a SQLite file by default (WAL, fsync'd commits), PostgreSQL by URL.

On SQLite every connection gets ``journal_mode=WAL`` (readers never block the writer),
``synchronous=FULL`` (a commit is on disk before it returns, so a 201 is never forgotten after
a crash), foreign keys and a busy timeout. Other databases keep their own durable defaults.

Example:
    >>> import tempfile, pathlib
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'i.sqlite'}"
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

from issuer import tables

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
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
    """An engine for ``url`` with the issuer's tables created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _apply_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(engine, tables=tables.all_tables())
    return engine
