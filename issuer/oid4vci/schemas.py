"""Request and response models of the offer API (the operator's side of OpenID4VCI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OfferRequest(BaseModel):
    """``POST /offers``: the credential type and its subject's claims.

    The subject's ``id`` is left out: it is the holder's DID, which arrives with the wallet's key
    proof. ``validFrom`` defaults to the time the credential is issued; ``name`` and
    ``description`` are the credential's own (VCDM 2.0 §4.6).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    credentialType: str = Field(min_length=1, max_length=128)
    credentialSubject: dict[str, Any]
    validFrom: str | None = None
    validUntil: str | None = None
    name: str | None = None
    description: str | None = None


class OfferPublic(BaseModel):
    """``201`` to ``POST /offers``. ``tx_code`` is shown once: send it to the citizen by another
    channel than the offer (OpenID4VCI 1.0 §4.1.1); the issuer keeps only a keyed hash of it."""

    model_config = ConfigDict(frozen=True)

    id: str
    credential_configuration_id: str
    credential_offer_uri: str
    offer_uri: str
    qr_png_base64: str
    tx_code: str
    expires_at: str
