"""``POST /challenges`` and ``POST /presentations/verify`` (W3C VC-API conventions).

A challenge is asked for first (201, single-use, expiring); the holder signs a presentation
with it and the domain; the presentation is then verified: 200 valid, 422 invalid with the
report, 503 problem carrying the report when it could not be checked, 400/413/415 problems for
a request that could not be read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from vc_core.errors import MalformedError
from verifier import challenges
from verifier.deps import (
    CheckerDep,
    JsonBodyDep,
    NowDep,
    OptionalJsonBodyDep,
    ReceiptsDep,
    SessionDep,
    SettingsDep,
)
from verifier.presentations import verify_presentation
from verifier.problems import verdict_response

router = APIRouter(tags=["presentations"])
MAX_DOMAIN = 512


def _domain(body: dict[str, Any], default: str) -> str:
    domain = body.get("domain", default)
    if not isinstance(domain, str) or not domain or len(domain) > MAX_DOMAIN:
        raise MalformedError(
            f"domain must be a string of 1 to {MAX_DOMAIN} characters",
            code="DOMAIN_INVALID",
            field="domain",
        )
    return domain


@router.post("/challenges", status_code=201)
def create_challenge(
    *,
    body: OptionalJsonBodyDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
) -> dict[str, Any]:
    """A new single-use challenge, bound to the body's ``domain`` (else this verifier's)."""
    made = challenges.issue(
        session, domain=_domain(body, settings.domain), ttl=settings.challenge_ttl, now=now
    )
    # A challenge is for one session: no cache may hand it to another client.
    response.headers["Cache-Control"] = "no-store"
    expires = datetime.fromtimestamp(made.expires_at, UTC)
    return {
        "challenge": made.value,
        "domain": made.domain,
        "expires": expires.isoformat().replace("+00:00", "Z"),
    }


@router.post("/presentations/verify")
def verify(
    *,
    body: JsonBodyDep,
    checker: CheckerDep,
    receipts: ReceiptsDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    request: Request,
) -> JSONResponse:
    """Verify a holder's presentation and every credential in it (see
    :mod:`verifier.presentations` for the steps and codes), with its signed ``receipt``."""
    report = verify_presentation(
        checker, session, body, now=now, max_presented=settings.max_presented
    )
    answer = report.to_dict()
    # The chain view of the presentation is its credentials' (one replica, one request).
    chains = [c["chain"] for c in answer["credentials"] if c.get("chain")]
    signed = {**answer, "chain": chains[0]} if chains else answer
    as_of = next((r.as_of for r in report.credentials if r.as_of), None)
    return verdict_response(
        answer,
        report.verdict,
        code=report.code,
        message=report.message,
        instance=request.url.path,
        receipt=receipts.sign(signed, as_of=as_of, now=now),
    )
