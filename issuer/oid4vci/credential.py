"""The Credential Endpoint (OpenID4VCI 1.0 §8): one credential for one redeemed offer, bound to
the holder's did:key. Plain functions; no FastAPI, the clock passed in.

:func:`issue_to_holder` runs these steps; each failure is one OAuth error (§8.3.1.2):

(1) Access token, before the body is parsed: ``Authorization: Bearer``, known, active and
    unexpired (401 ``invalid_token``).
(2) Request: ``credential_configuration_id`` names the offer's configuration
    (``unknown_credential_configuration``); ``credential_identifier`` and the draft-era
    ``proof`` are refused (``invalid_credential_request``); ``proofs`` holds exactly one ``jwt``
    proof (``invalid_proof``; batch issuance is not offered).
(3) Key proof: :func:`issuer.oid4vci.proof.verify_key_proof` (``invalid_proof``).
(4) c_nonce: one this issuer made, unused and fresh, and now used (``invalid_nonce``, so the
    wallet fetches a new one and signs again).
(5) The access token is claimed atomically (``active`` → ``issuing``): two requests with one
    token cannot both get a credential.
(6) Issue through :func:`issuer.service.issue` as the operator who made the offer (whose token
    must still be in force; a type under dual control needs an approved offer, else
    ``credential_request_denied``): the same checks, signature,
    status entries, anchoring outbox and single commit as ``POST /credentials/issue``, with
    ``credentialSubject.id`` = the holder's DID. A refusal there is
    ``credential_request_denied`` and gives the token back, so a wallet may try again while it
    lives; a registry that cannot be consulted stays a 503 problem ("could not check").
(7) The offer is ``issued`` and names the credential; the token is ``used``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from issuer import service
from issuer.accreditation import AccreditationGate
from issuer.approvals import offer_approved
from issuer.auth import Operator
from issuer.clock import unstamp
from issuer.office import Office
from issuer.oid4vci import nonces, tokens
from issuer.oid4vci.errors import InvalidTokenError, OAuthCode, OAuthError
from issuer.oid4vci.offers import ISSUED, for_holder, refuse_dual_control
from issuer.oid4vci.proof import verify_key_proof
from issuer.tables import AccessTokenRow, OfferRow, OperatorRow
from vc_core.canon import LocalContexts
from vc_core.errors import MalformedError, RegistryError, VCError
from vc_core.jsonio import parse_object

ACTIVE, ISSUING, USED = "active", "issuing", "used"


def _token_row(session: Session, authorization: str | None, now: datetime) -> AccessTokenRow:
    """Step (1)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("send the access token as Authorization: Bearer <token>")
    row = session.get(AccessTokenRow, tokens.sha256(token.strip()))
    if row is None or row.state != ACTIVE:
        raise InvalidTokenError("the access token is not valid (unknown or already used)")
    if now >= unstamp(row.expires_at):
        raise InvalidTokenError("the access token has expired")
    return row


def _parse_body(media_type: str, raw: bytes, max_bytes: int) -> dict[str, Any]:
    """The credential request as a bounded JSON object (§8.2: ``application/json``)."""
    if media_type != "application/json":
        raise OAuthError(
            OAuthCode.INVALID_CREDENTIAL_REQUEST, "send the credential request as application/json"
        )
    try:
        return parse_object(raw, max_bytes=max_bytes)
    except MalformedError as exc:
        raise OAuthError(
            OAuthCode.INVALID_CREDENTIAL_REQUEST, f"the credential request is not JSON ({exc.code})"
        ) from None


def _one_jwt_proof(body: dict[str, Any], configuration_id: str) -> str:
    """Step (2); returns the proof JWT."""
    if "credential_identifier" in body:
        raise OAuthError(
            OAuthCode.INVALID_CREDENTIAL_REQUEST,
            "this issuer gives no credential identifiers; send credential_configuration_id",
        )
    asked = body.get("credential_configuration_id")
    if not isinstance(asked, str):
        raise OAuthError(
            OAuthCode.INVALID_CREDENTIAL_REQUEST, "credential_configuration_id is missing"
        )
    if asked != configuration_id:
        raise OAuthError(
            OAuthCode.UNKNOWN_CREDENTIAL_CONFIGURATION,
            "the access token was granted for another credential configuration",
        )
    if "proof" in body:
        raise OAuthError(
            OAuthCode.INVALID_CREDENTIAL_REQUEST,
            'send proofs {"jwt": [...]} (OpenID4VCI 1.0), not the draft-era proof member',
        )
    proofs = body.get("proofs")
    jwts = proofs.get("jwt") if isinstance(proofs, dict) else None
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"} or not isinstance(jwts, list):
        raise OAuthError(OAuthCode.INVALID_PROOF, "send exactly one key proof as proofs.jwt")
    if len(jwts) != 1:
        raise OAuthError(
            OAuthCode.INVALID_PROOF, "send exactly one key proof (one credential per offer)"
        )
    proof: str = jwts[0]
    return proof


def _set_token(session: Session, token_sha256: str, *, old: str, new: str) -> bool:
    result = session.connection().execute(
        update(AccessTokenRow)
        .where(col(AccessTokenRow.token_sha256) == token_sha256)
        .where(col(AccessTokenRow.state) == old)
        .values(state=new)
    )
    session.commit()
    return bool(result.rowcount == 1)


def _offer_operator(session: Session, offer: OfferRow, now: datetime) -> Operator:
    row = session.get(OperatorRow, offer.operator_id)
    operator = Operator.from_row(row) if row is not None else None
    if operator is None or operator.state(now) != "active":
        raise OAuthError(
            OAuthCode.CREDENTIAL_REQUEST_DENIED,
            "the office withdrew the authority this offer was made under; ask for a new offer",
        )
    return operator


def issue_to_holder(
    *,
    session: Session,
    office: Office,
    authorization: str | None,
    media_type: str,
    raw_body: bytes,
    max_bytes: int,
    audience: str,
    proof_window: timedelta,
    suite_for: Callable[[str], str],
    approvals_for: Callable[[str], int],
    contexts: LocalContexts,
    registry_base: str | None,
    gate: AccreditationGate | None,
    now: datetime,
) -> dict[str, Any]:
    """Steps (1)–(7) above; returns the signed credential.

    Raises:
        InvalidTokenError: step (1) or (5) (401).
        OAuthError: steps (2)–(4) and (6) (400).
        RegistryError: the office's replica is too old to check accreditation (503).
    """
    token = _token_row(session, authorization, now)
    offer = session.get(OfferRow, token.offer_id)
    if offer is None:
        raise InvalidTokenError("the access token's offer no longer exists")
    token_key, offer_id, draft = token.token_sha256, offer.id, json.loads(offer.draft)
    type_name = offer.credential_type
    jwt = _one_jwt_proof(_parse_body(media_type, raw_body, max_bytes), type_name)
    proof = verify_key_proof(jwt, audience=audience, now=now, window=proof_window)
    if not nonces.consume(session, proof.nonce, now=now):
        raise OAuthError(
            OAuthCode.INVALID_NONCE,
            "the key proof's nonce is unknown, used or expired; get a new c_nonce",
        )
    if not _set_token(session, token_key, old=ACTIVE, new=ISSUING):
        raise InvalidTokenError("the access token was used by another request")
    try:
        # The policy may have put the type under dual control since the offer was made.
        refuse_dual_control(
            type_name, approvals_for(type_name), approved=offer_approved(session, draft.get("id"))
        )
        signed = service.issue(
            session=session,
            office=office,
            operator=_offer_operator(session, offer, now),
            draft=for_holder(draft, proof.holder, now),
            suite_for=suite_for,
            contexts=contexts,
            now=now,
            registry_base=registry_base,
            gate=gate,
        )
    except (RegistryError, OAuthError):
        _set_token(session, token_key, old=ISSUING, new=ACTIVE)
        raise
    except VCError as exc:
        _set_token(session, token_key, old=ISSUING, new=ACTIVE)
        raise OAuthError(
            OAuthCode.CREDENTIAL_REQUEST_DENIED, f"the office cannot issue it now ({exc.code})"
        ) from None
    session.connection().execute(
        update(OfferRow)
        .where(col(OfferRow.id) == offer_id)
        .values(state=ISSUED, credential_id=signed["id"])
    )
    session.commit()
    _set_token(session, token_key, old=ISSUING, new=USED)
    return signed
