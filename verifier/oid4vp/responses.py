"""The Response Endpoint (OpenID4VP 1.0 §8.2, Response Mode ``direct_post``): plain functions.

The wallet posts ``application/x-www-form-urlencoded`` ``vp_token=<JSON>&state=…`` (or an error
response, ``error=…&state=…``, §8.5). The steps, each refusal an OAuth error object (§8.5, RFC
6749 §5.2) ``{"error", "error_description", "code"}``, never a 500:

1. A form body (else ``invalid_request``), each parameter at most once, a ``state`` this
   verifier issued (``invalid_request``, ``PRESENTATION_REQUEST_UNKNOWN``).
2. An error response from the wallet closes the request as ``declined``; 200.
3. The request is unanswered (``PRESENTATION_REQUEST_ANSWERED``: a replay) and unexpired
   (``PRESENTATION_REQUEST_EXPIRED``).
4. ``vp_token`` is a JSON object keyed by the DCQL credential query ids, each an array of one
   presentation object (§8.1; ``multiple`` is false): else ``VP_TOKEN_INVALID``.
5. The request is closed atomically (``UPDATE … WHERE answered_at IS NULL``): of two racing
   responses exactly one goes on; the other is a replay.
6. The presentation answers the query: a credential in it of the type and with every claim
   asked (``DCQL_NOT_SATISFIED``), bound to the holder, i.e. its subject is the presentation's
   holder (``HOLDER_BINDING_MISSING``; DCQL's ``require_cryptographic_holder_binding`` is true
   by default, §6.1).
7. The presentation is verified by :func:`verifier.presentations.verify_presentation` with
   challenge = the request's nonce and domain = the full client_id (Appendix B.1.3.2.5 for
   ``ldp_vp``): the holder signed it (purpose ``authentication``), the nonce is single use, and
   every credential is fully verified against the replica.

The verdict, the report and (when valid) the claims asked for are stored for the requester.
The wallet is answered 200 ``{}`` when valid, 400 ``invalid_request`` naming the failed step's
code when not, 503 ``temporarily_unavailable`` when it could not be checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import update
from sqlmodel import Session, col, select

from vc_core import dcql
from vc_core.errors import MalformedError, RegistryError, VCError
from vc_core.jsonio import parse_object
from vc_core.verification import Verdict
from verifier.oid4vp.requests import RequestCode
from verifier.oid4vp.tables import PresentationRequest
from verifier.presentations import verify_presentation
from verifier.service import Checker

MAX_PARAMS = 8
MAX_ERROR_CODE = 64
FORM = "application/x-www-form-urlencoded"


class ResponseCode(StrEnum):
    """Why a wallet's response is refused, beyond the request's own state."""

    VP_TOKEN_INVALID = "VP_TOKEN_INVALID"  # noqa: S105 (a code, not a secret)
    DCQL_NOT_SATISFIED = "DCQL_NOT_SATISFIED"
    HOLDER_BINDING_MISSING = "HOLDER_BINDING_MISSING"


@dataclass(frozen=True)
class Answer:
    """What the Response Endpoint sends back: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _refuse(code: str, description: str, *, error: str = "invalid_request") -> Answer:
    status = 503 if error == "temporarily_unavailable" else 400
    body = {"error": error, "error_description": f"{code}: {description}", "code": code}
    return Answer(status, body)


def _form(raw: bytes, media: str) -> dict[str, str] | Answer:
    if media.split(";", maxsplit=1)[0].strip().lower() != FORM:
        return _refuse(ResponseCode.VP_TOKEN_INVALID, f"send the response as {FORM}")
    try:
        pairs = parse_qsl(
            raw.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=MAX_PARAMS,
        )
    except ValueError:  # UnicodeDecodeError included: a form body is ASCII.
        return _refuse(ResponseCode.VP_TOKEN_INVALID, "the body is not a well-formed form")
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            return _refuse(ResponseCode.VP_TOKEN_INVALID, f"{name[:40]!r} is given twice")
        params[name] = value
    return params


def _vp_of(token: str, query: dcql.Query) -> dict[str, Any] | None:
    """The one presentation object of a vp_token answering the one credential query (§8.1)."""
    try:
        parsed = parse_object(token)
    except MalformedError:
        return None
    (wanted,) = query.credentials
    items = parsed.get(wanted.id)
    if set(parsed) != {wanted.id} or not isinstance(items, list) or len(items) != 1:
        return None
    vp = items[0]
    return vp if isinstance(vp, dict) else None


def _close(session: Session, row: PresentationRequest, *, now: datetime) -> bool:
    stamp = now.timestamp()
    statement = (
        update(PresentationRequest)
        .where(col(PresentationRequest.id) == row.id)
        .where(col(PresentationRequest.answered_at).is_(None))
        .where(col(PresentationRequest.expires_at) > stamp)
        .values(answered_at=stamp)
    )
    result = session.exec(statement)
    session.commit()
    return bool(result.rowcount == 1)


def _record(session: Session, row_id: str, verdict: str, result: dict[str, Any]) -> None:
    statement = (
        update(PresentationRequest)
        .where(col(PresentationRequest.id) == row_id)
        .values(verdict=verdict, result=json.dumps(result, ensure_ascii=False))
    )
    session.exec(statement)
    session.commit()


def _credentials(vp: Mapping[str, Any]) -> list[Any]:
    value = vp.get("verifiableCredential", [])
    return value if isinstance(value, list) else [value]


def _subject_ids(credential: Mapping[str, Any]) -> set[str]:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    return {s["id"] for s in subjects if isinstance(s, dict) and isinstance(s.get("id"), str)}


def _dcql_step(vp: Mapping[str, Any], wanted: dcql.CredentialQuery) -> tuple[Any, str | None, str]:
    """Step 6: the matching credential, or the code and reason it is refused."""
    holder = vp.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    misses: list[str] = []
    for credential in _credentials(vp):
        unmet = dcql.unmet(credential, wanted)
        if unmet:
            misses.extend(unmet)
            continue
        if not isinstance(holder, str) or holder not in _subject_ids(credential):
            reason = "the credential's subject is not the presentation's holder"
            return None, ResponseCode.HOLDER_BINDING_MISSING, reason
        return credential, None, "matches"
    reason = "; ".join(dict.fromkeys(misses)) or "the presentation holds no credential"
    return None, ResponseCode.DCQL_NOT_SATISFIED, reason


def _disclosed(credential: Any, wanted: dcql.CredentialQuery) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in wanted.claims:
        values = list(dcql.select(credential, path))
        out[dcql.show_path(path)] = values[0] if len(values) == 1 else values
    return out


def _evaluate(
    checker: Checker,
    session: Session,
    row: PresentationRequest,
    vp: dict[str, Any],
    wanted: dcql.CredentialQuery,
    *,
    now: datetime,
    max_presented: int,
) -> tuple[str, str | None, str, dict[str, Any]]:
    """Steps 6–7: ``(verdict, code, message, result to store)``."""
    credential, code, reason = _dcql_step(vp, wanted)
    if code is not None:
        return Verdict.INVALID.value, code, reason, {"code": code, "message": reason}
    body = {
        "verifiablePresentation": vp,
        "options": {"challenge": row.nonce, "domain": row.client_id},
    }
    try:
        report = verify_presentation(checker, session, body, now=now, max_presented=max_presented)
    except VCError as exc:
        # A refused shape is invalid; a fault of this verifier's own parts is "could not check".
        verdict = Verdict.COULD_NOT_CHECK if isinstance(exc, RegistryError) else Verdict.INVALID
        return (
            verdict.value,
            exc.code,
            exc.message,
            {"code": exc.code, "message": exc.message},
        )
    result: dict[str, Any] = {"code": report.code, "message": report.message}
    result["presentation"] = report.to_dict()
    if report.verdict is Verdict.VALID:
        result["claims"] = _disclosed(credential, wanted)
    return report.verdict.value, report.code, report.message, result


def _declined(session: Session, row: PresentationRequest, error: str, *, now: datetime) -> Answer:
    """Step 2: the wallet's error response (e.g. ``access_denied``) closes the request."""
    if not _close(session, row, now=now):
        return _refuse(RequestCode.PRESENTATION_REQUEST_ANSWERED, "already answered or expired")
    code = "".join(c for c in error[:MAX_ERROR_CODE] if c.isalnum() or c in "_-") or "error"
    _record(session, row.id, "declined", {"code": code, "message": "the wallet declined"})
    return Answer(200)


def _closed(row: PresentationRequest, *, now: datetime) -> Answer | None:
    """Step 3: a replay, or too late."""
    if row.answered_at is not None:
        return _refuse(RequestCode.PRESENTATION_REQUEST_ANSWERED, "already answered (a replay)")
    if row.expires_at <= now.timestamp():
        return _refuse(RequestCode.PRESENTATION_REQUEST_EXPIRED, "this request has expired")
    return None


def _admit(
    session: Session, params: dict[str, str], *, now: datetime
) -> tuple[PresentationRequest, dcql.CredentialQuery, dict[str, Any]] | Answer:
    """Steps 1–5: the request this response answers, closed for any other, and its vp."""
    state = params.get("state", "")
    row = None
    if 0 < len(state) <= 128:
        found = select(PresentationRequest).where(PresentationRequest.state == state)
        row = session.exec(found).first()
    if row is None:
        return _refuse(RequestCode.PRESENTATION_REQUEST_UNKNOWN, "no request has this state")
    if "error" in params and "vp_token" not in params:
        return _declined(session, row, params["error"], now=now)
    closed = _closed(row, now=now)
    if closed is not None:
        return closed
    query = dcql.read_query(json.loads(row.dcql_query))
    vp = _vp_of(params.get("vp_token", ""), query)
    if vp is None:
        what = f"vp_token must be a JSON object {{{query.credentials[0].id!r}: [presentation]}}"
        return _refuse(ResponseCode.VP_TOKEN_INVALID, what)
    if not _close(session, row, now=now):
        return _refuse(RequestCode.PRESENTATION_REQUEST_ANSWERED, "already answered (a replay)")
    return row, query.credentials[0], vp


def respond(
    checker: Checker,
    session: Session,
    raw: bytes,
    media: str,
    *,
    now: datetime,
    max_presented: int,
) -> Answer:
    """Run the module's steps over a posted response."""
    params = _form(raw, media)
    if isinstance(params, Answer):
        return params
    admitted = _admit(session, params, now=now)
    if isinstance(admitted, Answer):
        return admitted
    row, wanted, vp = admitted
    verdict, code, message, result = _evaluate(
        checker, session, row, vp, wanted, now=now, max_presented=max_presented
    )
    _record(session, row.id, verdict, result)
    if verdict == Verdict.VALID.value:
        return Answer(200)
    if verdict == Verdict.COULD_NOT_CHECK.value:
        return _refuse(code or "COULD_NOT_CHECK", message, error="temporarily_unavailable")
    return _refuse(code or "INVALID", message)
