"""Ledger signatures: Ed25519 over JCS bytes, encoded as multibase base64url (``u…``).

Signatures on transactions, blocks and checkpoints are multibase ``u`` + base64url without
padding (the multibase table's ``base64url``), 87 characters for 64 bytes. base58btc (``z``)
would also be multibase, but decoding it costs ~20 µs per signature in Python against ~1 µs
here, and an audit replays tens of thousands of signatures a second. Public keys stay Multikeys
(``z6Mk…``, CID 1.0 §2.2.2); their decoding is cached, since the same few keys sign everything.

Example:
    >>> from vc_core.keys import KeyPair
    >>> k = KeyPair.generate()
    >>> verify_signature(k.public_multibase, b"m", encode_signature(k.sign(b"m")))
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from vc_core.errors import MalformedError
from vc_core.keys import PublicKey
from vc_core.primitives import KeyCode

SIGNATURE_PATTERN = r"^u[A-Za-z0-9_-]{86}$"


def encode_signature(raw: bytes) -> str:
    """``u`` + base64url (RFC 4648 §5) of the raw signature, no padding."""
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_signature(value: str) -> bytes:
    """The raw bytes of a ``u…`` multibase signature.

    Raises:
        MalformedError: not ``u`` + base64url.
    """
    if not value.startswith("u"):
        raise MalformedError(
            "a ledger signature is multibase base64url ('u…')", code=KeyCode.INVALID_MULTIBASE
        )
    body = value[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedError(
            "a ledger signature is not base64url", code=KeyCode.INVALID_MULTIBASE
        ) from exc


@lru_cache(maxsize=65536)
def public_key(multikey: str) -> PublicKey:
    """The decoded public key of a ``z6Mk…`` Multikey (cached). Raises MalformedError."""
    return PublicKey.from_multibase(multikey)


def verify_signature(multikey: str, message: bytes, signature: str) -> None:
    """Check an Ed25519 ``signature`` (``u…``) by ``multikey`` over ``message``.

    Raises:
        MalformedError: the key or the signature encoding is malformed.
        ProofError: the signature does not verify.
    """
    public_key(multikey).verify(message, decode_signature(signature))
