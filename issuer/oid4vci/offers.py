"""Credential offers and the token endpoint of the pre-authorized code flow (OpenID4VCI 1.0 §4,
§6), as plain functions over the database; no FastAPI, the clock passed in.

:func:`create_offer` (the operator's ``POST /offers``):

(1) Build the unsigned draft from the type and the subject's claims (ecert context, the office
    as issuer). A subject ``id`` is refused: the holder's DID comes from the key proof.
(2) Check it now as ``POST /credentials/issue`` would, so an offer the citizen cannot redeem is
    never made: the operator's role and type scope; the office's accreditation from its own
    replica, then the one issuance recipe (:func:`vc_core.issuance.issue_credential`: schema,
    identifier check characters, validity period) on the draft with a stand-in holder DID. The
    signature it makes is discarded; the real credential is issued and signed at redemption by
    :func:`issuer.service.issue`, which runs every check again at that time.
(3) Store the offer: hashes only (see :mod:`issuer.oid4vci.tokens`), short-lived, single-use.
    A type under dual control (``ISSUER_APPROVALS_BY_TYPE`` above 1, deeds by default) is
    stored ``held``, with the credential's id fixed in the draft, beside a held request
    (:func:`issuer.approvals.hold_offer`, one commit): redeeming an offer issues at once, so
    the approval comes before. Until a different approver approves it, the offer document is
    ``409 OFFER_PENDING_APPROVAL`` and the token endpoint ``invalid_grant`` (no tx_code try is
    spent); the approval makes it ``offered`` with its lifetime starting then; a rejection
    kills it. ``/credential`` issues a type under dual control only for an approved offer.

:func:`redeem` (the token endpoint, RFC 6749 §4.1.3 as OpenID4VCI 1.0 §6.1 extends it):

(1) ``grant_type`` is the pre-authorized grant (``unsupported_grant_type``); the code and the
    ``tx_code`` are present (``invalid_request``).
(2) The code names an offer that has not expired (``invalid_grant``).
(3) One try is reserved atomically (``attempts < tx_code_tries`` and the offer still
    ``offered``), so parallel guesses cannot exceed the limit ("Transaction Code Guessing",
    OpenID4VCI 1.0 §13.7); then the tx_code is compared in constant time. A wrong code that
    used the last try kills the offer.
(4) The offer becomes ``redeemed`` (once only), and a short-lived access token is issued.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer import approvals as approvals_module
from issuer.accreditation import AccreditationGate
from issuer.auth import ISSUE, Operator, authorize
from issuer.clock import stamp, unstamp
from issuer.errors import ConflictError, ForbiddenError
from issuer.office import Office
from issuer.oid4vci import tokens
from issuer.oid4vci.errors import OAuthCode, OAuthError, OfferCode, OfferGoneError
from issuer.oid4vci.schemas import OfferRequest
from issuer.tables import AccessTokenRow, ApprovalRequestRow, OfferRow
from vc_core.canon import ECERT_CONTEXT_URL, LocalContexts
from vc_core.credential_types import CREDENTIAL_TYPES, CredentialTypeCode
from vc_core.did import did_key
from vc_core.errors import NotFoundError, SchemaError, ValidationFailedError
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.models import CREDENTIALS_V2, Credential

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFERED, REDEEMED, ISSUED, DEAD = "offered", "redeemed", "issued", "dead"
HELD = approvals_module.OFFER_HELD
TX_CODE_DESCRIPTION = "The six-digit code the office sent you separately (not in this QR code)."


@dataclass(frozen=True)
class MadeOffer:
    """An offer just made: the only moment its secret and tx_code exist outside the wallet."""

    id: str
    secret: str
    tx_code: str
    credential_type: str
    expires_at: datetime
    # The held request when the type is under dual control (the offer waits for it).
    request: ApprovalRequestRow | None = None


def build_draft(request: OfferRequest, office: Office) -> dict[str, Any]:
    """Step (1): the unsigned credential the offer stands for, without a subject id."""
    if request.credentialType not in CREDENTIAL_TYPES:
        raise SchemaError(
            f"unknown credential type {request.credentialType!r}; one of "
            f"{', '.join(sorted(CREDENTIAL_TYPES))}",
            code=CredentialTypeCode.CREDENTIAL_TYPE_UNKNOWN,
            field="credentialType",
        )
    if "id" in request.credentialSubject:
        raise ValidationFailedError(
            "leave credentialSubject.id out: it is the holder's DID, taken from the wallet's "
            "key proof",
            code="SUBJECT_ID_SET",
            field="credentialSubject.id",
        )
    draft: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, ECERT_CONTEXT_URL],
        "type": ["VerifiableCredential", request.credentialType],
        "issuer": office.did,
    }
    for name in ("name", "description", "validFrom", "validUntil"):
        value = getattr(request, name)
        if value is not None:
            draft[name] = value
    draft["credentialSubject"] = dict(request.credentialSubject)
    return draft


def for_holder(draft: dict[str, Any], holder: str, now: datetime) -> dict[str, Any]:
    """The draft bound to ``holder``; ``validFrom`` defaults to ``now`` (whole seconds)."""
    out = json.loads(json.dumps(draft))
    out.setdefault("validFrom", now.replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    out["credentialSubject"]["id"] = holder
    return dict(out)


def refuse_dual_control(type_name: str, approvals: int, *, approved: bool) -> None:
    """At redemption: a type under dual control is issued only for an approved offer (the
    policy may have changed since the offer was made).

    Raises:
        ForbiddenError: ``OFFER_UNDER_DUAL_CONTROL`` (403).
    """
    if approvals > 1 and not approved:
        raise ForbiddenError(
            f"{type_name} is under dual control ({approvals} approvals) and this offer was not "
            "approved; ask the office for a new offer",
            code=OfferCode.OFFER_UNDER_DUAL_CONTROL,
        )


def create_offer(
    *,
    session: Session,
    office: Office,
    operator: Operator,
    request: OfferRequest,
    suite: str,
    contexts: LocalContexts,
    gate: AccreditationGate | None,
    approvals: int,
    ttl: timedelta,
    now: datetime,
) -> MadeOffer:
    """Steps (1)–(3) of :func:`create_offer` in the module's docstring.

    Raises:
        ForbiddenError: role or type scope, or the office's accreditation (403).
        SchemaError, IdentifierError, ValidationFailedError: the claims (422).
        RegistryError: the replica is too old to say (503).
    """
    draft = build_draft(request, office)
    authorize(operator, roles=ISSUE, credential_type=request.credentialType)
    held = approvals > 1
    if held:  # fixed now, so the approver sees which credential the offer will issue
        draft["id"] = f"urn:uuid:{uuid.uuid4()}"
    stand_in = for_holder(draft, did_key(KeyPair.from_seed(bytes(32)).public), now)
    stand_in.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    Credential.from_dict(stand_in)
    if gate is not None:
        gate.check(stand_in, now=now)
    issue_credential(
        stand_in,
        office.signer,
        suite=suite,
        now=now,
        contexts=contexts,
        verification_method=office.verification_method,
    )
    secret, tx_code = tokens.new_secret(), tokens.new_tx_code()
    code = tokens.pre_authorized_code(secret)
    row = OfferRow(
        id=tokens.new_id(),
        secret_sha256=tokens.sha256(secret),
        code_sha256=tokens.sha256(code),
        tx_code_mac=tokens.tx_code_mac(code, tx_code),
        credential_type=request.credentialType,
        draft=json.dumps(draft, ensure_ascii=False, separators=(",", ":")),
        operator_id=operator.id,
        created_at=stamp(now),
        expires_at=stamp(now + ttl),
        state=HELD if held else OFFERED,
    )
    session.add(row)
    if not held:
        session.commit()
        return MadeOffer(row.id, secret, tx_code, request.credentialType, now + ttl)
    hold = approvals_module.hold_offer(
        session, operator=operator, offer=row, draft=draft, required=approvals, ttl=ttl, now=now
    )
    return MadeOffer(row.id, secret, tx_code, request.credentialType, now + ttl, hold)


def offer_document(
    *, session: Session, secret: str, issuer_id: str, now: datetime
) -> dict[str, Any]:
    """The Credential Offer (OpenID4VCI 1.0 §4.1.1) behind ``credential_offer_uri``.

    Raises:
        NotFoundError: ``OFFER_NOT_FOUND`` (404).
        OfferGoneError: ``OFFER_EXPIRED`` or ``OFFER_USED`` (410).
    """
    row = session.exec(
        select(OfferRow).where(OfferRow.secret_sha256 == tokens.sha256(secret))
    ).first()
    if row is None:
        raise NotFoundError("no such credential offer", code=OfferCode.OFFER_NOT_FOUND)
    if row.state == HELD:
        raise ConflictError(
            "this credential offer waits for the office's approval; try again later",
            code=OfferCode.OFFER_PENDING_APPROVAL,
        )
    if row.state != OFFERED:
        raise OfferGoneError(
            "this credential offer was already used or is no longer valid; ask the office "
            "for a new one",
            code=OfferCode.OFFER_USED,
        )
    if now >= unstamp(row.expires_at):
        raise OfferGoneError(
            "this credential offer has expired; ask the office for a new one",
            code=OfferCode.OFFER_EXPIRED,
        )
    return {
        "credential_issuer": issuer_id,
        "credential_configuration_ids": [row.credential_type],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": tokens.pre_authorized_code(secret),
                "tx_code": {
                    "input_mode": "numeric",
                    "length": tokens.TX_CODE_LENGTH,
                    "description": TX_CODE_DESCRIPTION,
                },
            }
        },
    }


@dataclass(frozen=True)
class Grant:
    """The token endpoint's answer (RFC 6749 §5.1)."""

    access_token: str
    expires_in: int


def _single(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    if values is None:
        return None
    if len(values) != 1:
        # RFC 6749 §3.2: request parameters must not be included more than once.
        raise OAuthError(OAuthCode.INVALID_REQUEST, f"{name} is given more than once")
    return values[0]


def _grant_inputs(form: dict[str, list[str]]) -> tuple[str, str]:
    """Step (1) of :func:`redeem`: the code and the tx_code."""
    grant_type = _single(form, "grant_type")
    if grant_type is None:
        raise OAuthError(OAuthCode.INVALID_REQUEST, "grant_type is missing")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError(
            OAuthCode.UNSUPPORTED_GRANT_TYPE, f"only the {PRE_AUTHORIZED_GRANT} grant is supported"
        )
    code = _single(form, "pre-authorized_code")
    if not code:
        raise OAuthError(OAuthCode.INVALID_REQUEST, "pre-authorized_code is missing")
    tx_code = _single(form, "tx_code")
    if not tx_code:
        # OpenID4VCI 1.0 §6.3: a missing tx_code where the offer asked for one.
        raise OAuthError(OAuthCode.INVALID_REQUEST, "this offer needs its tx_code")
    return code, tx_code


def redeem(
    *,
    session: Session,
    form: dict[str, list[str]],
    tries: int,
    token_ttl: timedelta,
    now: datetime,
) -> Grant:
    """Steps (1)–(4) of :func:`redeem` in the module's docstring.

    Raises:
        OAuthError: ``invalid_request``, ``unsupported_grant_type`` or ``invalid_grant``.
    """
    code, tx_code = _grant_inputs(form)
    row = session.exec(select(OfferRow).where(OfferRow.code_sha256 == tokens.sha256(code))).first()
    if row is None:
        raise OAuthError(OAuthCode.INVALID_GRANT, "the pre-authorized code is not valid")
    if row.state == HELD:
        raise OAuthError(
            OAuthCode.INVALID_GRANT,
            "the office has not yet approved this offer (dual control); try again later",
        )
    if now >= unstamp(row.expires_at):
        raise OAuthError(OAuthCode.INVALID_GRANT, "the pre-authorized code has expired")
    offer_id, mac = row.id, row.tx_code_mac
    reserved = session.connection().execute(
        update(OfferRow)
        .where(col(OfferRow.id) == offer_id)
        .where(col(OfferRow.state) == OFFERED)
        .where(col(OfferRow.attempts) < tries)
        .values(attempts=col(OfferRow.attempts) + 1)
    )
    if reserved.rowcount != 1:
        session.rollback()
        raise OAuthError(
            OAuthCode.INVALID_GRANT,
            "the pre-authorized code was already used, or its tx_code was tried too often",
        )
    if not tokens.tx_code_matches(code, tx_code, mac):
        return _wrong_tx_code(session, offer_id, tries)
    session.connection().execute(
        update(OfferRow).where(col(OfferRow.id) == offer_id).values(state=REDEEMED)
    )
    access_token = tokens.new_secret()
    session.add(
        AccessTokenRow(
            token_sha256=tokens.sha256(access_token),
            offer_id=offer_id,
            expires_at=stamp(now + token_ttl),
            state="active",
        )
    )
    session.commit()
    return Grant(access_token=access_token, expires_in=int(token_ttl.total_seconds()))


def _wrong_tx_code(session: Session, offer_id: str, tries: int) -> Grant:
    """Count the wrong try; the last one kills the offer. Always raises ``invalid_grant``."""
    session.connection().execute(
        update(OfferRow)
        .where(col(OfferRow.id) == offer_id)
        .where(col(OfferRow.attempts) >= tries)
        .values(state=DEAD)
    )
    session.commit()
    row = session.get(OfferRow, offer_id)
    left = max(0, tries - row.attempts) if row is not None else 0
    message = (
        f"wrong tx_code; {left} {'try' if left == 1 else 'tries'} left"
        if left
        else "wrong tx_code; no tries left, the offer is void: ask the office for a new one"
    )
    raise OAuthError(OAuthCode.INVALID_GRANT, message)
