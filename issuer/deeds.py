"""Property deeds: transfer to new owners, and encumbrances (mortgage, seizure) on a deed.

Both end as office-signed ``status`` transactions on the registry (DESIGN §3), queued as
:class:`~issuer.tables.StatusRequestRow` rows that the chain worker signs and submits like a
revocation (:mod:`issuer.status`, :mod:`issuer.worker`):

- **Transfer** (``POST /deeds/{id}/transfer``): the new owners' deed is issued
  (:func:`issuer.service.issue`, every issuance check) and, in the same database transaction as
  its credential row, status index and anchoring outbox row, a ``supersede(by=<new id>)`` event
  for the old deed is queued. A crash therefore leaves either both or neither; the worker then
  publishes the supersede until the registry includes it, and the chain names the successor.
  The old deed must be a ``PropertyDeedCredential`` of this office with a status entry, not
  revoked or superseded (as far as the office has asked, nor on chain as far as the office's
  replica knows), and the new one must be a deed of the same real-estate unit (``unitNumber``).
- **Never two valid deeds for one unit.** The successor's anchor is held back until the old
  deed's supersede is included (:func:`unsettled_successors`, which the chain worker leaves out
  of its batches): without an anchor the successor verifies as nothing. Should the registry
  refuse the supersede (the deed was revoked or superseded on chain by other means meanwhile),
  :func:`supersede_refused` queues the successor's revocation (reason ``transfer refused:
  <code>``) and appends ``transfer.failed`` to the audit log, in the commit that records the
  refusal; the successor is anchored only once that revocation is included, so at no moment is
  it valid, and the old deed keeps the state the chain gave it.
- **Encumbrances** (``POST /deeds/{id}/encumbrances``, ``…/{enc_id}/release``): an
  ``encumbrance.add`` event (kind ``mortgage`` or ``seizure``, an optional holder and
  description) with an id the office assigns, and its ``encumbrance.release``. The ledger folds
  them into the deed's status (:func:`vc_core.ledger.status.fold_status`), so every replica sees
  the deed's encumbrances in force.

Every step appends to the audit log (:mod:`issuer.audit`) in the same commit.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from issuer import audit, service
from issuer.accreditation import AccreditationGate
from issuer.auth import ISSUE, Operator, authorize
from issuer.clock import stamp
from issuer.errors import ConflictError
from issuer.office import Office
from issuer.schemas import IssueOptions
from issuer.status import PENDING, STATUS_ROLES
from issuer.tables import CredentialRow, StatusIndexRow, StatusRequestRow
from vc_core.canon import LocalContexts
from vc_core.credential_types import credential_type_of
from vc_core.errors import NotFoundError, ValidationFailedError

DEED = "PropertyDeedCredential"
REJECTED = "rejected"
INCLUDED = "included"
# The reason of a successor's revocation when its transfer's supersede was refused.
TRANSFER_REFUSED = "transfer refused: "


class DeedCode(StrEnum):
    """The refusals of deed transfers and encumbrances."""

    NOT_A_DEED = "NOT_A_DEED"
    TRANSFER_TYPE_MISMATCH = "TRANSFER_TYPE_MISMATCH"
    TRANSFER_UNIT_MISMATCH = "TRANSFER_UNIT_MISMATCH"
    ENCUMBRANCE_NOT_FOUND = "ENCUMBRANCE_NOT_FOUND"
    DEED_REVOKED = "DEED_REVOKED"
    DEED_SUPERSEDED = "DEED_SUPERSEDED"


# What ends a deed for good: after either, no transfer or new encumbrance.
_FINAL = {"revoke": DeedCode.DEED_REVOKED, "supersede": DeedCode.DEED_SUPERSEDED}


class TransferRequest(BaseModel):
    """``POST /deeds/{id}/transfer``: the new owners' deed (a draft, as for issue) and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credential: dict[str, Any]
    reason: str = Field(default="transfer", max_length=200)
    options: IssueOptions = IssueOptions()


class EncumbranceRequest(BaseModel):
    """``POST /deeds/{id}/encumbrances``: a mortgage or a seizure to register on the deed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["mortgage", "seizure"]
    holder: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=500)


class ReleaseRequest(BaseModel):
    """``POST /deeds/{id}/encumbrances/{enc_id}/release``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(default="", max_length=200)


def load_deed(
    session: Session, operator: Operator, deed_id: str, *, roles: frozenset[str]
) -> tuple[CredentialRow, int]:
    """The deed's row and status index, after the role and scope checks.

    Raises:
        ForbiddenError: no role that may do this, or deeds outside the scope (403).
        NotFoundError: ``CREDENTIAL_NOT_FOUND`` (also a type outside the operator's scope).
        ValidationFailedError: ``NOT_A_DEED``, ``NO_STATUS_ENTRY`` (422).
    """
    authorize(operator, roles=roles)
    row = session.get(CredentialRow, deed_id)
    if row is None or row.credential_type not in operator.credential_types:
        raise NotFoundError(f"no credential {deed_id}", code="CREDENTIAL_NOT_FOUND")
    if row.credential_type != DEED:
        raise ValidationFailedError(
            f"{deed_id} is a {row.credential_type}, not a {DEED}", code=DeedCode.NOT_A_DEED
        )
    authorize(operator, roles=roles, credential_type=DEED)
    index = session.exec(
        select(StatusIndexRow.index).where(StatusIndexRow.credential_id == deed_id)
    ).first()
    if index is None:
        raise ValidationFailedError(
            "this deed was issued without a status entry", code="NO_STATUS_ENTRY"
        )
    return row, index


def _events(session: Session, deed_id: str) -> list[StatusRequestRow]:
    """The status events the office asked for on the deed (and the registry did not refuse)."""
    query = select(StatusRequestRow).where(
        StatusRequestRow.credential_id == deed_id, StatusRequestRow.state != REJECTED
    )
    return list(session.exec(query.order_by(col(StatusRequestRow.created_at))))


def check_open(session: Session, deed_id: str) -> None:
    """The deed is neither revoked nor superseded, nor about to be (409 otherwise)."""
    for request in _events(session, deed_id):
        code = _FINAL.get(request.action)
        if code is not None:
            raise ConflictError(f"the deed {deed_id} is {request.action}d", code=code)


def encumbrances(session: Session, deed_id: str) -> dict[str, dict[str, Any]]:
    """The encumbrances registered on the deed and not released, by id."""
    held: dict[str, dict[str, Any]] = {}
    for request in _events(session, deed_id):
        detail = json.loads(request.detail or "{}")
        if request.action == "encumbrance.add":
            held[detail["encumbrance_id"]] = {"state": request.state, **detail}
        elif request.action == "encumbrance.release":
            held.pop(detail["encumbrance_id"], None)
    return held


def _queue(
    session: Session,
    *,
    deed_id: str,
    index: int,
    action: str,
    reason: str,
    detail: dict[str, Any],
    operator: Operator,
    now: datetime,
) -> StatusRequestRow:
    row = StatusRequestRow(
        id=f"urn:uuid:{uuid.uuid4()}",
        credential_id=deed_id,
        status_index=index,
        action=action,
        reason=reason,
        detail=json.dumps(detail, separators=(",", ":")),
        operator_id=operator.id,
        created_at=stamp(now),
        state=PENDING,
    )
    session.add(row)
    session.flush()
    return row


def _check_successor(old: CredentialRow, draft: dict[str, Any]) -> None:
    """The new deed is a deed of the same unit as the old one."""
    if credential_type_of(draft) != DEED:
        raise ValidationFailedError(
            f"a deed is transferred by issuing a {DEED}",
            code=DeedCode.TRANSFER_TYPE_MISMATCH,
            field="credential.type",
        )
    old_unit = json.loads(old.document).get("credentialSubject", {}).get("unitNumber")
    subject = draft.get("credentialSubject")
    new_unit = subject.get("unitNumber") if isinstance(subject, dict) else None
    if new_unit != old_unit:
        raise ValidationFailedError(
            "the new deed names another real-estate unit than the deed it replaces",
            code=DeedCode.TRANSFER_UNIT_MISMATCH,
            field="credential.credentialSubject.unitNumber",
        )


def check_transfer(
    session: Session,
    operator: Operator,
    deed_id: str,
    request: TransferRequest,
    *,
    gate: AccreditationGate | None = None,
    now: datetime | None = None,
) -> CredentialRow:
    """Everything a transfer checks before anything is signed (also when it is held).

    With a ``gate`` (a registry configured), the office's replica must not show the deed
    revoked or superseded on chain: a status change made outside this issuer is refused here
    rather than left for the registry to refuse the supersede.
    """
    old, index = load_deed(session, operator, deed_id, roles=ISSUE)
    check_open(session, deed_id)
    _check_successor(old, request.credential)
    if gate is not None and now is not None:
        on_chain = gate.credential_status(deed_id, index, now=now)
        if on_chain.revoked:
            raise ConflictError(
                f"the deed {deed_id} is revoked on the registry", code=DeedCode.DEED_REVOKED
            )
        if on_chain.superseded_by is not None:
            raise ConflictError(
                f"the deed {deed_id} is superseded on the registry",
                code=DeedCode.DEED_SUPERSEDED,
            )
    return old


def unsettled_successors(session: Session) -> set[str]:
    """Successor deeds whose anchoring must wait: their supersede is not yet included, or was
    refused and their own revocation is not yet included (see the module). The chain worker
    leaves their leaves out of its batches until then."""
    supersedes = select(StatusRequestRow).where(
        StatusRequestRow.action == "supersede", StatusRequestRow.state != INCLUDED
    )
    waiting: set[str] = set()
    refused: set[str] = set()
    for row in session.exec(supersedes):
        successor = json.loads(row.detail or "{}").get("by")
        if isinstance(successor, str):
            (refused if row.state == REJECTED else waiting).add(successor)
    if refused:
        revoked = select(StatusRequestRow.credential_id).where(
            col(StatusRequestRow.credential_id).in_(sorted(refused)),
            StatusRequestRow.action == "revoke",
            StatusRequestRow.state == INCLUDED,
        )
        done: set[str] = set(session.exec(revoked).all())
        waiting |= refused - done
    return waiting


def supersede_refused(
    session: Session, request: StatusRequestRow, code: str, now: datetime
) -> StatusRequestRow | None:
    """The registry refused a transfer's supersede for good: queue the successor's revocation
    and audit the failed transfer (not committed: the caller commits it with the refusal).
    ``None`` when ``request`` is no supersede, or names no successor of this office."""
    successor = json.loads(request.detail or "{}").get("by")
    if request.action != "supersede" or not isinstance(successor, str):
        return None
    index = session.exec(
        select(StatusIndexRow.index).where(StatusIndexRow.credential_id == successor)
    ).first()
    if index is None:
        return None
    with audit.LOCK:
        row = StatusRequestRow(
            id=f"urn:uuid:{uuid.uuid4()}",
            credential_id=successor,
            status_index=index,
            action="revoke",
            reason=TRANSFER_REFUSED + code,
            operator_id=request.operator_id,
            created_at=stamp(now),
            state=PENDING,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            actor=request.operator_id,
            action="transfer.failed",
            now=now,
            request_id=request.id,
            credential_id=request.credential_id,
            detail=f"{code}; successor {successor} revoked by {row.id}",
        )
    return row


def transfer(
    *,
    session: Session,
    office: Office,
    operator: Operator,
    deed_id: str,
    request: TransferRequest,
    suite_for: Callable[[str], str],
    contexts: LocalContexts,
    now: datetime,
    registry_base: str | None,
    gate: AccreditationGate | None,
    before_commit: Callable[[Session, dict[str, Any]], None] | None = None,
) -> tuple[dict[str, Any], StatusRequestRow]:
    """Issue the new owners' deed and queue the old one's supersede, in one commit.

    Raises:
        everything :func:`issuer.service.issue` raises, and what :func:`load_deed` and
        :func:`check_open` raise; ``TRANSFER_TYPE_MISMATCH`` / ``TRANSFER_UNIT_MISMATCH`` (422).
    """
    check_transfer(session, operator, deed_id, request, gate=gate, now=now)
    _, index = load_deed(session, operator, deed_id, roles=ISSUE)
    draft = dict(request.credential)
    if request.options.credentialId is not None and "id" not in draft:
        draft["id"] = request.options.credentialId
    queued: list[StatusRequestRow] = []

    def supersede(inner: Session, signed: dict[str, Any]) -> None:
        with audit.LOCK:
            queued.append(
                _queue(
                    inner,
                    deed_id=deed_id,
                    index=index,
                    action="supersede",
                    reason=request.reason,
                    detail={"by": signed["id"]},
                    operator=operator,
                    now=now,
                )
            )
            audit.append(
                inner,
                actor=operator.id,
                action="deed.transfer",
                now=now,
                request_id=queued[0].id,
                credential_id=deed_id,
                detail=f"successor {signed['id']}",
            )
            if before_commit is not None:
                before_commit(inner, signed)

    with audit.LOCK:
        signed = service.issue(
            session=session,
            office=office,
            operator=operator,
            draft=draft,
            suite_for=suite_for,
            contexts=contexts,
            now=now,
            registry_base=registry_base,
            gate=gate,
            before_commit=supersede,
        )
    return signed, queued[0]


def check_encumbrance(session: Session, operator: Operator, deed_id: str) -> int:
    """What registering an encumbrance checks (also before it is held): the deed's role,
    scope and status entry, and that it is neither revoked nor superseded; its status index."""
    _, index = load_deed(session, operator, deed_id, roles=STATUS_ROLES)
    check_open(session, deed_id)
    return index


def check_release(session: Session, operator: Operator, deed_id: str, encumbrance_id: str) -> int:
    """What releasing an encumbrance checks (also before it is held); the deed's status index.

    Raises:
        NotFoundError: ``ENCUMBRANCE_NOT_FOUND`` (never registered here, or released already).
    """
    _, index = load_deed(session, operator, deed_id, roles=STATUS_ROLES)
    if encumbrance_id not in encumbrances(session, deed_id):
        raise NotFoundError(
            f"no encumbrance {encumbrance_id} in force on {deed_id}",
            code=DeedCode.ENCUMBRANCE_NOT_FOUND,
        )
    return index


def new_encumbrance_id() -> str:
    """An id for an encumbrance, assigned by the office (before it is held for approval)."""
    return f"enc-{secrets.token_hex(8)}"


def add_encumbrance(
    *,
    session: Session,
    operator: Operator,
    deed_id: str,
    request: EncumbranceRequest,
    now: datetime,
    encumbrance_id: str | None = None,
    before_commit: Callable[[Session, StatusRequestRow], None] | None = None,
) -> tuple[str, StatusRequestRow]:
    """Queue an ``encumbrance.add`` event on the deed; its id and the queued request.

    ``encumbrance_id`` is the one assigned when the request was held (a new one otherwise);
    ``before_commit(session, row)`` adds rows that commit with it (an approval's entries).
    """
    index = check_encumbrance(session, operator, deed_id)
    encumbrance_id = encumbrance_id or new_encumbrance_id()
    detail: dict[str, Any] = {"encumbrance_id": encumbrance_id, "kind": request.kind}
    if request.holder is not None:
        detail["holder"] = request.holder
    if request.description:
        detail["description"] = request.description
    with audit.LOCK:
        row = _queue(
            session,
            deed_id=deed_id,
            index=index,
            action="encumbrance.add",
            reason="",
            detail=detail,
            operator=operator,
            now=now,
        )
        audit.append(
            session,
            actor=operator.id,
            action="encumbrance.add",
            now=now,
            request_id=row.id,
            credential_id=deed_id,
            detail=f"{encumbrance_id} {request.kind}",
        )
        if before_commit is not None:
            before_commit(session, row)
        session.commit()
    return encumbrance_id, row


def release_encumbrance(
    *,
    session: Session,
    operator: Operator,
    deed_id: str,
    encumbrance_id: str,
    request: ReleaseRequest,
    now: datetime,
    before_commit: Callable[[Session, StatusRequestRow], None] | None = None,
) -> StatusRequestRow:
    """Queue the ``encumbrance.release`` of an encumbrance registered on the deed.

    Raises:
        NotFoundError: ``ENCUMBRANCE_NOT_FOUND`` (never registered here, or released already).
    """
    index = check_release(session, operator, deed_id, encumbrance_id)
    with audit.LOCK:
        row = _queue(
            session,
            deed_id=deed_id,
            index=index,
            action="encumbrance.release",
            reason=request.reason,
            detail={"encumbrance_id": encumbrance_id},
            operator=operator,
            now=now,
        )
        audit.append(
            session,
            actor=operator.id,
            action="encumbrance.release",
            now=now,
            request_id=row.id,
            credential_id=deed_id,
            detail=encumbrance_id,
        )
        if before_commit is not None:
            before_commit(session, row)
        session.commit()
    return row
