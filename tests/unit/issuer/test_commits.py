"""The group commit (:mod:`issuer.commits`) on a real SQLite file: rows committed before
``insert`` returns, and a request that breaks a constraint refused alone, however many requests
share its transaction."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from issuer.commits import GroupWriter
from issuer.db import make_engine, make_writer_engine
from issuer.tables import StatusIndexRow

INDEX: Table = StatusIndexRow.__table__  # type: ignore[attr-defined]


def _stored(url: str) -> dict[int, str]:
    """What a fresh connection sees: only committed rows."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(INDEX.c.index, INDEX.c.credential_id)).all()
    engine.dispose()
    return {index: credential for index, credential in rows}


def test_rows_are_committed_before_insert_returns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    make_engine(url).dispose()
    writer = GroupWriter(make_writer_engine(url))
    try:
        writer.insert([(INDEX, {"index": 7, "credential_id": "c7"})])
        assert _stored(url) == {7: "c7"}
    finally:
        writer.close()


def test_a_request_breaking_a_constraint_is_refused_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    make_engine(url).dispose()
    writer = GroupWriter(make_writer_engine(url))
    writer.insert([(INDEX, {"index": 0, "credential_id": "first"})])
    refused: list[int] = []
    start = threading.Barrier(40)

    def request(n: int) -> None:
        # Every fifth request takes index 0 again (taken); the others a fresh index each, with
        # a second row, so a refusal must undo a whole request, not one statement.
        index = 0 if n % 5 == 0 else n
        rows = [
            (INDEX, {"index": index, "credential_id": f"c{n}"}),
            (INDEX, {"index": 1000 + n, "credential_id": f"d{n}"}),
        ]
        start.wait()
        try:
            writer.insert(rows)
        except IntegrityError:
            refused.append(n)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert sorted(refused) == [n for n in range(40) if n % 5 == 0]
    expected = {0: "first"}
    for n in range(40):
        if n % 5:
            expected |= {n: f"c{n}", 1000 + n: f"d{n}"}
    assert _stored(url) == expected
