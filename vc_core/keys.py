"""Ed25519 key pairs and their Multikey encodings (W3C Controlled Identifiers 1.0, §2.2.2).

A public key is ``z`` + base58btc(0xed01 ‖ 32 bytes), so it always starts with ``z6Mk``. A secret
key is ``z`` + base58btc(0x8026 ‖ 32-byte seed), so it starts with ``z3u2``. Key files are JSON
``{"publicKeyMultibase": …, "secretKeyMultibase": …}``; the W3C vectors name the secret
``privateKeyMultibase`` and that spelling is accepted on input.

Example:
    >>> kp = KeyPair.generate()
    >>> KeyPair.from_json(kp.to_json()).public_multibase == kp.public_multibase
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import nacl.signing

from vc_core import primitives
from vc_core.errors import MalformedError
from vc_core.primitives import KeyCode


def encode_public_multikey(public_key: bytes) -> str:
    """Multikey form of a raw Ed25519 public key (CID 1.0 §2.2.2)."""
    if len(public_key) != primitives.ED25519_KEY_LENGTH:
        raise MalformedError("an Ed25519 public key is 32 bytes", code=KeyCode.INVALID_KEY_LENGTH)
    return primitives.multibase_encode(primitives.ED25519_PUB_PREFIX + public_key)


def decode_public_multikey(value: str, *, field: str = "publicKeyMultibase") -> bytes:
    """Raw 32 bytes of a ``z6Mk…`` Multikey; any other multicodec header is an error."""
    return _decode_public_multikey(value, field)


@lru_cache(maxsize=4096)
def _decode_public_multikey(value: str, field: str) -> bytes:
    # Cached: the same few issuer keys are decoded on every verification, and the answer (or
    # the error, which is not cached) depends on the string alone.
    raw = primitives.multibase_decode(value, field=field)
    if raw[:2] != primitives.ED25519_PUB_PREFIX:
        raise MalformedError(
            f"{field} is not an Ed25519 public key (multicodec header must be 0xed01)",
            code=KeyCode.INVALID_PUBLIC_KEY,
            field=field,
        )
    key = raw[2:]
    if len(key) != primitives.ED25519_KEY_LENGTH:
        raise MalformedError(
            f"{field} holds {len(key)} key bytes; an Ed25519 public key is 32",
            code=KeyCode.INVALID_KEY_LENGTH,
            field=field,
        )
    return key


def encode_secret_multikey(seed: bytes) -> str:
    """Multikey form of a 32-byte Ed25519 seed (multicodec ed25519-priv, 0x1300)."""
    if len(seed) != primitives.ED25519_KEY_LENGTH:
        raise MalformedError("an Ed25519 secret key is 32 bytes", code=KeyCode.INVALID_KEY_LENGTH)
    return primitives.multibase_encode(primitives.ED25519_PRIV_PREFIX + seed)


def decode_secret_multikey(value: str, *, field: str = "secretKeyMultibase") -> bytes:
    """The 32-byte seed of a ``z3u2…`` secret Multikey."""
    raw = primitives.multibase_decode(value, field=field)
    if raw[:2] != primitives.ED25519_PRIV_PREFIX:
        raise MalformedError(
            f"{field} is not an Ed25519 secret key (multicodec header must be 0x8026)",
            code=KeyCode.INVALID_SECRET_KEY,
            field=field,
        )
    seed = raw[2:]
    if len(seed) != primitives.ED25519_KEY_LENGTH:
        raise MalformedError(
            f"{field} holds {len(seed)} key bytes; an Ed25519 secret key is 32",
            code=KeyCode.INVALID_KEY_LENGTH,
            field=field,
        )
    return seed


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key."""

    raw: bytes

    @cached_property
    def multibase(self) -> str:
        # Cached: an issuer names its key in every proof it makes, and base58 costs about a
        # tenth of signing a credential (bench/issuer.py).
        return encode_public_multikey(self.raw)

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        return cls(decode_public_multikey(value))

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`~vc_core.errors.ProofError` unless ``signature`` is valid."""
        primitives.ed25519_verify(self.raw, message, signature)


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 key pair. The seed never appears in ``repr`` so it cannot leak into logs."""

    seed: bytes = field(repr=False)
    public: PublicKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls.from_seed(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        return cls(seed=seed, public=PublicKey(primitives.ed25519_public_from_seed(seed)))

    @property
    def public_multibase(self) -> str:
        return self.public.multibase

    @property
    def secret_multibase(self) -> str:
        return encode_secret_multikey(self.seed)

    @cached_property
    def _signing_key(self) -> nacl.signing.SigningKey:
        # Expanded once (RFC 8032 §5.1.5): deriving the secret scalar and public point from the
        # seed costs as much as the signature itself, and an issuer or a verifier signing its
        # receipts signs with one key many times. Not a field, so never in ``repr``.
        return nacl.signing.SigningKey(self.seed)

    def sign(self, message: bytes) -> bytes:
        """Pure Ed25519 (RFC 8032 §5.1.6) signature of ``message``."""
        return bytes(self._signing_key.sign(message).signature)

    def to_json(self) -> str:
        """The key-file form: ``{"publicKeyMultibase", "secretKeyMultibase"}``."""
        return json.dumps(
            {
                "publicKeyMultibase": self.public_multibase,
                "secretKeyMultibase": self.secret_multibase,
            },
            indent=2,
        )

    @classmethod
    def from_dict(cls, data: Any) -> KeyPair:
        """Read a key file's object; the public key, when given, must match the secret."""
        if not isinstance(data, dict):
            raise MalformedError("a key file is a JSON object", code=KeyCode.INVALID_KEY_FILE)
        secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
        if not isinstance(secret, str):
            raise MalformedError(
                "the key file has no secretKeyMultibase",
                code=KeyCode.INVALID_KEY_FILE,
                field="secretKeyMultibase",
            )
        pair = cls.from_seed(decode_secret_multikey(secret))
        public = data.get("publicKeyMultibase")
        if public is not None and public != pair.public_multibase:
            raise MalformedError(
                "publicKeyMultibase does not match the secret key",
                code=KeyCode.KEY_MISMATCH,
                field="publicKeyMultibase",
            )
        return pair

    @classmethod
    def from_json(cls, text: str) -> KeyPair:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError("a key file must be JSON", code=KeyCode.INVALID_KEY_FILE) from exc
        return cls.from_dict(data)
