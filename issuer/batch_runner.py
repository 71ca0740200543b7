"""The batch runner: issues the pending rows of stored batches, a chunk per database transaction.

One thread in the issuer process (started by the app's lifespan). :meth:`BatchRunner.step`
takes the oldest running batch and its next ``ISSUER_BATCH_CHUNK`` pending rows, and:

1. Checks each row with the single-issue steps (:func:`issuer.service.precheck`,
   :func:`~issuer.service.check_context`, :func:`~issuer.service.refuse_status`): the office as
   issuer, the id, VCDM 2.0 structure, the batch's type, the operator's scope and the office's
   accreditation for the subject's region. A row whose id is already a credential (or is
   repeated in the chunk) fails ``CREDENTIAL_ID_TAKEN``.
2. Draws the rows' status indexes (:func:`issuer.status.draw_indexes`) and signs them, in this
   thread or in a process pool (:mod:`issuer.signing`), with the same recipe as a single
   request (schema, identifier rules, validity period, Data Integrity proof).
3. In **one** database transaction: inserts the credentials, their status indexes and outbox
   rows (executemany), marks each row ``issued`` or ``failed`` (line, JSON pointer, code,
   message), and adds to the batch's counts. A crash before the commit loses only the chunk's
   work, which the next step redoes under the same credential ids; a crash after it finds the
   rows issued. A unique-key race (another request took a status index drawn here) rolls the
   chunk back and it is redone with fresh draws.

An accreditation that cannot be checked (the replica is too old, 503 ``ACCREDITATION_UNCHECKED``)
is not a bad row: the chunk is left pending and retried with backoff, like the chain worker's
registry faults. An operator revoked while its batch runs stops it: the remaining rows fail
``TOKEN_REVOKED``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer import service, status
from issuer.accreditation import AccreditationGate
from issuer.auth import Operator
from issuer.batches import DONE, FAILED, ISSUED, PENDING, RUNNING, BatchCode
from issuer.clock import stamp
from issuer.config import Settings
from issuer.db import BATCH_LOCK, is_postgresql
from issuer.office import Office
from issuer.signing import ChunkSigner, Refused, Signed, make_signer, pointer_of
from issuer.tables import (
    CredentialRow,
    IssuanceBatchRow,
    IssuanceItemRow,
    OperatorRow,
    OutboxRow,
    StatusIndexRow,
)
from vc_core.canon import default_contexts
from vc_core.errors import RegistryError, SchemaError, VCError

log = logging.getLogger("issuer.batches")


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


IDLE_S = 0.2


@dataclass
class _Work:
    """A pending row on its way through one chunk."""

    item_id: int
    credential_id: str | None
    prepared: dict[str, Any] | None = None
    index: int | None = None
    outcome: Signed | Refused | None = None


class BatchRunner:
    """Issues stored batches in the background (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        office: Office,
        settings: Settings,
        signer: ChunkSigner,
        gate: AccreditationGate | None,
    ) -> None:
        self._engine = engine
        self._office = office
        self._settings = settings
        self._signer = signer
        self._gate = gate
        self.wake = threading.Event()

    def step(self, now: datetime) -> bool:
        """Issue the next chunk of the oldest running batch; ``False`` when there is none.

        Raises:
            RegistryError: the accreditation could not be checked (retry later; nothing lost).
        """
        with Session(self._engine) as session:
            if not self._my_turn(session):
                return False
            batch = session.exec(
                select(IssuanceBatchRow)
                .where(IssuanceBatchRow.state == RUNNING)
                .order_by(col(IssuanceBatchRow.created_at))
            ).first()
            if batch is None:
                return False
            rows = list(
                session.exec(
                    select(IssuanceItemRow)
                    .where(
                        IssuanceItemRow.batch_id == batch.id, col(IssuanceItemRow.state) == PENDING
                    )
                    .order_by(col(IssuanceItemRow.id))
                    .limit(self._settings.batch_chunk)
                )
            )
            if not rows:
                batch.state, batch.finished_at = DONE, stamp(now)
                session.add(batch)
                session.commit()
                log.info(
                    "batch %s done: %d issued, %d failed", batch.id, batch.issued, batch.failed
                )
                return True
            operator_row = session.get(OperatorRow, batch.operator_id)
            assert operator_row is not None  # a foreign key
            operator = Operator.from_row(operator_row)
            if operator.state(now) == "revoked":
                work = [_Work(r.id, r.credential_id) for r in rows]  # type: ignore[arg-type]
                for w in work:
                    w.outcome = Refused(
                        BatchCode.TOKEN_REVOKED, "", "the batch's operator was revoked"
                    )
            else:
                work = self._check(session, batch, operator, rows, now)
                self._sign(session, batch.credential_type, work, now)
            try:
                self._store(session, batch, operator, work, now)
            except IntegrityError:
                session.rollback()
                log.warning("batch %s: a chunk met a unique-key race; redoing it", batch.id)
            return True

    def _my_turn(self, session: Session) -> bool:
        """On PostgreSQL several issuer processes may share the database, each with a runner:
        one chunk at a time, under a transaction-scoped advisory lock held until the chunk's
        commit, so two runners never issue the same rows. (On SQLite the file belongs to one
        process, whose one runner thread steps alone.)"""
        if not is_postgresql(self._engine):
            return True
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool(session.execute(query, {"key": BATCH_LOCK}).scalar())

    def _check(
        self,
        session: Session,
        batch: IssuanceBatchRow,
        operator: Operator,
        rows: list[IssuanceItemRow],
        now: datetime,
    ) -> list[_Work]:
        """Step 1 for each row (refusals recorded on the row's work)."""
        ids = [r.credential_id for r in rows if r.credential_id]
        taken = set(session.exec(select(CredentialRow.id).where(col(CredentialRow.id).in_(ids))))
        work = []
        for row in rows:
            w = _Work(row.id, row.credential_id)  # type: ignore[arg-type]
            work.append(w)
            try:
                w.prepared = self._precheck(row, batch, operator, now)
            except RegistryError:
                raise
            except VCError as exc:
                w.outcome = Refused.of(exc)
                continue
            if w.credential_id in taken:
                w.prepared, w.outcome = (
                    None,
                    Refused(
                        BatchCode.CREDENTIAL_ID_TAKEN,
                        "/id",
                        f"a credential {w.credential_id} was issued",
                    ),
                )
            taken.add(w.credential_id)  # type: ignore[arg-type]
        return work

    def _precheck(
        self, row: IssuanceItemRow, batch: IssuanceBatchRow, operator: Operator, now: datetime
    ) -> dict[str, Any]:
        draft = json.loads(row.draft or "{}")
        prepared, type_name = service.precheck(
            office=self._office,
            operator=operator,
            draft=draft,
            now=now,
            gate=self._gate,
            owned=isinstance(draft, dict),
        )
        if type_name != batch.credential_type:
            raise SchemaError(
                f"this batch issues {batch.credential_type}, not {type_name}",
                code=BatchCode.CREDENTIAL_TYPE_MISMATCH,
                field="type",
            )
        service.check_context(prepared)
        if self._settings.registry_base is not None:
            service.refuse_status(prepared)
        return prepared

    def _sign(self, session: Session, type_name: str, work: list[_Work], now: datetime) -> None:
        """Step 2: status indexes, then the proofs (in the pool when there is one)."""
        todo = [w for w in work if w.prepared is not None]
        base = self._settings.registry_base
        if base is not None and todo:
            for w, index in zip(todo, status.draw_indexes(session, len(todo)), strict=True):
                w.index = index
                w.prepared["credentialStatus"] = status.status_entries(  # type: ignore[index]
                    base, self._office.did, index
                )
        suite = self._settings.suite_for(type_name)
        drafts = [w.prepared for w in todo]
        outcomes = self._signer.sign_chunk(drafts, suite=suite, now=now)  # type: ignore[arg-type]
        for w, outcome in zip(todo, outcomes, strict=True):
            w.outcome = outcome

    def _store(
        self,
        session: Session,
        batch: IssuanceBatchRow,
        operator: Operator,
        work: list[_Work],
        now: datetime,
    ) -> None:
        """Step 3: one transaction for the whole chunk."""
        at = stamp(now)
        suite = self._settings.suite_for(batch.credential_type)
        signed = [w for w in work if isinstance(w.outcome, Signed)]
        refused = [w for w in work if isinstance(w.outcome, Refused)]
        # Core inserts on the tables (executemany), not the ORM's bulk path: the rows are plain
        # values already, and the ORM would only add per-row bookkeeping.
        connection = session.connection()
        if signed:
            connection.execute(
                insert(_table(CredentialRow)),
                [
                    {
                        "id": w.credential_id,
                        "credential_type": batch.credential_type,
                        "issuer": self._office.did,
                        "suite": suite,
                        "operator_id": operator.id,
                        "issued_at": at,
                        "document": w.outcome.document,  # type: ignore[union-attr]
                    }
                    for w in signed
                ],
            )
            indexed = [w for w in signed if w.index is not None]
            if indexed:
                connection.execute(
                    insert(_table(StatusIndexRow)),
                    [{"index": w.index, "credential_id": w.credential_id} for w in indexed],
                )
            connection.execute(
                insert(_table(OutboxRow)),
                [
                    {
                        "credential_id": w.credential_id,
                        "leaf": w.outcome.leaf,  # type: ignore[union-attr]
                        "created_at": at,
                        "batch_id": None,
                        "receipt": None,
                    }
                    for w in signed
                ],
            )
        mark = (
            update(IssuanceItemRow)
            .where(
                col(IssuanceItemRow.id) == bindparam("item"), col(IssuanceItemRow.state) == PENDING
            )
            .values(
                state=bindparam("state"),
                error_code=bindparam("code"),
                error_field=bindparam("field"),
                error_message=bindparam("message"),
            )
        )
        changes = [
            {"item": w.item_id, "state": ISSUED, "code": None, "field": None, "message": None}
            for w in signed
        ] + [
            {
                "item": w.item_id,
                "state": FAILED,
                "code": w.outcome.code,  # type: ignore[union-attr]
                "field": pointer_of(w.outcome.field),  # type: ignore[union-attr]
                "message": w.outcome.message,  # type: ignore[union-attr]
            }
            for w in refused
        ]
        session.connection().execute(mark, changes)
        batch.issued += len(signed)
        batch.failed += len(refused)
        session.add(batch)
        session.commit()
        log.info("batch %s: %d issued, %d failed in a chunk", batch.id, len(signed), len(refused))

    def run(self, stop: threading.Event) -> None:
        """Step until ``stop`` is set; back off while accreditation cannot be checked."""
        delay = 0.0
        while not stop.is_set():
            try:
                busy = self.step(datetime.now(UTC))
                delay = 0.0
            except RegistryError as exc:
                busy, delay = False, min(max(delay * 2, 0.5), self._settings.retry_max_s)
                log.warning("batch paused (%s); retrying in %.1f s", exc.code, delay)
            except Exception as exc:  # noqa: BLE001 — the runner must outlive any one fault
                busy, delay = False, min(max(delay * 2, 0.5), self._settings.retry_max_s)
                log.error("batch step failed (%s); retrying", type(exc).__name__)
            if not busy:
                self.wake.wait(delay or IDLE_S)
                self.wake.clear()


class RunnerThread:
    """A :class:`BatchRunner` on a daemon thread; :meth:`stop` also closes its signer."""

    def __init__(self, runner: BatchRunner, signer: ChunkSigner) -> None:
        self.runner = runner
        self._signer = signer
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=runner.run, args=(self._stop,), name="issuer-batch-runner", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self.runner.wake.set()
        self._thread.join(timeout_s)
        self._signer.close()


def start_runner(
    *, engine: Engine, office: Office, settings: Settings, gate: AccreditationGate | None
) -> RunnerThread:
    """Start the batch runner with its signer (``ISSUER_SIGNING_PROCESSES``)."""
    signer = make_signer(office, default_contexts(), settings.signing_processes)
    runner = BatchRunner(engine=engine, office=office, settings=settings, signer=signer, gate=gate)
    thread = RunnerThread(runner, signer)
    thread.start()
    return thread
