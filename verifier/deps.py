"""FastAPI dependencies as ``Annotated`` aliases: settings, checker, session, clock, JSON body.

The request body is read here rather than as a FastAPI body parameter so that it goes through
the one bounded I-JSON parser (:func:`vc_core.jsonio.parse_object`): a duplicate key, a huge
number or deep nesting is a 400 problem, the same as at every other edge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from vc_core.errors import UnsupportedMediaTypeError
from vc_core.jsonio import parse_object
from verifier.config import Settings
from verifier.receipts import ReceiptSigner
from verifier.service import Checker


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_checker(request: Request) -> Checker:
    checker: Checker = request.app.state.checker
    return checker


async def get_receipts(request: Request) -> ReceiptSigner:
    receipts: ReceiptSigner = request.app.state.receipts
    return receipts


def get_session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(engine) as session:
        yield session


async def get_now(request: Request) -> datetime:
    """The request's time: the one place the API reads the clock (a test sets its own)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CheckerDep = Annotated[Checker, Depends(get_checker)]
ReceiptsDep = Annotated[ReceiptSigner, Depends(get_receipts)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def read_json_body(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request's body as a bounded JSON object (415 unless ``application/json``)."""
    if not _is_json(request):
        media = request.headers.get("content-type", "") or "no media type"
        raise UnsupportedMediaTypeError(f"send the body as application/json, not {media[:80]}")
    return parse_object(await request.body(), max_bytes=max_bytes)


async def json_body(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """:func:`read_json_body` as a dependency."""
    return await read_json_body(request, settings.max_body_bytes)


async def optional_json_body(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Like :func:`json_body`, but an empty body is an empty object."""
    raw = await request.body()
    if not raw:
        return {}
    if not _is_json(request):
        media = request.headers.get("content-type", "") or "no media type"
        raise UnsupportedMediaTypeError(f"send the body as application/json, not {media[:80]}")
    return parse_object(raw, max_bytes=settings.max_body_bytes)


JsonBodyDep = Annotated[dict[str, Any], Depends(json_body)]
OptionalJsonBodyDep = Annotated[dict[str, Any], Depends(optional_json_body)]
