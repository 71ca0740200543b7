"""Low-level primitives: base58btc, multibase, multicodec prefixes and raw Ed25519.

Not for service code: services call the recipes in :mod:`vc_core.keys`, :mod:`vc_core.did` and
:mod:`vc_core.dataintegrity`, which choose the right primitive and check its inputs.

Example:
    >>> multibase_decode(multibase_encode(b"\\x00hi"))
    b'\\x00hi'
"""

from __future__ import annotations

from enum import StrEnum

import nacl.exceptions
import nacl.signing

from vc_core.errors import MalformedError, ProofError

# Multicodec varint prefixes (https://github.com/multiformats/multicodec, table.csv).
ED25519_PUB_PREFIX = b"\xed\x01"  # 0xed  ed25519-pub
ED25519_PRIV_PREFIX = b"\x80\x26"  # 0x1300 ed25519-priv
ED25519_KEY_LENGTH = 32
ED25519_SIG_LENGTH = 64


class KeyCode(StrEnum):
    """Stable codes of malformed key material: multibase text, raw keys and key files."""

    INVALID_MULTIBASE = "INVALID_MULTIBASE"
    INVALID_KEY_LENGTH = "INVALID_KEY_LENGTH"
    INVALID_PUBLIC_KEY = "INVALID_PUBLIC_KEY"
    INVALID_SECRET_KEY = "INVALID_SECRET_KEY"  # noqa: S105  (a code, not a secret)
    INVALID_KEY_FILE = "INVALID_KEY_FILE"
    KEY_MISMATCH = "KEY_MISMATCH"


_B58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_ALPHABET = frozenset(_B58_DIGITS)
_B58_VALUE = {c: i for i, c in enumerate(_B58_DIGITS)}
# Ten base58 digits make a number below 2**64, so they are gathered in a machine-sized integer
# and only every tenth step touches the (512-bit) big integer.
_B58_CHUNK = 10
_B58_CHUNK_BASE = 58**_B58_CHUNK


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: header ``z`` then the Bitcoin-alphabet encoding (CID 2.4)."""
    return "z" + _b58encode(data)


def _b58encode(data: bytes) -> str:
    """base58btc encode (each leading zero byte is a ``1``), as ``base58.b58encode`` does.

    Ten digits at a time: one division of the big integer by 58**10 per ten digits, the digits
    themselves from a machine-sized remainder (a verifier signs a receipt per request).
    ``tests/unit/vc_core/test_primitives_b58.py`` compares both.
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = _B58_DIGITS
    chunks: list[str] = []
    while number:
        number, chunk = divmod(number, _B58_CHUNK_BASE)
        part = ["1"] * _B58_CHUNK
        for at in range(_B58_CHUNK - 1, -1, -1):
            # // and % rather than divmod: compiled, they stay machine-integer operations.
            part[at] = digits[chunk % 58]
            chunk //= 58
        chunks.append("".join(part))
    chunks.reverse()
    # The most significant chunk was padded with zero digits ("1"); the number's own first
    # digit is not zero, so every leading "1" left is padding.
    return "1" * zeros + "".join(chunks).lstrip("1")


def multibase_decode(value: object, *, field: str = "multibase") -> bytes:
    """Decode a ``z``-prefixed base58btc multibase string.

    Raises:
        MalformedError: the header is not ``z`` or a character is outside the alphabet.
    """
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise MalformedError(
            f"{field} must be a base58btc multibase string starting with 'z'",
            code=KeyCode.INVALID_MULTIBASE,
            field=field,
        )
    body = value[1:]
    try:
        return _b58decode(body)
    except KeyError:
        bad = sorted(set(body) - _B58_ALPHABET)
        raise MalformedError(
            f"{field} contains characters outside the base58btc alphabet: {''.join(bad)!r}",
            code=KeyCode.INVALID_MULTIBASE,
            field=field,
        ) from None


def _b58decode(body: str) -> bytes:
    """base58btc decode (the Bitcoin alphabet; each leading ``1`` is a zero byte).

    What ``base58.b58decode`` computes, a quarter of its time (it looks each digit up with
    ``str.index``): a verification decodes a proof value every time. ``KeyError`` for a
    character outside the alphabet. ``tests/unit/vc_core/test_primitives_b58.py`` compares both.
    """
    digit = _B58_VALUE
    # The leading partial chunk first, so that every later chunk is exactly ten digits.
    start = len(body) % _B58_CHUNK
    number = 0
    for char in body[:start]:
        number = number * 58 + digit[char]
    for at in range(start, len(body), _B58_CHUNK):
        chunk = 0
        for char in body[at : at + _B58_CHUNK]:
            chunk = chunk * 58 + digit[char]
        number = number * _B58_CHUNK_BASE + chunk
    zeros = len(body) - len(body.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """Pure Ed25519 (RFC 8032 §5.1.6) signature of ``message`` with a 32-byte seed."""
    if len(seed) != ED25519_KEY_LENGTH:
        raise MalformedError("an Ed25519 secret key is 32 bytes", code=KeyCode.INVALID_KEY_LENGTH)
    return bytes(nacl.signing.SigningKey(seed).sign(message).signature)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify a pure Ed25519 signature (RFC 8032 §5.1.7).

    Raises:
        MalformedError: wrong key or signature length.
        ProofError: the signature does not verify.
    """
    if len(public_key) != ED25519_KEY_LENGTH:
        raise MalformedError("an Ed25519 public key is 32 bytes", code=KeyCode.INVALID_KEY_LENGTH)
    if len(signature) != ED25519_SIG_LENGTH:
        raise ProofError(
            f"an Ed25519 signature is 64 bytes, got {len(signature)}",
            code="PROOF_VERIFICATION_ERROR",
        )
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
        raise ProofError("the Ed25519 signature does not verify") from exc


def ed25519_public_from_seed(seed: bytes) -> bytes:
    """The public key derived from a 32-byte seed (RFC 8032 §5.1.5)."""
    if len(seed) != ED25519_KEY_LENGTH:
        raise MalformedError("an Ed25519 secret key is 32 bytes", code=KeyCode.INVALID_KEY_LENGTH)
    return bytes(nacl.signing.SigningKey(seed).verify_key)
