"""The OpenID4VCI routes (thin: each calls one function of this package) and their error edge.

``POST /offers`` is the operator's (bearer operator token, role ``issuer``, type in scope) and
answers problem details like the rest of the issuer API. The wallet's endpoints (the offer by
reference, both metadata documents, ``/token``, ``/nonce``, ``/credential``) are anonymous, as
the pre-authorized flow intends; the token and credential endpoints answer their refusals the
OAuth way (:class:`~issuer.oid4vci.errors.OAuthError`, one handler installed by
:func:`install`). Every answer that carries a code, token, nonce or credential is
``Cache-Control: no-store`` (RFC 6749 §5.1).
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from issuer import approvals
from issuer.config import Settings
from issuer.deps import (
    ContextsDep,
    GateDep,
    IssuerDep,
    JsonBodyDep,
    NowDep,
    OfficeDep,
    SessionDep,
    SettingsDep,
)
from issuer.oid4vci import credential, metadata, nonces, offers
from issuer.oid4vci.errors import OAuthCode, OAuthError
from issuer.oid4vci.receipts import holder_receipt
from issuer.oid4vci.schemas import OfferPublic, OfferRequest
from vc_core.qr import png_bytes

router = APIRouter(tags=["oid4vci"])
NO_STORE = {"Cache-Control": "no-store"}
OFFER_SCHEME = "openid-credential-offer://"
FORM = "application/x-www-form-urlencoded"
# A token request holds three short parameters; many more is not a token request.
MAX_FORM_FIELDS = 16


async def raw_body(request: Request) -> bytes:
    """The request's body, read in the event loop, so the endpoints themselves can be plain
    functions that FastAPI runs in its thread pool (they sign and write to the database)."""
    return await request.body()


RawBodyDep = Annotated[bytes, Depends(raw_body)]


def issuer_id(settings: Settings, request: Request) -> str:
    """The Credential Issuer Identifier: ``ISSUER_PUBLIC_URL``, else the request's base URL."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@router.post("/offers", status_code=201, response_model=OfferPublic)
def create_offer(
    *,
    operator: IssuerDep,
    body: JsonBodyDep,
    session: SessionDep,
    office: OfficeDep,
    settings: SettingsDep,
    contexts: ContextsDep,
    gate: GateDep,
    now: NowDep,
    request: Request,
    response: Response,
) -> OfferPublic | JSONResponse:
    """A single-use, short-lived credential offer, its URI and QR code, and its tx_code;
    ``202`` with the held request when the type is under dual control (the offer is usable
    once a different approver approves it)."""
    try:
        asked = OfferRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from None
    made = offers.create_offer(
        session=session,
        office=office,
        operator=operator,
        request=asked,
        suite=settings.suite_for(asked.credentialType),
        contexts=contexts,
        gate=gate,
        approvals=settings.approvals_for(asked.credentialType),
        ttl=timedelta(seconds=settings.offer_ttl_s),
        now=now,
    )
    by_reference = f"{issuer_id(settings, request)}{metadata.OFFER_PATH}/{made.secret}"
    uri = f"{OFFER_SCHEME}?credential_offer_uri={quote(by_reference, safe='')}"
    public = OfferPublic(
        id=made.id,
        credential_configuration_id=made.credential_type,
        credential_offer_uri=by_reference,
        offer_uri=uri,
        qr_png_base64=base64.b64encode(png_bytes(uri)).decode("ascii"),
        tx_code=made.tx_code,
        expires_at=made.expires_at.isoformat(),
    )
    if made.request is not None:
        held = approvals.view(session, made.request)
        # Its lifetime starts at the approval; until then the URI and tx_code do not work.
        body = {**public.model_dump(exclude={"expires_at"}), "state": "pending", "request": held}
        location = "/requests/" + quote(made.request.id, safe=":")
        return JSONResponse(body, status_code=202, headers={**NO_STORE, "Location": location})
    response.headers.update(NO_STORE)
    return public


@router.get(metadata.OFFER_PATH + "/{secret}")
def get_offer(
    secret: str, session: SessionDep, settings: SettingsDep, now: NowDep, request: Request
) -> JSONResponse:
    """The Credential Offer by reference (OpenID4VCI 1.0 §4.1.3): unsigned JSON."""
    document = offers.offer_document(
        session=session, secret=secret, issuer_id=issuer_id(settings, request), now=now
    )
    return JSONResponse(document, headers=NO_STORE)


@router.get(metadata.ISSUER_WELL_KNOWN)
def get_issuer_metadata(
    settings: SettingsDep, office: OfficeDep, request: Request
) -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)."""
    return metadata.issuer_metadata(
        issuer_id(settings, request), office_name=office.name, suite_for=settings.suite_for
    )


@router.get(metadata.AS_WELL_KNOWN)
def get_as_metadata(settings: SettingsDep, request: Request) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414 §3)."""
    return metadata.authorization_server_metadata(issuer_id(settings, request))


@router.post(metadata.TOKEN_PATH)
def token(
    request: Request, body: RawBodyDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> JSONResponse:
    """The token endpoint for the pre-authorized code grant (OpenID4VCI 1.0 §6)."""
    if _media(request) != FORM:
        raise OAuthError(OAuthCode.INVALID_REQUEST, f"send the token request as {FORM}")
    try:
        form = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(OAuthCode.INVALID_REQUEST, "the token request is not a form") from None
    grant = offers.redeem(
        session=session,
        form=form,
        tries=settings.tx_code_tries,
        token_ttl=timedelta(seconds=settings.access_token_ttl_s),
        now=now,
    )
    answer = {"access_token": grant.access_token, "token_type": "Bearer"}
    return JSONResponse({**answer, "expires_in": grant.expires_in}, headers=NO_STORE)


@router.post(metadata.NONCE_PATH)
def nonce(session: SessionDep, settings: SettingsDep, now: NowDep) -> JSONResponse:
    """A fresh c_nonce (OpenID4VCI 1.0 §7)."""
    value = nonces.new_nonce(session, ttl=timedelta(seconds=settings.nonce_ttl_s), now=now)
    return JSONResponse({"c_nonce": value}, headers=NO_STORE)


@router.post(metadata.CREDENTIAL_PATH)
def credential_endpoint(
    *,
    request: Request,
    body: RawBodyDep,
    session: SessionDep,
    office: OfficeDep,
    settings: SettingsDep,
    contexts: ContextsDep,
    gate: GateDep,
    now: NowDep,
) -> JSONResponse:
    """One credential bound to the holder's did:key (OpenID4VCI 1.0 §8)."""
    signed = credential.issue_to_holder(
        session=session,
        office=office,
        authorization=request.headers.get("authorization"),
        media_type=_media(request),
        raw_body=body,
        max_bytes=settings.max_body_bytes,
        audience=issuer_id(settings, request),
        proof_window=timedelta(seconds=settings.proof_iat_window_s),
        suite_for=settings.suite_for,
        approvals_for=settings.approvals_for,
        contexts=contexts,
        registry_base=settings.registry_base,
        gate=gate,
        now=now,
    )
    return JSONResponse({"credentials": [{"credential": signed}]}, headers=NO_STORE)


@router.get("/credential-receipts/{leaf}")
def get_holder_receipt(leaf: str, session: SessionDep) -> JSONResponse:
    """A credential's anchor receipt, for its holder (see :mod:`issuer.oid4vci.receipts`)."""
    return JSONResponse(holder_receipt(session=session, leaf=leaf))


async def _on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, OAuthError):
        raise exc
    headers = dict(NO_STORE)
    if exc.http_status == 401:
        # RFC 6750 §3: a refused bearer token names the error in the challenge.
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    body = {"error": exc.code, "error_description": exc.message}
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def install(app: FastAPI) -> None:
    """Add the OpenID4VCI routes and their OAuth error handler to the issuer's ``app``."""
    app.add_exception_handler(OAuthError, _on_oauth_error)
    app.include_router(router)
