"""``POST /credentials/verify`` and ``POST /verify/batch`` (W3C VC-API conventions).

Judged by status code: 200 with the report when valid, 422 with the report when invalid, 503
problem details carrying the report when it could not be checked, 400/413/415 problem details
for a request that could not be read.

:class:`VerifyFastPath` hands ``POST /credentials/verify`` to its route function straight from
the middleware stack, past the framework's routing and request handling (the route stays
registered, for the OpenAPI document and for any request the fast path does not take).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from vc_core.errors import VCError
from vc_core.problems import problem_details
from vc_core.verification import VerificationReport
from verifier import service
from verifier.deps import (
    CheckerDep,
    JsonBodyDep,
    NowDep,
    ReceiptsDep,
    SettingsDep,
    read_json_body,
)
from verifier.problems import (
    client_gone_response,
    problem_response,
    verdict_response,
    verdict_status,
)
from verifier.receipts import ReceiptSigner

router = APIRouter(tags=["credentials"])
VERIFY_PATH = "/credentials/verify"


def report_response(
    report: VerificationReport, *, instance: str, receipt: dict[str, Any] | None = None
) -> JSONResponse:
    """The response for one report (module docstring)."""
    code, message = service.headline(report)
    return verdict_response(
        service.report_json(report),
        report.verdict,
        code=code,
        message=message,
        malformed=report.malformed,
        instance=instance,
        receipt=receipt,
    )


@router.post(VERIFY_PATH)
async def verify_credential(request: Request) -> Response:
    """Verify one credential (or offline bundle) against the replica: every step of DESIGN §5.
    A report that ran past step 0 comes with its signed ``receipt``.

    Run on the event loop, not in the thread pool: one verification is a fraction of a
    millisecond of pure computation over the local replica (no network, no waiting), which holds
    the GIL either way, so a thread hop per request only adds its own cost. A batch, which can
    take long, stays in the pool (``verify_batch``).

    This is the hot path, so it takes the request alone and reads what it needs from the app's
    state, rather than through FastAPI dependencies, whose resolution cost about as much per
    request as the HTTP server itself; the body still goes through the one bounded parser
    (:func:`verifier.deps.read_json_body`). The report is made JSON once, for the receipt and
    the answer both.
    """
    state = request.app.state
    body = await read_json_body(request, state.settings.max_body_bytes)
    now: datetime = state.clock()
    report = service.verify(state.checker, body, now=now)
    report_json = service.report_json(report)
    receipt = None
    if not report.malformed:
        signer: ReceiptSigner = state.receipts
        receipt = signer.sign(report_json, as_of=report.as_of, now=now)
    code, message = service.headline(report)
    return verdict_response(
        report_json,
        report.verdict,
        code=code,
        message=message,
        malformed=report.malformed,
        instance=request.scope["path"],  # request.url.path, without building the URL
        receipt=receipt,
    )


class VerifyFastPath:
    """ASGI middleware: ``POST /credentials/verify`` goes straight to :func:`verify_credential`.

    The framework's routing (every included router's patterns), its request handling and its
    exception middleware cost about 0.07 ms a request, a tenth of a deed's whole verification
    over HTTP (measured beside each other in process); this path skips them and does what they
    would do for this route: an
    error of ours becomes the same problem details (:func:`verifier.problems.problem_response`),
    a client that hung up mid-body the same warning line
    (:func:`~verifier.problems.client_gone_response`),
    and anything else propagates to the server-error middleware outside, which answers the same
    500 problem as before. Install it inside :class:`verifier.problems.BodyLimit`, so that 413
    still applies. Any other method or path, a trailing slash included, goes on unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != VERIFY_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        response: Response
        try:
            response = await verify_credential(request)
        except VCError as exc:
            response = problem_response(exc, instance=VERIFY_PATH)
        except ClientDisconnect:
            response = client_gone_response(VERIFY_PATH)
        await response(scope, receive, send)


@router.post("/verify/batch")
def verify_batch(
    body: JsonBodyDep,
    checker: CheckerDep,
    receipts: ReceiptsDep,
    settings: SettingsDep,
    now: NowDep,
) -> dict[str, Any]:
    """Verify many credentials: 200 with one result per item, in order, each with the status
    (and the signed receipt) its own ``POST /credentials/verify`` would have answered."""
    outcomes = service.verify_batch(checker, body, now=now, max_items=settings.max_batch)
    results: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, VerificationReport):
            status = verdict_status(outcome.verdict, malformed=outcome.malformed)
            report = service.report_json(outcome)
            item = {"verdict": outcome.verdict.value, "report": report}
            if not outcome.malformed:
                item["receipt"] = receipts.sign(report, as_of=outcome.as_of, now=now)
        else:
            status = outcome.http_status
            item = {"verdict": "invalid", "problem": problem_details(outcome)}
        results.append({"index": index, "status": status, **item})
    return {"results": results}
