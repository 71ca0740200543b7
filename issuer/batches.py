"""Batch issuance as service functions: store a batch, report its progress, list its rows.

``POST /batches`` calls :func:`submit`, which stores the batch and every row (CSV or JSON Lines,
:mod:`issuer.batch_input`) in one commit **before** answering 202, so nothing the office sent
is lost to a crash. Each readable row is stored ``pending`` with the credential id it will be
issued under (the row's own ``id``, or a fresh ``urn:uuid:`` chosen now); an unreadable row is
stored ``failed`` with its line, field (JSON pointer) and reason. The batch runner
(:mod:`issuer.batch_runner`) then issues the pending rows in the background, a chunk per
database transaction, each row through the same steps as ``POST /credentials/issue``.

At most once: a row turns ``issued`` in the transaction that stores its credential, under the
id fixed at submission, and the credential table's primary key refuses that id a second time;
so a chunk interrupted by a crash is redone from the start and never issues a row twice. A
client that is unsure whether its ``POST /batches`` arrived resends it with the same
``Idempotency-Key``: the same key with the same rows answers the batch already stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from issuer.auth import ISSUE, READ, Operator, authorize
from issuer.batch_input import Row, parse_rows
from issuer.clock import stamp
from issuer.errors import ConflictError, ForbiddenError
from issuer.tables import BatchRow, IssuanceBatchRow, IssuanceItemRow, OutboxRow
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.errors import NotFoundError, SchemaError


class BatchCode(StrEnum):
    """The refusals batch issuance adds to the single-issue steps' own (typed once)."""

    CREDENTIAL_TYPE_UNKNOWN = "CREDENTIAL_TYPE_UNKNOWN"
    DUAL_CONTROL_REQUIRED = "DUAL_CONTROL_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    BAD_IDEMPOTENCY_KEY = "BAD_IDEMPOTENCY_KEY"
    BATCH_NOT_FOUND = "BATCH_NOT_FOUND"
    CREDENTIAL_TYPE_MISMATCH = "CREDENTIAL_TYPE_MISMATCH"
    CREDENTIAL_ID_TAKEN = "CREDENTIAL_ID_TAKEN"
    TOKEN_REVOKED = "TOKEN_REVOKED"  # noqa: S105 (a code, as auth.py answers a revoked token)


PENDING, ISSUED, FAILED = "pending", "issued", "failed"
RUNNING, DONE = "running", "done"
# GET /batches/{id} lists at most this many failed rows (``failed`` counts them all).
MAX_LISTED_ERRORS = 1000
MAX_IDEMPOTENCY_KEY = 200


def check_type(credential_type: str | None) -> str:
    """The batch's credential type, if it is one ecert knows (422 otherwise)."""
    if not credential_type or credential_type not in CREDENTIAL_TYPES:
        raise SchemaError(
            f"name one credential type ({', '.join(sorted(CREDENTIAL_TYPES))}) in ?type= "
            "or the Credential-Type header",
            code=BatchCode.CREDENTIAL_TYPE_UNKNOWN,
            field="type",
        )
    return credential_type


def check_single_control(credential_type: str, approvals: int) -> None:
    """Refuse a batch of a type under dual control (403): each credential of such a type waits
    for its own approvals (:mod:`issuer.approvals`), which a batch cannot carry row by row."""
    if approvals > 1:
        raise ForbiddenError(
            f"{credential_type} is issued under dual control ({approvals} operators): issue each "
            "through POST /credentials/issue",
            code=BatchCode.DUAL_CONTROL_REQUIRED,
            field="type",
        )


def submit(
    *,
    session: Session,
    operator: Operator,
    credential_type: str,
    media_type: str,
    body: bytes,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[IssuanceBatchRow, bool]:
    """Store a batch and its rows (one commit); the batch and whether it is new.

    Raises:
        ForbiddenError: not an issuer, or the type outside the operator's scope (403).
        SchemaError: ``CREDENTIAL_TYPE_UNKNOWN`` (422).
        MalformedError: nothing could be read (not UTF-8, no CSV header, no rows; 400).
        ConflictError: ``IDEMPOTENCY_KEY_REUSED`` for other rows, type or operator (409).
    """
    authorize(operator, roles=ISSUE, credential_type=check_type(credential_type))
    digest = hashlib.sha256(media_type.encode() + b"\n" + body).hexdigest()
    if idempotency_key is not None:
        earlier = session.exec(
            select(IssuanceBatchRow).where(IssuanceBatchRow.idempotency_key == idempotency_key)
        ).first()
        if earlier is not None:
            same = (earlier.body_sha256, earlier.credential_type, earlier.operator_id) == (
                digest,
                credential_type,
                operator.id,
            )
            if not same:
                raise ConflictError(
                    "this Idempotency-Key was used for another batch",
                    code=BatchCode.IDEMPOTENCY_KEY_REUSED,
                    field="Idempotency-Key",
                )
            return earlier, False
    rows = parse_rows(body, media_type, credential_type)
    batch = IssuanceBatchRow(
        id=f"urn:uuid:{uuid.uuid4()}",
        credential_type=credential_type,
        operator_id=operator.id,
        media_type=media_type,
        idempotency_key=idempotency_key,
        body_sha256=digest,
        state=RUNNING,
        total=len(rows),
        failed=sum(1 for r in rows if r.draft is None),
        created_at=stamp(now),
    )
    if batch.failed == batch.total:
        batch.state, batch.finished_at = DONE, stamp(now)
    session.add(batch)
    session.flush()
    session.execute(insert(IssuanceItemRow), [_item(batch.id, r) for r in rows])
    session.commit()
    session.refresh(batch)
    return batch, True


def _item(batch_id: str, row: Row) -> dict[str, Any]:
    if row.draft is None:
        return {
            "batch_id": batch_id,
            "line": row.line,
            "state": FAILED,
            "credential_id": None,
            "draft": None,
            "error_code": row.code,
            "error_field": row.field,
            "error_message": row.message,
        }
    given = row.draft.get("id")
    credential_id = given if isinstance(given, str) else None
    if "id" not in row.draft:
        credential_id = f"urn:uuid:{uuid.uuid4()}"
    return {
        "batch_id": batch_id,
        "line": row.line,
        "state": PENDING,
        "credential_id": credential_id,
        "draft": json.dumps(row.draft, ensure_ascii=False, separators=(",", ":")),
        "error_code": None,
        "error_field": None,
        "error_message": None,
    }


def _batch_for(session: Session, operator: Operator, batch_id: str) -> IssuanceBatchRow:
    authorize(operator, roles=READ)
    batch = session.get(IssuanceBatchRow, batch_id)
    if batch is None or batch.credential_type not in operator.credential_types:
        raise NotFoundError(f"no batch {batch_id}", code=BatchCode.BATCH_NOT_FOUND)
    return batch


def anchored_count(session: Session, batch_id: str) -> int:
    """How many of the batch's credentials are in an anchor the registry included."""
    query = (
        select(func.count())
        .select_from(IssuanceItemRow)
        .join(OutboxRow, col(OutboxRow.credential_id) == col(IssuanceItemRow.credential_id))
        .join(BatchRow, col(BatchRow.id) == col(OutboxRow.batch_id))
        .where(IssuanceItemRow.batch_id == batch_id, IssuanceItemRow.state == ISSUED)
        .where(col(BatchRow.anchored_at).is_not(None))
    )
    return int(session.exec(query).one())


def view(*, session: Session, operator: Operator, batch_id: str) -> dict[str, Any]:
    """A batch's progress: counts, state, and the failed rows by line (the first 1,000).

    Raises:
        NotFoundError: ``BATCH_NOT_FOUND`` (also for a type outside the operator's scope).
    """
    batch = _batch_for(session, operator, batch_id)
    failed = session.exec(
        select(IssuanceItemRow)
        .where(IssuanceItemRow.batch_id == batch_id, IssuanceItemRow.state == FAILED)
        .order_by(col(IssuanceItemRow.line))
        .limit(MAX_LISTED_ERRORS)
    )
    return {
        "id": batch.id,
        "type": batch.credential_type,
        "state": batch.state,
        "total": batch.total,
        "issued": batch.issued,
        "failed": batch.failed,
        "pending": batch.total - batch.issued - batch.failed,
        "anchored": anchored_count(session, batch.id),
        "createdAt": batch.created_at,
        "finishedAt": batch.finished_at,
        "errors": [_error(item) for item in failed],
    }


def _error(item: IssuanceItemRow) -> dict[str, Any]:
    return {
        "line": item.line,
        "pointer": item.error_field or "",
        "code": item.error_code,
        "detail": item.error_message,
    }


def items(
    *, session: Session, operator: Operator, batch_id: str, after: int, limit: int
) -> dict[str, Any]:
    """The batch's rows after line ``after`` (at most ``limit``): state, credential id, error.

    Raises:
        NotFoundError: ``BATCH_NOT_FOUND``.
    """
    _batch_for(session, operator, batch_id)
    found = session.exec(
        select(IssuanceItemRow)
        .where(IssuanceItemRow.batch_id == batch_id, IssuanceItemRow.line > after)
        .order_by(col(IssuanceItemRow.line))
        .limit(limit)
    )
    out = []
    for item in found:
        entry: dict[str, Any] = {"line": item.line, "state": item.state}
        if item.state == ISSUED:
            entry["credentialId"] = item.credential_id
        if item.state == FAILED:
            entry["error"] = _error(item)
        out.append(entry)
    return {"items": out, "next": out[-1]["line"] if len(out) == limit else None}
