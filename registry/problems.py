"""The HTTP edge: every error leaves as an RFC 9457 ``application/problem+json`` report.

Routes never catch. :func:`install` registers one handler for :class:`~vc_core.errors.VCError`
(its ``http_status`` decides 400/404/415/422/503), one for request validation, one for
Starlette's own HTTP errors (unknown route, wrong method; a 405 keeps its ``Allow`` header) and
a last one that answers 500 without a traceback; and it declares every error answer in the
OpenAPI document as ``application/problem+json`` with the :class:`ProblemDetails` schema.
:class:`BodyLimit` refuses bodies larger than the configured limit before they are read into
memory.

A client that hangs up mid-request (``ClientDisconnect``) is a warning line in the log, not an
unexpected error with a traceback: nobody is left to read the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
log = logging.getLogger("registry")


def problem_response(error: VCError, *, instance: str | None = None) -> JSONResponse:
    """The problem-details response for ``error``."""
    body = problem_details(error, instance=instance)
    return JSONResponse(body, status_code=error.http_status, media_type=PROBLEM_JSON)


async def _on_vc_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, VCError):
        return await _on_unexpected(request, exc)
    return problem_response(exc, instance=request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    errors: list[Any] = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {}
    loc = tuple(str(p) for p in first.get("loc", ()))
    details = {"errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]}
    if len(loc) == 2 and loc[0] == "path" and first.get("type") == "string_pattern_mismatch":
        # A path segment that is not the identifier the route names (a hash that is not 64 hex
        # digits) is malformed input, as when the service checked it itself: 400, with the
        # parameter as the field.
        malformed = MalformedError(f"{loc[1]}: {first.get('msg')}", field=loc[1], details=details)
        return problem_response(malformed, instance=request.url.path)
    where = ".".join(loc)
    error = ValidationFailedError(
        f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request",
        field=where or None,
        details=details,
    )
    return problem_response(error, instance=request.url.path)


# Codes for the HTTP errors Starlette raises itself (unknown route, wrong method).
_HTTP_CODES = {405: "METHOD_NOT_ALLOWED"}


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = str(exc.detail) if isinstance(exc, StarletteHTTPException) else "error"
    if status == 404:
        return problem_response(NotFoundError(detail), instance=request.url.path)
    code = _HTTP_CODES.get(status, f"HTTP_{status}")
    body = problem_details(MalformedError(detail, code=code), instance=request.url.path)
    body["status"] = status
    # A 405 must carry Allow (RFC 9110 §15.5.6); Starlette puts it on the exception.
    headers = exc.headers if isinstance(exc, StarletteHTTPException) else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s: %r", request.url.path, exc)
    return problem_response(InternalError("internal error"), instance=request.url.path)


class ProblemDetails(BaseModel):
    """An RFC 9457 problem-details report, as every error of this API leaves."""

    type: str = Field(description="A stable URI per code (w3id security# or ecert's own).")
    title: str
    status: int
    detail: str
    code: str = Field(description="The stable error code, e.g. BAD_SIGNATURE.")
    field: str | None = None
    instance: str | None = None
    details: dict[str, Any] | None = None


# The error answers every operation may give, and those only operations with a body give.
_ANY_ERRORS = {
    "400": "Malformed input (the code names what is wrong).",
    "404": "Not found.",
    "422": "Well formed, but a rule or a parameter check failed.",
    "500": "Internal error (no details leave the process).",
    "503": "Could not check: the node cannot serve this now.",
}
_BODY_ERRORS = {
    "413": "The body is larger than the node accepts.",
    "415": "The body is not Content-Type: application/json.",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def _problem_responses(schema: dict[str, Any]) -> None:
    """Declare every error answer as ``application/problem+json`` (in place), replacing
    FastAPI's default 422 ``HTTPValidationError``, which this API never sends."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemDetails"] = ProblemDetails.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    content = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            errors = dict(_ANY_ERRORS)
            if method in ("post", "put", "patch"):
                errors.update(_BODY_ERRORS)
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses[status] = {"description": description, "content": content}


def _install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            schema = generate()  # FastAPI caches it as app.openapi_schema; amended in place
            _problem_responses(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _on_client_gone(request: Request, exc: Exception) -> JSONResponse:
    # A client that hung up mid-body is not a fault of ours: one line, and an answer nobody reads.
    log.warning("client disconnected before its request arrived on %s", request.url.path)
    error = ClientDisconnectedError("the client closed the connection mid-request")
    return problem_response(error, instance=request.url.path)


def install(app: FastAPI) -> None:
    """Register the problem-details handlers on ``app`` and declare them in its OpenAPI."""
    _install_openapi(app)
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
