"""FastAPI dependencies as ``Annotated`` aliases: settings, office, session, clock, operator, body.

A write endpoint lists them in the order they must be checked, and FastAPI solves them in that
order: the operator's token (401), its role (403), the media type (415), the JSON body (400) and
its shape (422). The request body is read here rather than as a FastAPI body parameter, because
FastAPI parses declared bodies before any dependency runs, which would answer a request without
a token with 422 instead of 401.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer.accreditation import AccreditationGate
from issuer.approvals import APPROVE_ROLES, REJECT_ROLES, Issuing
from issuer.audit import AUDIT_ROLES
from issuer.auth import ISSUE, Operator, authenticate, authorize
from issuer.commits import GroupWriter
from issuer.config import Settings
from issuer.office import Office
from issuer.schemas import IssueRequest
from issuer.status import STATUS_ROLES, StatusRequest
from vc_core.canon import LocalContexts
from vc_core.errors import UnsupportedMediaTypeError
from vc_core.jsonio import parse_object


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_office(request: Request) -> Office:
    office: Office = request.app.state.office
    return office


async def get_gate(request: Request) -> AccreditationGate | None:
    gate: AccreditationGate | None = request.app.state.gate
    return gate


async def get_contexts(request: Request) -> LocalContexts:
    contexts: LocalContexts = request.app.state.contexts
    return contexts


async def get_writer(request: Request) -> GroupWriter | None:
    writer: GroupWriter | None = request.app.state.writer
    return writer


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Made and closed on the event loop: making one touches no
    database, and closing one only returns its connection to the pool, so neither is worth
    the two trips through the thread pool a plain generator would cost on every request."""
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        yield session


async def get_now() -> datetime:
    """The request's time: the one place the API reads the clock."""
    return datetime.now(UTC)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
OfficeDep = Annotated[Office, Depends(get_office)]
GateDep = Annotated[AccreditationGate | None, Depends(get_gate)]
ContextsDep = Annotated[LocalContexts, Depends(get_contexts)]
WriterDep = Annotated[GroupWriter | None, Depends(get_writer)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_operator(request: Request, session: SessionDep, now: NowDep) -> Operator:
    """The operator of the request's bearer token (401 otherwise)."""
    return authenticate(session, authorization=request.headers.get("authorization"), now=now)


OperatorDep = Annotated[Operator, Depends(get_operator)]


def _with_role(roles: frozenset[str]) -> Callable[[Operator], Awaitable[Operator]]:
    # async: a pure check, so it runs on the event loop rather than in the thread pool.
    async def dependency(operator: OperatorDep) -> Operator:
        authorize(operator, roles=roles)
        return operator

    return dependency


IssuerDep = Annotated[Operator, Depends(_with_role(ISSUE))]
StatusOperatorDep = Annotated[Operator, Depends(_with_role(STATUS_ROLES))]


async def json_body(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The request's body as a bounded JSON object (415 unless ``application/json``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"send the body as application/json, not {media or 'no media type'}"
        )
    return parse_object(await request.body(), max_bytes=settings.max_body_bytes)


JsonBodyDep = Annotated[dict[str, Any], Depends(json_body)]


async def issue_request(body: JsonBodyDep) -> IssueRequest:
    """The body as an :class:`IssueRequest` (422 naming each bad member)."""
    try:
        return IssueRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from None


IssueRequestDep = Annotated[IssueRequest, Depends(issue_request)]


async def status_request(body: JsonBodyDep) -> StatusRequest:
    """The body as a :class:`StatusRequest` (422 naming each bad member)."""
    try:
        return StatusRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from None


StatusRequestDep = Annotated[StatusRequest, Depends(status_request)]


M = TypeVar("M", bound=BaseModel)


def body_as(model: type[M]) -> Callable[..., Awaitable[M]]:
    """A dependency reading the JSON body as ``model`` (422 naming each bad member)."""

    async def dependency(body: JsonBodyDep) -> M:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_input=False)) from None

    return dependency


async def get_issuing(
    office: OfficeDep, settings: SettingsDep, contexts: ContextsDep, gate: GateDep
) -> Issuing:
    """What carrying out an approved request needs (:class:`issuer.approvals.Issuing`)."""
    return Issuing(
        office=office,
        suite_for=settings.suite_for,
        contexts=contexts,
        registry_base=settings.registry_base,
        gate=gate,
    )


IssuingDep = Annotated[Issuing, Depends(get_issuing)]
ApproverDep = Annotated[Operator, Depends(_with_role(APPROVE_ROLES))]
RejecterDep = Annotated[Operator, Depends(_with_role(REJECT_ROLES))]
AdminDep = Annotated[Operator, Depends(_with_role(AUDIT_ROLES))]
