"""OAuth-style errors of the OpenID4VCI endpoints (token, credential, nonce).

OpenID4VCI 1.0 answers its own endpoints' failures the OAuth way, ``{"error": "…",
"error_description": "…"}`` (RFC 6749 §5.2 for the token endpoint, OpenID4VCI 1.0 §8.3.1.2 for
the credential endpoint, RFC 6750 §3.1 for a refused access token), not with RFC 9457 problem
details. These classes are still children of the one hierarchy in :mod:`vc_core.errors`, so a
route never catches anything; :mod:`issuer.oid4vci.routes` installs the one handler that turns
them into that JSON. Everything else the issuer answers stays problem details.
"""

from __future__ import annotations

from enum import StrEnum

from vc_core.errors import MalformedError, NotFoundError


class OAuthCode(StrEnum):
    """The ``error`` values the OpenID4VCI endpoints answer with (spec names, lower case)."""

    # RFC 6749 §5.2 (token endpoint), as OpenID4VCI 1.0 §6.3 uses them.
    INVALID_REQUEST = "invalid_request"
    INVALID_GRANT = "invalid_grant"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    # RFC 6750 §3.1 (a bearer token refused).
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (an error code, not a secret)
    # OpenID4VCI 1.0 §8.3.1.2 (credential endpoint).
    INVALID_CREDENTIAL_REQUEST = "invalid_credential_request"
    UNKNOWN_CREDENTIAL_CONFIGURATION = "unknown_credential_configuration"
    UNKNOWN_CREDENTIAL_IDENTIFIER = "unknown_credential_identifier"
    INVALID_PROOF = "invalid_proof"
    INVALID_NONCE = "invalid_nonce"
    CREDENTIAL_REQUEST_DENIED = "credential_request_denied"


class OfferCode(StrEnum):
    """Problem-details codes of the offer resources (the operator's and the wallet's GET)."""

    OFFER_NOT_FOUND = "OFFER_NOT_FOUND"
    OFFER_EXPIRED = "OFFER_EXPIRED"
    OFFER_USED = "OFFER_USED"
    RECEIPT_PENDING = "RECEIPT_PENDING"
    OFFER_UNDER_DUAL_CONTROL = "OFFER_UNDER_DUAL_CONTROL"
    OFFER_PENDING_APPROVAL = "OFFER_PENDING_APPROVAL"


class OAuthError(MalformedError):
    """An OpenID4VCI / OAuth refusal: HTTP 400 with ``{"error", "error_description"}``.

    ``code`` is the OAuth ``error`` value; the message is the ``error_description`` and never
    holds a secret (no code, token, nonce or claim value is ever quoted).
    """

    default_code = OAuthCode.INVALID_REQUEST
    http_status = 400

    def __init__(self, code: OAuthCode, message: str) -> None:
        super().__init__(message, code=code)


class InvalidTokenError(OAuthError):
    """The access token is missing, unknown, expired or used (RFC 6750 §3.1): HTTP 401."""

    http_status = 401

    def __init__(self, message: str) -> None:
        super().__init__(OAuthCode.INVALID_TOKEN, message)


class OfferGoneError(NotFoundError):
    """An offer that existed but can no longer be redeemed (expired, used, tried too often)."""

    default_code = OfferCode.OFFER_EXPIRED
    http_status = 410
