"""The HTTP edge: every error leaves as an RFC 9457 ``application/problem+json`` report.

Routes never catch. :func:`install` registers one handler for :class:`~vc_core.errors.VCError`
(its ``http_status`` decides 400/401/403/404/409/413/415/422/503), one for request validation,
one for Starlette's own HTTP errors (unknown route, wrong method) and a last one that answers 500
without a traceback or the request's content. The ``type`` URIs come from
:mod:`vc_core.problems`, so they are the same in every service.

Two additions for the issuer:

- A 401 carries ``WWW-Authenticate: Bearer`` (RFC 6750 §3), with ``error="invalid_token"``
  when a token was sent but refused (§3.1: no error code when none was sent).
- When an error lists several bad fields (``details.errors``, as credential validation does),
  the problem also has an ``errors`` member naming each by JSON pointer (RFC 9457 §3's
  extension example, RFC 6901 pointers).

:class:`BodyLimit` refuses bodies larger than the configured limit before they are read.

A client that hangs up mid-request (``ClientDisconnect``) is a warning line in the log, not an
unexpected error with a traceback: nobody is left to read the answer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.errors import NotAuthenticatedError
from vc_core.errors import (
    ClientDisconnectedError,
    InternalError,
    MalformedError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationFailedError,
    VCError,
)
from vc_core.problems import problem_details

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("issuer")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def json_pointer(field: str) -> str:
    """RFC 6901 pointer for a dotted field path: ``a.b[1].c`` → ``/a/b/1/c``.

    >>> json_pointer("credentialSubject.owners[1].idNumber")
    '/credentialSubject/owners/1/idNumber'
    """
    parts = [name or index for name, index in _SEGMENT.findall(field)]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _pointer_errors(error: VCError) -> list[dict[str, Any]]:
    listed = error.details.get("errors")
    if not isinstance(listed, list):
        return []
    out = []
    for item in listed:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            out.append(
                {
                    "pointer": json_pointer(item["field"]),
                    "code": item.get("code"),
                    "detail": item.get("message"),
                }
            )
    return out


def problem_response(error: VCError, *, instance: str | None = None) -> JSONResponse:
    """The problem-details response for ``error``."""
    body = problem_details(error, instance=instance)
    pointers = _pointer_errors(error)
    if pointers:
        body["errors"] = pointers
    headers = {}
    if isinstance(error, NotAuthenticatedError):
        sent = error.code != "TOKEN_MISSING"
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if sent else "Bearer"
    return JSONResponse(
        body, status_code=error.http_status, media_type=PROBLEM_JSON, headers=headers
    )


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


async def _on_client_gone(request: Request, exc: Exception) -> JSONResponse:
    # A client that hung up mid-body is not a fault of ours: one line, and an answer nobody reads.
    log.warning("client disconnected before its request arrived on %s", request.url.path)
    error = ClientDisconnectedError("the client closed the connection mid-request")
    return problem_response(error, instance=request.url.path)


def install(app: FastAPI) -> None:
    """Register the problem-details handlers on ``app``."""
    app.add_exception_handler(VCError, _on_vc_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(Exception, _on_unexpected)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with a 413 problem report."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, by_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths with a limit of their own (``POST /batches`` takes files of many rows).
        self.by_path = dict(by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.by_path.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._refuse(scope, receive, send, max_bytes)
            return
        seen = 0
        too_large = PayloadTooLargeError(f"request body exceeds {max_bytes} bytes")

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise too_large
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        error = PayloadTooLargeError(f"request body exceeds {max_bytes} bytes")
        await problem_response(error, instance=scope.get("path"))(scope, receive, send)
