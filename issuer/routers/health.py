"""``GET /health``: the service is up and which office it signs for (public facts only)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from issuer.deps import OfficeDep

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    office: str
    verificationMethod: str


@router.get("/health")
async def health(office: OfficeDep) -> HealthPublic:
    """Up, with the office DID and the verification method new credentials are signed with."""
    return HealthPublic(
        status="ok", office=office.did, verificationMethod=office.verification_method
    )
