"""``GET /dids/{did}`` and ``GET /issuers``: offices as the chain holds them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry import queries, service
from registry.deps import LedgerDep, NowDep
from registry.schemas import IssuersPublic

router = APIRouter(tags=["offices"])
DID_JSON = "application/did+ld+json"


@router.get("/dids/{did}")
def get_did(
    did: str,
    ledger: LedgerDep,
    version_time: Annotated[str | None, Query(alias="versionTime")] = None,
) -> JSONResponse:
    """The office's DID document derived from the chain (DID Resolution ``versionTime``)."""
    at = service.parse_query_time(version_time, field="versionTime")
    document: dict[str, Any] = queries.did_document(ledger=ledger, did=did, version_time=at)
    return JSONResponse(document, media_type=DID_JSON)


@router.get("/issuers")
def get_issuers(ledger: LedgerDep, now: NowDep) -> IssuersPublic:
    """Every accredited office: terms, accreditation state now, and keys with their windows."""
    return IssuersPublic(issuers=queries.issuers(reader=ledger, now=now))
