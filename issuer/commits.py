"""Group commit: the inserts of many concurrent requests committed together by one writer.

Why: a commit on SQLite with ``synchronous=FULL`` waits for an fsync and writes every page it
touched to the WAL again, so one commit per ``POST /credentials/issue`` made the disk, not the
CPU, the limit (and SQLite takes one writer at a time). Here each request hands its rows to
:meth:`GroupWriter.insert` and waits; one thread takes every request waiting at that moment,
inserts their rows in one transaction and commits once, then answers them all.

What does not change: :meth:`GroupWriter.insert` returns only after the transaction holding the
rows has committed (fsync'd on SQLite), so a request never answers for work that a crash could
lose; and a request whose rows break a constraint (an id issued already, a status index another
writer took) is refused alone: the group's rows are first inserted together inside one
SAVEPOINT, and if any statement fails that savepoint is rolled back and each request's rows are
inserted again inside a savepoint of their own, so only the failing request sees its
:class:`~sqlalchemy.exc.IntegrityError`. If the commit itself fails, every request of the group
gets that error: none was answered as stored.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("issuer.commits")
# At most this many requests share one commit (bounds one transaction's size and time).
MAX_GROUP = 512

Rows = Sequence[tuple[Table, Mapping[str, Any]]]


class _Request:
    __slots__ = ("done", "error", "rows")

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.error: BaseException | None = None
        self.done = threading.Event()


class GroupWriter:
    """One thread that commits the rows of every waiting request together (see the module)."""

    def __init__(self, engine: Engine, *, max_group: int = MAX_GROUP) -> None:
        self._engine = engine
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="issuer-group-commit", daemon=True)
        self._thread.start()

    def insert(self, rows: Rows) -> None:
        """Insert ``rows`` (in order) and return once they are committed.

        Raises:
            IntegrityError: a row broke a constraint; none of ``rows`` was stored.
            SQLAlchemyError: the group's transaction failed; none of ``rows`` was stored.
        """
        request = _Request(rows)
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()
        self._engine.dispose()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[_Request]) -> None:
        if len(group) == 1:
            self._alone(group[0])
            return
        try:
            with self._engine.connect() as connection, connection.begin():
                if not self._all_at_once(connection, group):
                    for request in group:
                        self._one(connection, request)
        except Exception as exc:  # noqa: BLE001 — handed to each waiting request, not swallowed
            log.warning("a group commit of %d requests failed (%s)", len(group), type(exc).__name__)
            for request in group:
                request.error = request.error or exc
        finally:
            for request in group:
                request.done.set()

    def _alone(self, request: _Request) -> None:
        """A group of one needs no savepoint: its transaction is rolled back on any error."""
        try:
            with self._engine.connect() as connection, connection.begin():
                for table, row in request.rows:
                    connection.execute(insert(table), [row])
        except Exception as exc:  # noqa: BLE001 — handed to the waiting request
            request.error = exc
        finally:
            request.done.set()

    @staticmethod
    def _all_at_once(connection: Connection, group: list[_Request]) -> bool:
        """Every request's rows in one savepoint, a statement per table; ``False`` (rolled back)
        when one of them broke a constraint."""
        tables: dict[Table, list[Mapping[str, Any]]] = {}
        for request in group:
            for table, row in request.rows:
                tables.setdefault(table, []).append(row)
        savepoint = connection.begin_nested()
        try:
            for table, rows in tables.items():
                connection.execute(insert(table), rows)
        except Exception:  # noqa: BLE001 — redone one request at a time to find whose it was
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    @staticmethod
    def _one(connection: Connection, request: _Request) -> None:
        savepoint = connection.begin_nested()
        try:
            for table, row in request.rows:
                connection.execute(insert(table), [row])
        except Exception as exc:  # noqa: BLE001 — this request's own refusal
            savepoint.rollback()
            request.error = exc
            return
        savepoint.commit()
