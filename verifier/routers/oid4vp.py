"""OpenID4VP 1.0 routes (thin; the steps are in :mod:`verifier.oid4vp`).

- ``POST /presentation-requests`` (requester, API key): 201 with the link, QR and result URL.
- ``GET /presentation-requests/{id}`` (the same requester): pending / expired / the verdict.
- ``GET /oid4vp/requests/{id}`` (wallet): the signed Request Object.
- ``POST /oid4vp/response`` (wallet, ``direct_post``): OAuth error objects, not problems, as
  OpenID4VP §8.5 asks; everything else answers RFC 9457 problems.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from vc_core.oid4vp import REQUEST_MEDIA_TYPE
from verifier.config import Settings
from verifier.deps import CheckerDep, JsonBodyDep, NowDep, SessionDep, SettingsDep
from verifier.oid4vp import auth, requests, responses
from verifier.oid4vp.signer import RequestSigner

router = APIRouter(tags=["openid4vp"])


async def get_signer(request: Request) -> RequestSigner:
    signer: RequestSigner = request.app.state.request_signer
    return signer


async def get_requester(request: Request, settings: SettingsDep) -> str:
    """The hash of the caller's API key (401 problem unless it is a configured one)."""
    return auth.authorize(request.headers.get("authorization"), settings.requester_key_hashes)


SignerDep = Annotated[RequestSigner, Depends(get_signer)]
RequesterDep = Annotated[str, Depends(get_requester)]


def _urls(settings: Settings) -> requests.Urls:
    return requests.Urls(settings.base_url)


@router.post("/presentation-requests", status_code=201)
def create_request(
    *,
    requester: RequesterDep,
    body: JsonBodyDep,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    now: NowDep,
    response: Response,
) -> dict[str, Any]:
    """A new presentation request for ``credentialType`` and ``claims``."""
    made = requests.create(
        session,
        body,
        requester=requester,
        signer=signer,
        urls=_urls(settings),
        ttl=settings.presentation_request_ttl,
        now=now,
    )
    response.headers["Cache-Control"] = "no-store"
    return made


@router.get("/presentation-requests/{request_id}")
def read_result(
    request_id: str, requester: RequesterDep, session: SessionDep, now: NowDep, response: Response
) -> dict[str, Any]:
    """The request as its requester sees it."""
    response.headers["Cache-Control"] = "no-store"
    return requests.result(session, request_id, requester=requester, now=now)


@router.get("/oid4vp/requests/{request_id}")
def request_object(
    request_id: str, session: SessionDep, settings: SettingsDep, signer: SignerDep, now: NowDep
) -> Response:
    """The signed Request Object (``application/oauth-authz-req+jwt``, OpenID4VP 1.0 §5.10.1)."""
    token = requests.request_object(
        session, request_id, signer=signer, urls=_urls(settings), now=now
    )
    headers = {"Cache-Control": "no-store"}
    return Response(token, media_type=REQUEST_MEDIA_TYPE, headers=headers)


async def raw_body(request: Request) -> bytes:
    """The body as bytes (bounded by :class:`verifier.problems.BodyLimit`)."""
    return await request.body()


@router.post("/oid4vp/response")
def direct_post(
    *,
    request: Request,
    raw: Annotated[bytes, Depends(raw_body)],
    checker: CheckerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> JSONResponse:
    """The wallet's Authorization Response (OpenID4VP 1.0 §8.2)."""
    answer = responses.respond(
        checker,
        session,
        raw,
        request.headers.get("content-type", ""),
        now=now,
        max_presented=settings.max_presented,
    )
    return JSONResponse(
        answer.body, status_code=answer.status, headers={"Cache-Control": "no-store"}
    )
