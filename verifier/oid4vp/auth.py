"""Requesters' API keys: who may ask for a presentation and read its answer. Only hashes kept.

An API key reads ``ecert-vr.<secret>`` (32 random bytes, base64url); the verifier is configured
with ``sha256:<hex>`` of each (``VERIFIER_REQUESTER_KEY_HASHES``, a JSON list; ``ecert verifier
api-key`` makes a key and prints both). A fast hash is enough: the secret has 256 bits of
entropy, nothing to guess. Requests carry ``Authorization: Bearer <key>`` (RFC 6750 §2.1); every
configured hash is compared in constant time. A request made under one key is read only under
the same key (another key sees 404, as for an unknown id). With no key configured, nobody may
ask: the verifier fails closed.

Example:
    >>> key, digest = new_api_key()
    >>> authorize(f"Bearer {key}", [digest]) == digest
    True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from enum import StrEnum

from vc_core.errors import TrustError

KEY_PREFIX = "ecert-vr."


class RequesterCode(StrEnum):
    """Why a requester is not let in (401)."""

    REQUESTER_KEY_MISSING = "REQUESTER_KEY_MISSING"
    REQUESTER_KEY_INVALID = "REQUESTER_KEY_INVALID"


class RequesterUnauthenticatedError(TrustError):
    """No valid requester API key (RFC 6750 §3.1 ``invalid_token``): HTTP 401."""

    default_code = RequesterCode.REQUESTER_KEY_INVALID
    http_status = 401


def key_hash(key: str) -> str:
    """``sha256:<hex>`` of an API key, the form the verifier is configured with."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str]:
    """A new API key and its hash."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key_hash(key)


def authorize(header: str | None, hashes: Sequence[str]) -> str:
    """The hash of the requester's key, if ``header`` carries a configured one.

    Raises:
        RequesterUnauthenticatedError: no bearer key, or not a configured one.
    """
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise RequesterUnauthenticatedError(
            "send the requester's API key as Authorization: Bearer <key>",
            code=RequesterCode.REQUESTER_KEY_MISSING,
        )
    given = key_hash(value.strip())
    found = False
    for known in hashes:
        # Every configured hash is compared, so the time taken names none of them.
        found |= hmac.compare_digest(given.encode(), known.strip().lower().encode())
    if not found:
        raise RequesterUnauthenticatedError("the API key is not one this verifier accepts")
    return given
