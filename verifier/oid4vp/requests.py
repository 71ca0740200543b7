"""Presentation requests: made by a requester, fetched by a wallet, read back by the requester.

``POST /presentation-requests`` with ``{"credentialType": "PropertyDeedCredential", "claims":
[["credentialSubject", "address"], "credentialSubject.unitNumber"]}`` (a claim is a DCQL path
or a dotted shorthand of keys) makes a request:

- ``id`` (128 random bits, names it in the URLs), ``state`` and ``nonce`` (256 random bits each;
  OpenID4VP 1.0 §5.2 asks ≥ 128 for the nonce), expiring after ``presentation_request_ttl_s``;
- the nonce is stored as a challenge bound to this verifier's client_id as its domain, so the
  presentation is checked by the steps of ``POST /presentations/verify`` (single use);
- the answer names the ``openid4vp://`` link, its QR code as a PNG data URL, and the
  ``resultUrl`` to poll.

``GET /oid4vp/requests/{id}`` serves the signed Request Object (§5.10.1) while the request is
pending and unexpired. ``GET /presentation-requests/{id}`` is the requester's view.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from vc_core import dcql, qr
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.errors import MalformedError, NotFoundError
from vc_core.oid4vp import VP_FORMATS, request_uri_link, sign_request_object
from verifier.oid4vp.signer import RequestSigner
from verifier.oid4vp.tables import PresentationRequest
from verifier.tables import Challenge

REQUEST_PATH = "/oid4vp/requests/"
RESPONSE_PATH = "/oid4vp/response"
RESULT_PATH = "/presentation-requests/"


class RequestCode(StrEnum):
    """Why a presentation request cannot be made, served or read."""

    PRESENTATION_REQUEST_INVALID = "PRESENTATION_REQUEST_INVALID"
    PRESENTATION_REQUEST_UNKNOWN = "PRESENTATION_REQUEST_UNKNOWN"
    PRESENTATION_REQUEST_EXPIRED = "PRESENTATION_REQUEST_EXPIRED"
    PRESENTATION_REQUEST_ANSWERED = "PRESENTATION_REQUEST_ANSWERED"


class RequestGoneError(NotFoundError):
    """A request that existed but can no longer be answered (expired or answered): 410."""

    default_code = RequestCode.PRESENTATION_REQUEST_EXPIRED
    http_status = 410


@dataclass(frozen=True)
class Urls:
    """Where wallets and requesters reach this verifier."""

    base: str

    def request_uri(self, request_id: str) -> str:
        return self.base + REQUEST_PATH + request_id

    def response_uri(self) -> str:
        return self.base + RESPONSE_PATH

    def result(self, request_id: str) -> str:
        return self.base + RESULT_PATH + request_id


def _stamp(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def _claims(value: Any) -> list[dcql.Path]:
    if not isinstance(value, list) or len(value) > dcql.MAX_CLAIMS:
        raise MalformedError(
            f"claims must be a list of at most {dcql.MAX_CLAIMS} paths",
            code=RequestCode.PRESENTATION_REQUEST_INVALID,
            field="claims",
        )
    paths = []
    for item in value:
        parts = item.split(".") if isinstance(item, str) else item
        paths.append(dcql.read_path(parts))
    return paths


def _credential_type(body: dict[str, Any]) -> str:
    kind = body.get("credentialType")
    if not isinstance(kind, str) or kind not in CREDENTIAL_TYPES:
        raise MalformedError(
            f"credentialType must be one of {', '.join(CREDENTIAL_TYPES)}",
            code=RequestCode.PRESENTATION_REQUEST_INVALID,
            field="credentialType",
        )
    return kind


def create(
    session: Session,
    body: dict[str, Any],
    *,
    requester: str,
    signer: RequestSigner,
    urls: Urls,
    ttl: timedelta,
    now: datetime,
) -> dict[str, Any]:
    """Make and store a request (module docstring); the requester's answer.

    Raises:
        MalformedError: an unknown credential type or a bad claim path (400).
    """
    kind = _credential_type(body)
    query = dcql.credential_query(kind, _claims(body.get("claims", [])))
    expires = now + ttl
    row = PresentationRequest(
        id=secrets.token_urlsafe(16),
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        client_id=signer.client_id,
        requester=requester,
        credential_type=kind,
        dcql_query=json.dumps(query, ensure_ascii=False),
        created_at=now.timestamp(),
        expires_at=expires.timestamp(),
    )
    challenge = Challenge(
        value=row.nonce,
        domain=row.client_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
    session.add(row)
    session.add(challenge)
    session.commit()
    link = request_uri_link(row.client_id, urls.request_uri(row.id))
    return {
        "id": row.id,
        "status": "pending",
        "expires": _stamp(row.expires_at),
        "clientId": row.client_id,
        "uri": link,
        "requestUri": urls.request_uri(row.id),
        "qrPng": qr.png_data_url(link),
        "resultUrl": urls.result(row.id),
        "dcqlQuery": query,
    }


def _pending(session: Session, request_id: str, *, now: datetime) -> PresentationRequest:
    row = session.get(PresentationRequest, request_id) if len(request_id) <= 64 else None
    if row is None:
        raise NotFoundError(
            "no such presentation request", code=RequestCode.PRESENTATION_REQUEST_UNKNOWN
        )
    if row.answered_at is not None:
        raise RequestGoneError(
            "this presentation request was already answered",
            code=RequestCode.PRESENTATION_REQUEST_ANSWERED,
        )
    if row.expires_at <= now.timestamp():
        raise RequestGoneError("this presentation request has expired; ask for a new one")
    return row


def request_object(
    session: Session, request_id: str, *, signer: RequestSigner, urls: Urls, now: datetime
) -> str:
    """The signed Request Object of a pending request (OpenID4VP 1.0 §5.1, §5.10.1, §8.2).

    Raises:
        NotFoundError: unknown, or made under a signing key this process no longer has (404).
        RequestGoneError: answered or expired (410).
    """
    row = _pending(session, request_id, now=now)
    if row.client_id != signer.client_id:
        raise NotFoundError(
            "this request was made under a signing key this verifier no longer holds",
            code=RequestCode.PRESENTATION_REQUEST_UNKNOWN,
        )
    params = {
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": urls.response_uri(),
        "nonce": row.nonce,
        "state": row.state,
        "dcql_query": json.loads(row.dcql_query),
        "client_metadata": {"vp_formats_supported": VP_FORMATS},
    }
    ttl = max(1, int(row.expires_at - now.timestamp()))
    return sign_request_object(params, signer.key, client_id=row.client_id, now=now, ttl_s=ttl)


def result(session: Session, request_id: str, *, requester: str, now: datetime) -> dict[str, Any]:
    """The requester's view: ``pending``, ``expired`` or ``answered`` with the verdict.

    Raises:
        NotFoundError: unknown, or made by another requester (404: not told apart).
    """
    row = session.get(PresentationRequest, request_id) if len(request_id) <= 64 else None
    if row is None or row.requester != requester:
        raise NotFoundError(
            "no such presentation request", code=RequestCode.PRESENTATION_REQUEST_UNKNOWN
        )
    out: dict[str, Any] = {
        "id": row.id,
        "credentialType": row.credential_type,
        "expires": _stamp(row.expires_at),
    }
    if row.answered_at is None:
        out["status"] = "expired" if row.expires_at <= now.timestamp() else "pending"
        return out
    answer = json.loads(row.result or "{}")
    out.update({"status": "answered", "answeredAt": _stamp(row.answered_at)})
    out.update({"verdict": row.verdict, **answer})
    return out
