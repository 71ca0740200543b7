"""``POST /credentials/verify`` and ``POST /verify/batch`` (W3C VC-API conventions).

Judged by status code: 200 with the report when valid, 422 with the report when invalid, 503
problem details carrying the report when it could not be checked, 400/413/415 problem details
for a request that could not be read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vc_core.problems import problem_details
from vc_core.verification import VerificationReport
from verifier import service
from verifier.deps import CheckerDep, JsonBodyDep, NowDep, ReceiptsDep, SettingsDep
from verifier.problems import verdict_response, verdict_status

router = APIRouter(tags=["credentials"])


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


@router.post("/credentials/verify")
async def verify_credential(
    body: JsonBodyDep, checker: CheckerDep, receipts: ReceiptsDep, now: NowDep, request: Request
) -> JSONResponse:
    """Verify one credential (or offline bundle) against the replica: every step of DESIGN §5.
    A report that ran past step 0 comes with its signed ``receipt``.

    Run on the event loop, not in the thread pool: one verification is a fraction of a
    millisecond of pure computation over the local replica (no network, no waiting), which holds
    the GIL either way, so a thread hop per request only adds its own cost. A batch, which can
    take long, stays in the pool (``verify_batch``).
    """
    report = service.verify(checker, body, now=now)
    receipt = None
    if not report.malformed:
        receipt = receipts.sign(service.report_json(report), as_of=report.as_of, now=now)
    return report_response(report, instance=request.url.path, receipt=receipt)


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
