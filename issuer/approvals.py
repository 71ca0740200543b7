"""Dual control: issuing, revoking or transferring a credential of a guarded type, offering
one to a wallet (OpenID4VCI), and registering or releasing an encumbrance on a deed, waits for
other operators' approval (four-eyes principle).

The policy is per type (``ISSUER_APPROVALS_BY_TYPE``, ``{"PropertyDeedCredential": 2}`` by
default): ``approvals: N`` means N distinct operators agree, the one who asks counting as the
first, so a deed needs one approver besides its requester. Such a write answers ``202`` with a
held request (:class:`~issuer.tables.ApprovalRequestRow`) after the checks that need no
signature (the draft's structure, type, role and scope; a transfer's deed rules), and:

(1) ``POST /requests/{id}/approve`` by an operator with the ``approver`` role whose scope covers
    the type. The requester may not approve its own request (403 ``SELF_APPROVAL``), nobody
    approves twice (409 ``ALREADY_APPROVED``), and only a pending request can be approved (409
    ``REQUEST_NOT_PENDING``, naming its state).
(2) The approval that completes the count claims the request with a conditional update
    (``pending`` → ``executed`` only where it is still ``pending``), so of two approvers racing
    exactly one carries it out; the other gets 409. The action runs as the requester (whose
    token must still be active), and the claim, the approval, the action's rows and the audit
    entries commit in one database transaction. An action that fails (a rule that only signing
    or the database could tell) leaves the request ``failed`` with the error's code, and the
    approver gets that error.
(3) ``POST /requests/{id}/reject`` (approver or admin, not the requester) ends it ``rejected``.

Every request, approval, rejection, execution and failure is appended to the audit log
(:mod:`issuer.audit`), naming operators by id and credentials by id — never claims.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer import audit, deeds, service, status
from issuer.accreditation import AccreditationGate
from issuer.auth import Operator, authorize
from issuer.clock import stamp
from issuer.errors import ConflictError, ForbiddenError
from issuer.office import Office
from issuer.tables import (
    ApprovalRequestRow,
    ApprovalRow,
    CredentialRow,
    OfferRow,
    OperatorRow,
    StatusRequestRow,
)
from vc_core.canon import LocalContexts
from vc_core.errors import NotFoundError, VCError
from vc_core.issuance import issue_credential
from vc_core.ledger.did import verification_method_id

PENDING, EXECUTED, FAILED, REJECTED = "pending", "executed", "failed", "rejected"
STATES = (PENDING, EXECUTED, FAILED, REJECTED)
APPROVE_ROLES = frozenset({"approver"})
REJECT_ROLES = frozenset({"approver", "admin"})
READ_ROLES = frozenset({"issuer", "approver", "admin"})


class ApprovalCode(StrEnum):
    """The refusals of dual control (typed once; problem ``type`` URIs derive from them)."""

    SELF_APPROVAL = "SELF_APPROVAL"
    ALREADY_APPROVED = "ALREADY_APPROVED"
    REQUEST_NOT_PENDING = "REQUEST_NOT_PENDING"
    REQUEST_NOT_FOUND = "REQUEST_NOT_FOUND"
    REQUESTER_INACTIVE = "REQUESTER_INACTIVE"
    TRANSFER_PENDING = "TRANSFER_PENDING"
    RELEASE_PENDING = "RELEASE_PENDING"
    OFFER_NOT_HELD = "OFFER_NOT_HELD"


# The kinds of held request that change a deed's encumbrances (the ledger's event names).
ENCUMBER, RELEASE = "encumbrance.add", "encumbrance.release"
# A credential offer of a type under dual control (:mod:`issuer.oid4vci.offers`): the offer row
# is stored ``held`` and becomes ``offered`` (redeemable) only when the request is approved.
OFFER, OFFER_HELD, OFFER_OPEN, OFFER_DEAD = "offer", "held", "offered", "dead"


@dataclass(frozen=True)
class Issuing:
    """What carrying out a held request needs beyond the database (the route supplies it)."""

    office: Office
    suite_for: Callable[[str], str]
    contexts: LocalContexts
    registry_base: str | None
    gate: AccreditationGate | None


def _hold(
    session: Session,
    *,
    kind: str,
    operator: Operator,
    credential_type: str,
    credential_id: str,
    payload: dict[str, Any],
    required: int,
    now: datetime,
) -> ApprovalRequestRow:
    row = ApprovalRequestRow(
        id=f"urn:uuid:{uuid.uuid4()}",
        kind=kind,
        credential_type=credential_type,
        credential_id=credential_id,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        requested_by=operator.id,
        required=required,
        created_at=stamp(now),
        state=PENDING,
    )
    with audit.LOCK:
        session.add(row)
        session.flush()
        audit.append(
            session,
            actor=operator.id,
            action=f"{kind}.requested",
            now=now,
            request_id=row.id,
            credential_id=credential_id,
            detail=f"needs {required} operators",
        )
        session.commit()
    session.refresh(row)
    return row


def _dry_run(issuing: Issuing, draft: dict[str, Any], type_name: str, now: datetime) -> None:
    """Validate the draft as issuance will (schema, identifiers, validity) and discard the
    signature, so an approver is never asked to approve what would be refused."""
    signer = issuing.office.signer_at(now)
    issue_credential(
        draft,
        signer,
        suite=issuing.suite_for(type_name),
        now=now,
        contexts=issuing.contexts,
        verification_method=verification_method_id(issuing.office.did, signer.public_multibase),
    )


def hold_issue(
    *,
    session: Session,
    issuing: Issuing,
    operator: Operator,
    draft: dict[str, Any],
    required_for: Callable[[str], int],
    now: datetime,
) -> ApprovalRequestRow | None:
    """Hold an issuance whose type needs approval (``None``: issue at once)."""
    prepared, type_name = service.check_draft(
        session=session, office=issuing.office, operator=operator, draft=draft
    )
    required = required_for(type_name)
    if required <= 1:
        return None
    _dry_run(issuing, prepared, type_name, now)
    return _hold(
        session,
        kind="issue",
        operator=operator,
        credential_type=type_name,
        credential_id=prepared["id"],
        payload=prepared,
        required=required,
        now=now,
    )


def hold_status(
    *,
    session: Session,
    operator: Operator,
    request: status.StatusRequest,
    required_for: Callable[[str], int],
    now: datetime,
) -> ApprovalRequestRow | None:
    """Hold a revocation whose credential's type needs approval (``None``: go on at once).

    Suspensions and reinstatements are not held: they are temporary and reversible.
    """
    if request.action != "revoke":
        return None
    authorize(operator, roles=status.STATUS_ROLES)
    credential = session.get(CredentialRow, request.credentialId)
    if credential is None or credential.credential_type not in operator.credential_types:
        return None  # request_change reports it, as for any type
    required = required_for(credential.credential_type)
    if required <= 1:
        return None
    return _hold(
        session,
        kind="status",
        operator=operator,
        credential_type=credential.credential_type,
        credential_id=credential.id,
        payload=request.model_dump(mode="json"),
        required=required,
        now=now,
    )


def hold_transfer(
    *,
    session: Session,
    issuing: Issuing,
    operator: Operator,
    deed_id: str,
    request: deeds.TransferRequest,
    required_for: Callable[[str], int],
    now: datetime,
) -> ApprovalRequestRow | None:
    """Hold a deed transfer that needs approval (``None``: transfer at once).

    Raises:
        ConflictError: ``TRANSFER_PENDING``, another transfer of this deed waits for approval.
    """
    deeds.check_transfer(session, operator, deed_id, request, gate=issuing.gate, now=now)
    required = required_for(deeds.DEED)
    if required <= 1:
        return None
    prepared, _ = service.check_draft(
        session=session, office=issuing.office, operator=operator, draft=request.credential
    )
    _dry_run(issuing, prepared, deeds.DEED, now)
    # The successor's id is fixed now, so the approver sees which credential will replace it.
    request = request.model_copy(update={"credential": prepared})
    waiting = select(ApprovalRequestRow).where(
        ApprovalRequestRow.kind == "transfer",
        ApprovalRequestRow.credential_id == deed_id,
        ApprovalRequestRow.state == PENDING,
    )
    if session.exec(waiting).first() is not None:
        raise ConflictError(
            f"a transfer of {deed_id} already waits for approval",
            code=ApprovalCode.TRANSFER_PENDING,
        )
    return _hold(
        session,
        kind="transfer",
        operator=operator,
        credential_type=deeds.DEED,
        credential_id=deed_id,
        payload=request.model_dump(mode="json"),
        required=required,
        now=now,
    )


def hold_encumbrance(
    *,
    session: Session,
    operator: Operator,
    deed_id: str,
    request: deeds.EncumbranceRequest,
    required_for: Callable[[str], int],
    now: datetime,
) -> tuple[str, ApprovalRequestRow | None]:
    """The new encumbrance's id, and its held request when deeds need approval (``None``:
    register it at once). A mortgage or a seizure changes what the deed is worth to a bank as
    much as a transfer does, so it is under the same dual control."""
    deeds.check_encumbrance(session, operator, deed_id)
    encumbrance_id = deeds.new_encumbrance_id()
    required = required_for(deeds.DEED)
    if required <= 1:
        return encumbrance_id, None
    payload = {"encumbranceId": encumbrance_id, **request.model_dump(mode="json")}
    held = _hold(
        session,
        kind=ENCUMBER,
        operator=operator,
        credential_type=deeds.DEED,
        credential_id=deed_id,
        payload=payload,
        required=required,
        now=now,
    )
    return encumbrance_id, held


def hold_release(
    *,
    session: Session,
    operator: Operator,
    deed_id: str,
    encumbrance_id: str,
    request: deeds.ReleaseRequest,
    required_for: Callable[[str], int],
    now: datetime,
) -> ApprovalRequestRow | None:
    """Hold the release of an encumbrance when deeds need approval (``None``: release now).

    Raises:
        NotFoundError: ``ENCUMBRANCE_NOT_FOUND``.
        ConflictError: ``RELEASE_PENDING``, a release of it already waits for approval.
    """
    deeds.check_release(session, operator, deed_id, encumbrance_id)
    required = required_for(deeds.DEED)
    if required <= 1:
        return None
    waiting = select(ApprovalRequestRow).where(
        ApprovalRequestRow.kind == RELEASE,
        ApprovalRequestRow.credential_id == deed_id,
        ApprovalRequestRow.state == PENDING,
    )
    if any(json.loads(r.payload)["encumbranceId"] == encumbrance_id for r in session.exec(waiting)):
        raise ConflictError(
            f"a release of {encumbrance_id} already waits for approval",
            code=ApprovalCode.RELEASE_PENDING,
        )
    return _hold(
        session,
        kind=RELEASE,
        operator=operator,
        credential_type=deeds.DEED,
        credential_id=deed_id,
        payload={"encumbranceId": encumbrance_id, **request.model_dump(mode="json")},
        required=required,
        now=now,
    )


def hold_offer(
    session: Session,
    *,
    operator: Operator,
    offer: OfferRow,
    draft: dict[str, Any],
    required: int,
    ttl: timedelta,
    now: datetime,
) -> ApprovalRequestRow:
    """Hold a credential offer (already added to ``session``, state ``held``) for approval;
    both commit together. The credential's id is fixed in the draft now, so the approver sees
    which credential the offer will issue; the offer's lifetime starts at the approval."""
    return _hold(
        session,
        kind=OFFER,
        operator=operator,
        credential_type=offer.credential_type,
        credential_id=draft["id"],
        payload={"offerId": offer.id, "ttlSeconds": ttl.total_seconds(), "credential": draft},
        required=required,
        now=now,
    )


def offer_approved(session: Session, credential_id: object) -> bool:
    """Whether an offer for ``credential_id`` was approved under dual control (redeemable)."""
    if not isinstance(credential_id, str):
        return False
    query = select(ApprovalRequestRow.id).where(
        ApprovalRequestRow.kind == OFFER,
        ApprovalRequestRow.credential_id == credential_id,
        ApprovalRequestRow.state == EXECUTED,
    )
    return session.exec(query).first() is not None


def _open_offer(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """The approved offer becomes redeemable, for its lifetime from now.

    Raises:
        ConflictError: ``OFFER_NOT_HELD`` (it is no longer held).
    """
    opened = session.connection().execute(
        update(OfferRow)
        .where(col(OfferRow.id) == payload["offerId"], col(OfferRow.state) == OFFER_HELD)
        .values(
            state=OFFER_OPEN,
            expires_at=stamp(now + timedelta(seconds=float(payload["ttlSeconds"]))),
        )
    )
    if opened.rowcount != 1:
        raise ConflictError("the offer is no longer held", code=ApprovalCode.OFFER_NOT_HELD)


def _load(
    session: Session, operator: Operator, request_id: str, roles: frozenset[str]
) -> ApprovalRequestRow:
    authorize(operator, roles=roles)
    row = session.get(ApprovalRequestRow, request_id)
    if row is None or row.credential_type not in operator.credential_types:
        raise NotFoundError(f"no request {request_id}", code=ApprovalCode.REQUEST_NOT_FOUND)
    authorize(operator, roles=roles, credential_type=row.credential_type)
    return row


def _decidable(session: Session, row: ApprovalRequestRow, operator: Operator) -> None:
    if row.state != PENDING:
        raise ConflictError(
            f"the request is {row.state}, not pending", code=ApprovalCode.REQUEST_NOT_PENDING
        )
    if operator.id == row.requested_by:
        raise ForbiddenError(
            "dual control: the operator who asked may not approve or reject its own request "
            "(four-eyes rule)",
            code=ApprovalCode.SELF_APPROVAL,
        )
    if session.get(ApprovalRow, (row.id, operator.id)) is not None:
        raise ConflictError(
            "this operator approved the request already", code=ApprovalCode.ALREADY_APPROVED
        )


def _claim(session: Session, request_id: str, state: str, now: datetime) -> None:
    """Move the request from pending to ``state`` only if it is still pending (the race's judge).

    Raises:
        ConflictError: ``REQUEST_NOT_PENDING``, another operator decided it first.
    """
    claimed = session.connection().execute(
        update(ApprovalRequestRow)
        .where(col(ApprovalRequestRow.id) == request_id, col(ApprovalRequestRow.state) == PENDING)
        .values(state=state, decided_at=stamp(now))
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise ConflictError(
            "another operator decided this request first", code=ApprovalCode.REQUEST_NOT_PENDING
        )


def _requester(session: Session, row: ApprovalRequestRow, now: datetime) -> Operator:
    found = session.get(OperatorRow, row.requested_by)
    requester = Operator.from_row(found) if found is not None else None
    if requester is None or requester.state(now) != "active":
        raise ConflictError(
            "the operator who asked is no longer active; ask again",
            code=ApprovalCode.REQUESTER_INACTIVE,
        )
    return requester


def approve(
    *, session: Session, issuing: Issuing, operator: Operator, request_id: str, now: datetime
) -> dict[str, Any]:
    """Approve a held request; the approval that completes the count carries it out (see (2)).

    Raises:
        ForbiddenError: not an approver, type outside the scope, ``SELF_APPROVAL`` (403).
        NotFoundError: ``REQUEST_NOT_FOUND`` (404).
        ConflictError: ``REQUEST_NOT_PENDING``, ``ALREADY_APPROVED``, ``REQUESTER_INACTIVE``.
        VCError: the action itself failed (the request is then ``failed``).
    """
    row = _load(session, operator, request_id, APPROVE_ROLES)
    _decidable(session, row, operator)
    approvals = len(list(session.exec(select(ApprovalRow).where(ApprovalRow.request_id == row.id))))
    with audit.LOCK:
        if approvals + 2 < row.required:  # the requester and this one are not yet enough
            _record_approval(session, row, operator, now)
            session.commit()
            return view(session, row)
        requester = _requester(session, row, now)
        _claim(session, row.id, EXECUTED, now)
        try:
            _record_approval(session, row, operator, now)
            _execute(session, issuing, row, requester, now)
        except VCError as error:
            session.rollback()
            _fail(session, row.id, operator, error.code, now)
            raise
    session.expire_all()
    return view(session, session.get(ApprovalRequestRow, request_id) or row)


def _record_approval(
    session: Session, row: ApprovalRequestRow, operator: Operator, now: datetime
) -> None:
    session.add(ApprovalRow(request_id=row.id, operator_id=operator.id, approved_at=stamp(now)))
    session.flush()
    audit.append(
        session,
        actor=operator.id,
        action=f"{row.kind}.approved",
        now=now,
        request_id=row.id,
        credential_id=row.credential_id,
    )


def _execute(
    session: Session, issuing: Issuing, row: ApprovalRequestRow, requester: Operator, now: datetime
) -> None:
    """Carry out the request as its requester; the caller's rows commit with the action's."""
    payload = json.loads(row.payload)
    result: dict[str, Any] = {}

    def finish(inner: Session, *_: object) -> None:
        inner.connection().execute(
            update(ApprovalRequestRow)
            .where(col(ApprovalRequestRow.id) == row.id)
            .values(result=json.dumps(result, separators=(",", ":")))
        )
        audit.append(
            inner,
            actor=requester.id,
            action=f"{row.kind}.executed",
            now=now,
            request_id=row.id,
            credential_id=row.credential_id,
            detail=" ".join(f"{k}={v}" for k, v in sorted(result.items())),
        )

    if row.kind == "issue":
        result["credentialId"] = payload["id"]
        service.issue(
            session=session,
            office=issuing.office,
            operator=requester,
            draft=payload,
            suite_for=issuing.suite_for,
            contexts=issuing.contexts,
            now=now,
            registry_base=issuing.registry_base,
            gate=issuing.gate,
            before_commit=finish,
        )
    elif row.kind == OFFER:
        result["offerId"] = payload["offerId"]
        _open_offer(session, payload, now)
        finish(session)
        session.commit()
    elif row.kind in (ENCUMBER, RELEASE):
        _execute_encumbrance(
            session,
            row,
            requester=requester,
            payload=payload,
            result=result,
            finish=finish,
            now=now,
        )
    elif row.kind == "status":

        def with_id(inner: Session, made: Any) -> None:
            result["statusRequest"] = made.id
            finish(inner)

        status.request_change(
            session=session,
            operator=requester,
            request=status.StatusRequest.model_validate(payload),
            now=now,
            before_commit=with_id,
        )
    else:

        def with_successor(inner: Session, signed: dict[str, Any]) -> None:
            result["credentialId"] = signed["id"]
            # The supersede just queued with it, for the operator to follow (it may fail).
            queued = inner.exec(
                select(StatusRequestRow.id).where(
                    StatusRequestRow.credential_id == row.credential_id,
                    StatusRequestRow.action == "supersede",
                    StatusRequestRow.state == status.PENDING,
                )
            ).first()
            if queued is not None:
                result["statusRequest"] = queued
            finish(inner)

        deeds.transfer(
            session=session,
            office=issuing.office,
            operator=requester,
            deed_id=row.credential_id,
            request=deeds.TransferRequest.model_validate(payload),
            suite_for=issuing.suite_for,
            contexts=issuing.contexts,
            now=now,
            registry_base=issuing.registry_base,
            gate=issuing.gate,
            before_commit=with_successor,
        )


def _execute_encumbrance(
    session: Session,
    row: ApprovalRequestRow,
    *,
    requester: Operator,
    payload: dict[str, Any],
    result: dict[str, Any],
    finish: Callable[[Session], None],
    now: datetime,
) -> None:
    """Queue the held encumbrance's status event (its id as assigned when it was held)."""
    encumbrance_id = payload.pop("encumbranceId")
    result["encumbranceId"] = encumbrance_id

    def with_id(inner: Session, made: Any) -> None:
        result["statusRequest"] = made.id
        finish(inner)

    if row.kind == ENCUMBER:
        deeds.add_encumbrance(
            session=session,
            operator=requester,
            deed_id=row.credential_id,
            request=deeds.EncumbranceRequest.model_validate(payload),
            now=now,
            encumbrance_id=encumbrance_id,
            before_commit=with_id,
        )
    else:
        deeds.release_encumbrance(
            session=session,
            operator=requester,
            deed_id=row.credential_id,
            encumbrance_id=encumbrance_id,
            request=deeds.ReleaseRequest.model_validate(payload),
            now=now,
            before_commit=with_id,
        )


def _fail(session: Session, request_id: str, operator: Operator, code: str, now: datetime) -> None:
    """The action failed: the request ends ``failed`` with the error's code (one commit)."""
    session.connection().execute(
        update(ApprovalRequestRow)
        .where(col(ApprovalRequestRow.id) == request_id, col(ApprovalRequestRow.state) == PENDING)
        .values(state=FAILED, decided_at=stamp(now), error_code=code)
    )
    row = session.get(ApprovalRequestRow, request_id)
    audit.append(
        session,
        actor=operator.id,
        action=f"{row.kind if row else 'request'}.failed",
        now=now,
        request_id=request_id,
        credential_id=row.credential_id if row else None,
        detail=code,
    )
    session.commit()


def reject(
    *, session: Session, operator: Operator, request_id: str, reason: str, now: datetime
) -> dict[str, Any]:
    """End a held request ``rejected`` (approver or admin, not the requester)."""
    row = _load(session, operator, request_id, REJECT_ROLES)
    _decidable(session, row, operator)
    with audit.LOCK:
        _claim(session, row.id, REJECTED, now)
        if row.kind == OFFER:  # a rejected offer can never be redeemed
            offer_id = json.loads(row.payload)["offerId"]
            session.connection().execute(
                update(OfferRow)
                .where(col(OfferRow.id) == offer_id, col(OfferRow.state) == OFFER_HELD)
                .values(state=OFFER_DEAD)
            )
        audit.append(
            session,
            actor=operator.id,
            action=f"{row.kind}.rejected",
            now=now,
            request_id=row.id,
            credential_id=row.credential_id,
            detail="reason given" if reason else "",
        )
        session.commit()
    session.expire_all()
    return view(session, session.get(ApprovalRequestRow, request_id) or row)


def get(*, session: Session, operator: Operator, request_id: str) -> dict[str, Any]:
    """A held request as the API shows it (with what it would do, for the approver to read)."""
    row = _load(session, operator, request_id, READ_ROLES)
    return view(session, row, with_payload=True)


def pending_list(
    *, session: Session, operator: Operator, state: str | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Requests in the operator's scope, oldest first, optionally in one ``state``."""
    authorize(operator, roles=READ_ROLES)
    query = select(ApprovalRequestRow).where(
        col(ApprovalRequestRow.credential_type).in_(sorted(operator.credential_types))
    )
    if state is not None:
        query = query.where(ApprovalRequestRow.state == state)
    rows = session.exec(query.order_by(col(ApprovalRequestRow.created_at)).limit(limit))
    return [view(session, r) for r in rows]


def view(
    session: Session, row: ApprovalRequestRow, *, with_payload: bool = False
) -> dict[str, Any]:
    """``{id, kind, state, credentialType, credentialId, requestedBy, approvals, required, …}``."""
    approvers = session.exec(
        select(ApprovalRow.operator_id).where(ApprovalRow.request_id == row.id)
    ).all()
    out: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "credentialType": row.credential_type,
        "credentialId": row.credential_id,
        "requestedBy": row.requested_by,
        "requestedAt": row.created_at,
        "approvedBy": sorted(approvers),
        "required": row.required,
    }
    if row.decided_at:
        out["decidedAt"] = row.decided_at
    if row.result:
        out["result"] = json.loads(row.result)
    if row.error_code:
        out["error"] = row.error_code
    if with_payload:
        out["payload"] = json.loads(row.payload)
    return out
