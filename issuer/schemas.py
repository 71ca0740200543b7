"""Request and response models of the issuer API (never table rows; see ``tables.py``).

The credential itself stays a JSON object here: :mod:`issuer.service` parses it into the
``vc_core`` model and checks it against its type, and every property the caller sent is signed
and returned as sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class IssueOptions(BaseModel):
    """VC-API issue options. Unknown options are accepted and ignored, as VC-API asks."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    credentialId: str | None = None


class IssueRequest(BaseModel):
    """``POST /credentials/issue``: ``{"credential": {…}, "options": {…}}`` (VC-API)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    credential: dict[str, Any]
    options: IssueOptions = IssueOptions()


class IssueWarning(BaseModel):
    """Something the office should know about a credential it issued; it was issued all the same."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class CredentialPublic(BaseModel):
    """``{"verifiableCredential": {…}}``: the answer to issue (201) and to a read (200).

    ``warnings`` (on issue only; VC-API clients ignore members they do not know) tells the office
    of interoperability risks, such as ``RDFC_UTF16_ORDER_RISK`` (``vc_core/canon/README.md``).
    """

    model_config = ConfigDict(frozen=True)

    verifiableCredential: dict[str, Any]
    warnings: list[IssueWarning] = []
