"""The issuer's database: a SQLite file by default (WAL, fsync'd commits), PostgreSQL by URL.

PostgreSQL is named by ``ISSUER_DATABASE_URL`` (``postgresql://user@host/db`` or
``postgresql+psycopg://…``; either way the psycopg 3 driver is used). Several issuer processes
may share one PostgreSQL database: the status-index allocation and the chain worker hold their
rules there by constraint and lock (:mod:`issuer.status`, :mod:`issuer.worker`), not by the
process being alone.

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

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from issuer import tables

# PostgreSQL advisory lock keys (64-bit, this application's own): creating the tables, and the
# chain worker's turn (issuer.worker).
SCHEMA_LOCK = 0x65636572_74000001
WORKER_LOCK = 0x65636572_74000002
# The batch runner's turn (issuer.batch_runner): one chunk at a time across processes.
BATCH_LOCK = 0x65636572_74000003

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


def _begin_immediate(connection: Any) -> None:
    # The writer only writes: taking SQLite's write lock when the transaction begins means its
    # statements never meet a stale read snapshot (which SQLite refuses without waiting).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _driver_autocommit(dbapi_connection: Any, record: Any) -> None:
    _apply_pragmas(dbapi_connection, record)
    # SQLAlchemy's recipe for pysqlite: let SQLAlchemy emit BEGIN itself, so SAVEPOINTs nest
    # inside it (the driver's own implicit transactions would end at the first RELEASE).
    dbapi_connection.isolation_level = None


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _parsed(url: str) -> Any:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        # A plain postgresql:// means psycopg2 to SQLAlchemy; psycopg 3 is the driver we ship.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_writer_engine(url: str) -> Engine:
    """An engine for :class:`issuer.commits.GroupWriter`: one connection whose transactions and
    savepoints SQLAlchemy controls (on SQLite, ``BEGIN IMMEDIATE``). The tables must exist
    (:func:`make_engine` creates them)."""
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _driver_autocommit)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=1, max_overflow=0)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the issuer's tables created if missing."""
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _apply_pragmas)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    with engine.begin() as connection:
        if is_postgresql(engine):
            # Two issuer processes starting on one database would both see a table missing and
            # both create it; the second would fail. The lock makes them take turns.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        SQLModel.metadata.create_all(connection, tables=tables.all_tables())
    return engine
