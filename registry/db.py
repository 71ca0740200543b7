"""The node's SQLite database: WAL journal, synchronous (fsync'd) commits, one writer.

Every connection gets the same pragmas: ``journal_mode=WAL`` so readers never block the writer,
``synchronous=FULL`` so a commit is on disk before it returns (one fsync per block), and a busy
timeout so a reader meeting a checkpoint waits instead of failing.

Example:
    >>> import tempfile, pathlib
    >>> engine = make_engine(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite")
    >>> with engine.connect() as c:
    ...     c.exec_driver_sql("PRAGMA journal_mode").scalar()
    'wal'
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from registry import tables

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def _apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(path: Path) -> Engine:
    """An engine on ``path`` with the node's pragmas, its tables created if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _apply_pragmas)
    SQLModel.metadata.create_all(engine, tables=tables.all_tables())
    return engine
