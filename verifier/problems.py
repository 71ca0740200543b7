"""The HTTP edge: every error leaves as an RFC 9457 ``application/problem+json`` report.

Routes never catch. :func:`install` registers one handler for :class:`~vc_core.errors.VCError`
(its ``http_status`` decides 400/404/413/415/422/503), one for request validation, one for
Starlette's own HTTP errors (unknown route, wrong method) and a last one that answers 500 without
a traceback or the request's content. The ``type`` URIs come from :mod:`vc_core.problems`, so
they are the same in every service.

A verification that ran answers with its report (:func:`verdict_response`), by the W3C VC-API
convention that test suites judge by status code: 200 valid, 422 invalid (the report itself),
503 could not check and 400 malformed input (problem details carrying the report).

:class:`BodyLimit` refuses bodies larger than the configured limit before they are read.

A client that hangs up mid-request (``ClientDisconnect``) is a warning line in the log, not an
unexpected error with a traceback: nobody is left to read the answer.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vc_core.errors import (
    ClientDisconnectedError,
    InternalError,
    MalformedError,
    NotFoundError,
    PayloadTooLargeError,
    RegistryError,
    ValidationFailedError,
    VCError,
)
from vc_core.problems import problem_details
from vc_core.verification import Verdict

try:
    import orjson
except ImportError:  # an environment made before orjson was a dependency: the stdlib encoder
    orjson = None  # type: ignore[assignment]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("verifier")
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False
).encode


class CompactJSONResponse(JSONResponse):
    """A JSON response written by ``orjson``: the bytes Starlette's :class:`JSONResponse` writes
    (compact, UTF-8, no escapes beyond JSON's own) in a tenth of the time, which matters for a
    report with its receipt (about 6 kB, answered for every verification). What ``orjson``
    refuses (an integer beyond 64 bits) is written by the standard library's encoder."""

    def render(self, content: Any) -> bytes:
        if orjson is not None:
            try:
                return orjson.dumps(content)
            except orjson.JSONEncodeError:
                pass
        return _encode(content).encode("utf-8")


def problem_response(error: VCError, *, instance: str | None = None) -> JSONResponse:
    """The problem-details response for ``error``."""
    body = problem_details(error, instance=instance)
    return CompactJSONResponse(body, status_code=error.http_status, media_type=PROBLEM_JSON)


def verdict_status(verdict: Verdict, *, malformed: bool = False) -> int:
    """The HTTP status of a verdict: 200, 422, 503 (400 when the input was refused)."""
    if malformed:
        return MalformedError.http_status
    return {Verdict.VALID: 200, Verdict.INVALID: 422, Verdict.COULD_NOT_CHECK: 503}[verdict]


def verdict_response(
    report: dict[str, Any],
    verdict: Verdict,
    *,
    code: str | None,
    message: str,
    malformed: bool = False,
    instance: str | None = None,
    receipt: dict[str, Any] | None = None,
) -> JSONResponse:
    """200/422 with ``report``; 400/503 problem details with ``report`` as a member; a signed
    ``receipt``, when given, is a top-level member of either."""
    status = verdict_status(verdict, malformed=malformed)
    extra = {} if receipt is None else {"receipt": receipt}
    if status in (200, 422):
        return CompactJSONResponse({**report, **extra}, status_code=status)
    error: VCError
    if malformed:
        error = MalformedError(message, code=code)
    else:
        error = RegistryError(message, code=code or "COULD_NOT_CHECK")
    body = problem_details(error, instance=instance)
    body["report"] = report
    body.update(extra)
    return CompactJSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _on_vc_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, VCError):
        return await _on_unexpected(request, exc)
    return problem_response(exc, instance=request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    errors: list[Any] = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    # Only the location and pydantic's message leave: never the input value, which may hold a
    # citizen's data.
    error = ValidationFailedError(
        f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request",
        field=where or None,
        details={"errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]},
    )
    return problem_response(error, instance=request.url.path)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = str(exc.detail) if isinstance(exc, StarletteHTTPException) else "error"
    if status == 404:
        return problem_response(NotFoundError(detail), instance=request.url.path)
    body = problem_details(MalformedError(detail, code=f"HTTP_{status}"), instance=request.url.path)
    body["status"] = status
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The exception's class only: its text could quote request content.
    log.error("unexpected %s on %s", type(exc).__name__, request.url.path)
    return problem_response(InternalError("internal error"), instance=request.url.path)


def client_gone_response(path: str) -> JSONResponse:
    """What a request whose client hung up mid-body gets: one warning line (not a fault of
    ours, so no traceback) and an answer nobody reads."""
    log.warning("client disconnected before its request arrived on %s", path)
    error = ClientDisconnectedError("the client closed the connection mid-request")
    return problem_response(error, instance=path)


async def _on_client_gone(request: Request, exc: Exception) -> JSONResponse:
    return client_gone_response(request.url.path)


def install(app: FastAPI) -> None:
    """Register the problem-details handlers on ``app``."""
    app.add_exception_handler(VCError, _on_vc_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(Exception, _on_unexpected)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with a 413 problem report."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = PayloadTooLargeError(f"request body exceeds {self.max_bytes} bytes")

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise too_large
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLargeError(f"request body exceeds {self.max_bytes} bytes")
        await problem_response(error, instance=scope.get("path"))(scope, receive, send)
