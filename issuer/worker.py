"""The office's chain worker: anchors outbox batches and publishes status events.

One thread in the issuer process (started by the app's lifespan when ``ISSUER_REGISTRY_URL`` is
set and ``ISSUER_ANCHOR_WORKER`` is not false). Each :meth:`ChainWorker.step` does one thing, in
this order of priority:

0. On PostgreSQL, the worker first takes its turn (:meth:`ChainWorker._my_turn`): several
   issuer processes may share one database, and only one of their workers steps at a time.
1. An office transaction is in flight (signed and stored, see :mod:`issuer.outbox`): submit it
   again (the same bytes, so the same hash; the node answers a known transaction's state) and
   wait up to ``submit_wait_s`` for its block. Once the node reports it ``included``, store its
   inclusion and, for an anchor, the block that includes it (receipts are built from it on
   demand, :mod:`issuer.receipts`), in one database commit. Refused for its
   sequence number (another transaction of the office took it), the same body is re-signed with
   the next one; refused because its leaves are already on chain, their receipts are fetched;
   refused for any other rule, it is marked rejected with the rule's code.
2. A status request waits (:mod:`issuer.status`): sign its ``status`` transaction with the
   office's next sequence number and store it (it is then in flight).
3. The outbox holds a due batch (:func:`issuer.outbox.due_leaves`): build its RFC 6962 tree
   (RFC 9162 §2.1) over the leaf digests, sign the ``anchor`` transaction with every leaf
   published, and store it with the batch in one commit (it is then in flight).

A registry that cannot be reached raises :class:`~vc_core.errors.RegistryError`; :meth:`run`
logs its code and tries again with exponential backoff (at most ``retry_max_s``). Nothing is
lost: every row stays in the database until its transaction is included. Log lines name batch
ids, transaction hashes, counts and error codes, never credential content or keys.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer import deeds, outbox, status
from issuer.config import Settings
from issuer.db import WORKER_LOCK, is_postgresql
from issuer.office import Office
from issuer.tables import OfficeTxRow, StatusRequestRow
from vc_core.did_ecert import parse_office_did
from vc_core.errors import RegistryError, VCError
from vc_core.ledger import AnchorBody, Block, Transaction, office_tx
from vc_core.ledger.bodies import TxBody
from vc_core.registry_client import RegistryClient
from vc_core.transparency.merkle import MerkleTree

log = logging.getLogger("issuer.worker")
# Refusals that mean "this sequence number is taken": the transaction can never be included.
SEQ_CODES = frozenset({"REPLAYED_TRANSACTION", "BAD_SEQUENCE"})
# Refusals that mean "these leaves are on chain already": their receipts exist.
ANCHORED_CODES = frozenset({"LEAF_ALREADY_ANCHORED", "BATCH_ALREADY_ANCHORED"})
IDLE_S = 0.05


class ChainWorker:
    """Moves the office's outbox and status requests onto the registry (see the module)."""

    def __init__(
        self, *, engine: Engine, client: RegistryClient, office: Office, settings: Settings
    ) -> None:
        self._engine = engine
        self._client = client
        self._office = office
        self._settings = settings
        self._chain_id = parse_office_did(office.did).chain_id

    # One step ---------------------------------------------------------------------------------

    def step(self, now: datetime) -> bool:
        """Do the most urgent piece of work; ``False`` when there was nothing to do.

        Raises:
            RegistryError: the registry could not be reached (nothing is lost; try again).
        """
        with Session(self._engine) as session:
            if not self._my_turn(session):
                return False
            flying = outbox.in_flight(session)
            if flying is not None:
                return self._advance(session, flying, now)
            request = status.next_request(session)
            if request is not None:
                body = status.body_for(request, now=now)
                status.attach_tx(session, request, self._sign("status", body, now), now)
                log.info("status %s signed for request %s", body.event.event, request.id)
                return True
            leaves = outbox.due_leaves(
                session,
                now=now,
                max_leaves=self._settings.batch_max_leaves,
                max_age_s=self._settings.batch_max_age_s,
            )
            if leaves:
                # Read after the leaves, so a transfer committed in between is seen here: a
                # successor deed is anchored only once its supersede settled (issuer.deeds).
                held = deeds.unsettled_successors(session)
                leaves = [row for row in leaves if row.credential_id not in held]
            if not leaves:
                return False
            digests = [row.leaf for row in leaves]
            root = MerkleTree([bytes.fromhex(d) for d in digests]).root.hex()
            batch_id = f"batch-{root[:16]}"
            anchor = AnchorBody(
                batch_id=batch_id, batch_root=root, leaf_count=len(digests), leaves=tuple(digests)
            )
            tx = self._sign("anchor", anchor, now)
            outbox.close_batch(session, leaves, batch_id=batch_id, root=root, tx=tx, now=now)
            log.info("batch %s closed: %d leaves, tx %s", batch_id, len(digests), tx.hash)
            return True

    def _my_turn(self, session: Session) -> bool:
        """On PostgreSQL, several issuer processes may share the database, each with a worker:
        one step at a time, under a transaction-scoped advisory lock held until the step's
        commit, so two workers never take the same batch or request nor sign two transactions
        at once. A worker that finds the lock taken lets this step pass. (On SQLite the file
        belongs to one process, whose one worker thread steps alone.)"""
        if not is_postgresql(self._engine):
            return True
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool(session.execute(query, {"key": WORKER_LOCK}).scalar())

    def _sign(self, tx_type: str, body: TxBody, now: datetime) -> Transaction:
        seq = self._client.next_seq(self._office.did)
        return office_tx(
            self._chain_id,
            tx_type,
            body,
            office=self._office.did,
            seq=seq,
            time=now,
            key=self._office.signer_at(now),
        )

    def _advance(self, session: Session, row: OfficeTxRow, now: datetime) -> bool:
        tx = Transaction.from_json(row.document)
        try:
            answer = self._client.submit(tx, wait_s=self._settings.submit_wait_s)
        except RegistryError:
            raise
        except VCError as exc:  # the node refused it when it was submitted (4xx)
            return self._refused(session, row, tx, exc.code, now)
        if answer.state == "rejected":
            code = str((answer.problem or {}).get("code", "REJECTED"))
            return self._refused(session, row, tx, code, now)
        if answer.state != "included":
            return False
        inclusion = self._client.get_json(f"/transactions/{tx.hash}")
        self._finish(session, row, answer.height, inclusion, now)
        return True

    def _finish(
        self, session: Session, row: OfficeTxRow, height: int | None, inclusion: Any, now: datetime
    ) -> None:
        batch = outbox.batch_of(session, row)
        block_json, position = None, None
        if batch is not None:
            block_json, position, height = self._including_block(session, batch.id, row, height)
        outbox.mark_included(
            session,
            row,
            height=height,
            inclusion=inclusion,
            receipts={},
            now=now,
            block_json=block_json,
            tx_position=position,
        )
        what = f"batch {batch.id} ({batch.leaf_count} leaves)" if batch else row.kind
        log.info("%s included at height %s, tx %s", what, height, row.tx_hash)

    def _including_block(
        self, session: Session, batch_id: str, row: OfficeTxRow, height: int | None
    ) -> tuple[str, int, int]:
        """The block holding the batch's anchor (JSON as the node signed it), its position and
        height; receipts are built from it on demand (:mod:`issuer.receipts`)."""
        if height is None:
            # Refused as already anchored: the node's receipt of one leaf names the block.
            first = outbox.batch_leaves(session, batch_id, limit=1)[0]
            height = self._client.receipt(first.leaf).height
        data = self._client.get_json("/blocks", params={"from": height, "limit": 1})
        raw = data["blocks"][0] if isinstance(data, dict) and data.get("blocks") else None
        block = Block.model_validate(raw) if raw is not None else None
        if block is None or block.height != height:
            raise RegistryError(f"the node did not send block {height}", code="BLOCK_MISSING")
        anchor = Transaction.from_json(row.document)
        root = anchor.body.batch_root if isinstance(anchor.body, AnchorBody) else None
        for position, tx in enumerate(block.transactions):
            body = tx.body
            ours = isinstance(body, AnchorBody) and tx.author == anchor.author
            if ours and body.batch_root == root:  # type: ignore[union-attr]
                return json.dumps(raw, separators=(",", ":")), position, height
        raise RegistryError(f"block {height} has no anchor of this batch", code="ANCHOR_NOT_FOUND")

    def _refused(
        self, session: Session, row: OfficeTxRow, tx: Transaction, code: str, now: datetime
    ) -> bool:
        if code in SEQ_CODES:
            fresh = self._sign(tx.type, tx.body, now)
            outbox.replace_tx(session, row, fresh, code=code, now=now)
            log.warning("tx %s refused (%s); re-signed as %s", row.tx_hash, code, fresh.hash)
            return True
        if code in ANCHORED_CODES and row.kind == "anchor":
            self._finish(session, row, None, {"refused": code}, now)
            return True
        if row.kind == "status":
            requests = session.exec(
                select(StatusRequestRow).where(StatusRequestRow.tx_id == row.id)
            ).all()
            for request in requests:
                revoke = deeds.supersede_refused(session, request, code, now)
                if revoke is not None:  # committed with the refusal, by mark_rejected
                    log.error(
                        "transfer failed: supersede of request %s refused (%s); successor "
                        "revocation queued as %s",
                        request.id,
                        code,
                        revoke.id,
                    )
        outbox.mark_rejected(session, row, code)
        log.error("tx %s (%s) rejected by the registry: %s", row.tx_hash, row.kind, code)
        return True

    # The loop ---------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Step until ``stop`` is set, backing off while the registry cannot be reached."""
        delay = 0.0
        while not stop.is_set():
            try:
                busy = self.step(datetime.now(UTC))
                delay = 0.0
            except RegistryError as exc:
                busy, delay = False, self._backoff(delay)
                log.warning("registry unavailable (%s); retrying in %.1f s", exc.code, delay)
            except VCError as exc:
                busy, delay = False, self._backoff(delay)
                log.error("anchoring step failed (%s); retrying in %.1f s", exc.code, delay)
            except Exception as exc:  # noqa: BLE001 — the worker must outlive any one fault
                busy, delay = False, self._backoff(delay)
                log.error("anchoring step failed (%s); retrying", type(exc).__name__)
            if not busy:
                stop.wait(delay or IDLE_S)

    def _backoff(self, delay: float) -> float:
        return min(max(delay * 2, 0.2), self._settings.retry_max_s)


class WorkerThread:
    """A :class:`ChainWorker` on a daemon thread, with its own registry client."""

    def __init__(self, *, engine: Engine, office: Office, settings: Settings) -> None:
        url = settings.registry_base
        if url is None:
            raise ValueError("the chain worker needs ISSUER_REGISTRY_URL")
        self._client = RegistryClient(url, timeout_s=settings.submit_wait_s + 10, retries=1)
        self.worker = ChainWorker(
            engine=engine, client=self._client, office=office, settings=settings
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.worker.run, args=(self._stop,), name="issuer-chain-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        log.info("chain worker started for %s", self._client.url)

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
        self._client.close()
