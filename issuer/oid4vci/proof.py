"""The ``jwt`` key proof of OpenID4VCI 1.0 (Appendix F.1), checked without the network.

:func:`verify_key_proof` runs the checks of Appendix F.4 ("Verifying Proof") in this order and
raises :class:`~issuer.oid4vci.errors.OAuthError` ``invalid_proof`` at the first failure:

(0) Shape: a compact JWS of three base64url parts, at most :data:`MAX_PROOF_BYTES`; its header
    a bounded JSON object without duplicate members.
(1) Header: ``typ`` is exactly ``openid4vci-proof+jwt``; ``alg`` is ``EdDSA`` (never ``none``,
    never a MAC); exactly one key reference and it is ``kid`` (``jwk``, ``x5c`` and so a private
    key in the header are refused); no ``crit`` extension we would have to understand.
(2) Key: ``kid`` is a ``did:key`` verification method, resolved offline by ``vc_core.did``.
(3) Signature: the JWS verifies under that key (jwcrypto, ``EdDSA`` only).
(4) Claims: ``aud`` is this Credential Issuer Identifier; ``iat`` is a number no older than
    ``window`` and no more than :data:`FUTURE_SKEW` ahead of ``now``; ``nonce`` is a string.

Whether the nonce is one this issuer gave out, unused and fresh, is the caller's step
(:mod:`issuer.oid4vci.nonces`), answered ``invalid_nonce`` as §8.3.1.2 asks.

Example:
    >>> from datetime import UTC
    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> verify_key_proof("not a jwt", audience="https://i.example", now=at, window=timedelta(0))
    Traceback (most recent call last):
    ...
    issuer.oid4vci.errors.OAuthError: the key proof is not a compact JWS
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from issuer.oid4vci.errors import OAuthCode, OAuthError
from vc_core.did import controller_of, resolve_verification_method
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_object

PROOF_TYP = "openid4vci-proof+jwt"
PROOF_ALG = "EdDSA"
MAX_PROOF_BYTES = 8 * 1024
FUTURE_SKEW = timedelta(seconds=60)
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Header members that carry key material, or ask us to understand an extension (OpenID4VCI
# 1.0 F.1; RFC 7515 §4.1.11).
_REFUSED_HEADER = ("jwk", "x5c", "x5u", "jku", "trust_chain", "key_attestation", "crit")


@dataclass(frozen=True)
class KeyProof:
    """What a verified key proof tells: the holder's DID and the c_nonce it answers."""

    holder: str
    nonce: str


def _fail(message: str) -> OAuthError:
    return OAuthError(OAuthCode.INVALID_PROOF, message)


def _canonical_b64url(part: str) -> bool:
    """Whether ``part`` is the one unpadded base64url spelling of the bytes it decodes to."""
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == part


def _b64_json(part: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return parse_object(raw, max_bytes=MAX_PROOF_BYTES)
    except (binascii.Error, ValueError, MalformedError):
        raise _fail(f"the key proof's {what} is not base64url JSON") from None


def _check_header(header: dict[str, Any]) -> str:
    """Step (1); returns the ``kid``."""
    if header.get("typ") != PROOF_TYP:
        raise _fail(f"the key proof's typ must be {PROOF_TYP}")
    if header.get("alg") != PROOF_ALG:
        raise _fail(f"the key proof's alg must be {PROOF_ALG}")
    refused = [name for name in _REFUSED_HEADER if name in header]
    if refused:
        raise _fail(f"the key proof's header must not carry {', '.join(refused)}; use kid")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _fail("the key proof's header must name the holder's did:key in kid")
    return kid


def _check_claims(
    claims: dict[str, Any], *, audience: str, now: datetime, window: timedelta
) -> str:
    """Step (4); returns the nonce."""
    aud = claims.get("aud")
    if aud not in (audience, [audience]):
        raise _fail(f"the key proof's aud must be this credential issuer, {audience}")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise _fail("the key proof needs a numeric iat")
    stamp = now.timestamp()
    if iat < stamp - window.total_seconds() or iat > stamp + FUTURE_SKEW.total_seconds():
        raise _fail("the key proof's iat is outside the accepted window; sign a new proof")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _fail("the key proof must carry the c_nonce from the nonce endpoint")
    return nonce


def verify_key_proof(compact: Any, *, audience: str, now: datetime, window: timedelta) -> KeyProof:
    """Steps (0)–(4) above for one ``jwt`` proof.

    Raises:
        OAuthError: ``invalid_proof``, naming the failed check (never quoting the proof).
    """
    if (
        not isinstance(compact, str)
        or len(compact) > MAX_PROOF_BYTES
        or not _COMPACT.fullmatch(compact)
    ):
        raise _fail("the key proof is not a compact JWS")
    if not all(_canonical_b64url(part) for part in compact.split(".")):
        # jwcrypto checks the signature over a re-encoding of what it decoded, so a segment
        # whose last character differs only in unused bits would pass as the signed one
        # (RFC 7515 §5.2 signs the segments as sent; RFC 4648 §3.5 lets decoders refuse them).
        raise _fail("the key proof's segments must be canonical base64url (RFC 7515 §2)")
    header = _b64_json(compact.split(".", 1)[0], "header")
    kid = _check_header(header)
    try:
        public = resolve_verification_method(kid)
    except MalformedError:
        raise _fail("the key proof's kid must be a did:key verification method") from None
    key = jwk.JWK(
        kty="OKP",
        crv="Ed25519",
        x=base64.urlsafe_b64encode(public.raw).rstrip(b"=").decode("ascii"),
    )
    token = jws.JWS()
    try:
        token.deserialize(compact)
        token.verify(key, alg=PROOF_ALG)
    except (JWException, ValueError, TypeError):
        raise _fail("the key proof's signature does not verify with the key in kid") from None
    claims = _b64_json(compact.split(".")[1], "payload")
    nonce = _check_claims(claims, audience=audience, now=now, window=window)
    return KeyProof(holder=controller_of(kid), nonce=nonce)
