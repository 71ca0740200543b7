"""Secrets encrypted at rest under a passphrase: argon2id + XSalsa20-Poly1305 (libsodium, pynacl).

A sealed secret is a small JSON object that holds no key material in clear::

    {"format": "ecert-sealed/1",
     "kdf": {"alg": "argon2id13", "opslimit": 3, "memlimit": 268435456, "salt": "<b64url>"},
     "cipher": "xsalsa20-poly1305", "box": "<b64url: 24-byte nonce ‖ ciphertext ‖ 16-byte tag>",
     "label": {...}}

The 32-byte box key is derived from the passphrase with Argon2id v1.3 (RFC 9106) over a fresh
16-byte random salt, with the cost parameters written beside it so stronger settings can be
chosen later without breaking old files. ``SecretBox`` (XSalsa20 stream + Poly1305 MAC, NaCl
``crypto_secretbox``) encrypts with a fresh random 24-byte nonce. ``label`` is public data the
owner wants to read without the passphrase (for a key: its public Multikey); it is bound to the
secret by checking it after decryption, so a swapped label is refused as tampering.

A wrong passphrase and an altered file both fail the Poly1305 check and cannot be told apart;
both raise :class:`KeystoreUnlockError` (exit 2), whose message never repeats the passphrase.

:class:`SealedKey` puts an Ed25519 :class:`~vc_core.keys.KeyPair` in one of these; the issuer
keeps an office's signing keys this way and the wallet can keep a holder's.

Example:
    >>> from vc_core.keys import KeyPair
    >>> pair = KeyPair.generate()
    >>> sealed = SealedKey.seal(pair, "correct horse battery", limits=KdfLimits.minimum())
    >>> sealed.unseal("correct horse battery").public == pair.public
    True
    >>> pair.secret_multibase in sealed.to_json()
    False
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import nacl.exceptions
import nacl.secret
import nacl.utils
from nacl.pwhash import argon2id

from vc_core.errors import MalformedError
from vc_core.jsonio import FileCode
from vc_core.keys import KeyPair

FORMAT = "ecert-sealed/1"
KDF_ALG = "argon2id13"
CIPHER = "xsalsa20-poly1305"
# A sealed file is tiny; anything larger is not one, so it is refused before parsing.
MAX_FILE_BYTES = 64 * 1024


class KeystoreCode(StrEnum):
    """Stable codes of sealed key files that cannot be opened or written."""

    SEALED_FILE_INVALID = "SEALED_FILE_INVALID"
    UNKNOWN_KDF_STRENGTH = "UNKNOWN_KDF_STRENGTH"
    # The names below are codes, not secrets (hence the noqa for ruff's hard-coded-password rule).
    PASSPHRASE_EMPTY = "PASSPHRASE_EMPTY"  # noqa: S105
    PASSPHRASE_MISSING = "PASSPHRASE_MISSING"  # noqa: S105


class KeystoreUnlockError(MalformedError):
    """The passphrase is wrong, or the sealed file was altered (Poly1305 cannot tell which)."""

    default_code = "KEYSTORE_UNLOCK_FAILED"


@dataclass(frozen=True)
class KdfLimits:
    """Argon2id cost: passes over memory (``opslimit``) and bytes of memory (``memlimit``)."""

    opslimit: int
    memlimit: int

    # libsodium's presets (crypto_pwhash_argon2id_*): interactive 2 / 64 MiB, moderate
    # 3 / 256 MiB, sensitive 4 / 1 GiB.
    PRESETS: ClassVar[dict[str, tuple[int, int]]] = {
        "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
        "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
        "sensitive": (argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE),
    }

    @classmethod
    def preset(cls, name: str) -> KdfLimits:
        """One of ``interactive``, ``moderate`` (the default for keys) or ``sensitive``."""
        if name not in cls.PRESETS:
            raise MalformedError(
                f"unknown KDF strength {name!r}; choose one of {', '.join(cls.PRESETS)}",
                code=KeystoreCode.UNKNOWN_KDF_STRENGTH,
            )
        ops, mem = cls.PRESETS[name]
        return cls(opslimit=ops, memlimit=mem)

    @classmethod
    def minimum(cls) -> KdfLimits:
        """The cheapest settings libsodium accepts: for tests only, never for real secrets."""
        return cls(opslimit=argon2id.OPSLIMIT_MIN, memlimit=argon2id.MEMLIMIT_MIN)

    def check(self) -> None:
        """Refuse costs libsodium rejects, or so large that reading a file could exhaust memory."""
        ops_ok = argon2id.OPSLIMIT_MIN <= self.opslimit <= argon2id.OPSLIMIT_SENSITIVE * 4
        mem_ok = argon2id.MEMLIMIT_MIN <= self.memlimit <= argon2id.MEMLIMIT_SENSITIVE
        if not (ops_ok and mem_ok):
            raise MalformedError(
                "the sealed file's argon2id limits are out of range",
                code=KeystoreCode.SEALED_FILE_INVALID,
                field="kdf",
            )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedError(
            f"{name} must be base64url text", code=KeystoreCode.SEALED_FILE_INVALID
        )
    try:
        return base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedError(
            f"{name} must be base64url text", code=KeystoreCode.SEALED_FILE_INVALID, field=name
        ) from exc


def _box_key(passphrase: str, salt: bytes, limits: KdfLimits) -> bytes:
    # RFC 9106 Argon2id (libsodium crypto_pwhash_argon2id, version 1.3) stretches the passphrase
    # into the 32-byte crypto_secretbox key.
    return bytes(
        argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode("utf-8"),
            salt,
            opslimit=limits.opslimit,
            memlimit=limits.memlimit,
        )
    )


@dataclass(frozen=True)
class Sealed:
    """A secret encrypted under a passphrase, with public ``label`` data beside it."""

    salt: bytes
    limits: KdfLimits
    box: bytes = field(repr=False)
    label: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def seal(
        cls,
        secret: bytes,
        passphrase: str,
        *,
        limits: KdfLimits,
        label: dict[str, Any] | None = None,
    ) -> Sealed:
        """Encrypt ``secret`` under ``passphrase`` with a fresh salt and nonce.

        Raises:
            MalformedError: ``PASSPHRASE_EMPTY``.
        """
        if not passphrase:
            raise MalformedError(
                "the passphrase must not be empty", code=KeystoreCode.PASSPHRASE_EMPTY
            )
        limits.check()
        salt = nacl.utils.random(argon2id.SALTBYTES)
        box = nacl.secret.SecretBox(_box_key(passphrase, salt, limits))
        # SecretBox.encrypt draws a random 24-byte nonce and prefixes it to the ciphertext;
        # XSalsa20's 192-bit nonce makes random nonces safe.
        return cls(salt=salt, limits=limits, box=bytes(box.encrypt(secret)), label=label or {})

    def open(self, passphrase: str) -> bytes:
        """The secret, or :class:`KeystoreUnlockError` (wrong passphrase or altered file)."""
        self.limits.check()
        box = nacl.secret.SecretBox(_box_key(passphrase, self.salt, self.limits))
        try:
            return bytes(box.decrypt(self.box))
        except nacl.exceptions.CryptoError:
            raise KeystoreUnlockError(
                "cannot unlock: the passphrase is wrong or the sealed file was altered"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kdf": {
                "alg": KDF_ALG,
                "opslimit": self.limits.opslimit,
                "memlimit": self.limits.memlimit,
                "salt": _b64(self.salt),
            },
            "cipher": CIPHER,
            "box": _b64(self.box),
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Sealed:
        """Read the JSON form, refusing unknown formats and algorithms (no downgrade)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise MalformedError(f"not an {FORMAT} file", code=KeystoreCode.SEALED_FILE_INVALID)
        kdf = data.get("kdf")
        if not isinstance(kdf, dict) or kdf.get("alg") != KDF_ALG or data.get("cipher") != CIPHER:
            raise MalformedError(
                f"a sealed file must use {KDF_ALG} and {CIPHER}",
                code=KeystoreCode.SEALED_FILE_INVALID,
            )
        ops, mem, label = kdf.get("opslimit"), kdf.get("memlimit"), data.get("label", {})
        if not isinstance(ops, int) or not isinstance(mem, int) or not isinstance(label, dict):
            raise MalformedError(
                "the sealed file is malformed", code=KeystoreCode.SEALED_FILE_INVALID
            )
        limits = KdfLimits(opslimit=ops, memlimit=mem)
        limits.check()
        salt = _unb64(kdf.get("salt"), "kdf.salt")
        if len(salt) != argon2id.SALTBYTES:
            raise MalformedError(
                "the argon2id salt is 16 bytes", code=KeystoreCode.SEALED_FILE_INVALID
            )
        return cls(salt=salt, limits=limits, box=_unb64(data.get("box"), "box"), label=label)


@dataclass(frozen=True)
class SealedKey:
    """An Ed25519 key pair sealed under a passphrase; its public Multikey is the label."""

    sealed: Sealed

    @property
    def public_multibase(self) -> str:
        value = self.sealed.label.get("publicKeyMultibase")
        if not isinstance(value, str):
            raise MalformedError(
                "the sealed key names no publicKeyMultibase", code=KeystoreCode.SEALED_FILE_INVALID
            )
        return value

    @classmethod
    def seal(cls, pair: KeyPair, passphrase: str, *, limits: KdfLimits) -> SealedKey:
        label = {"type": "Ed25519", "publicKeyMultibase": pair.public_multibase}
        return cls(Sealed.seal(pair.seed, passphrase, limits=limits, label=label))

    def unseal(self, passphrase: str) -> KeyPair:
        """The key pair, once its public key is checked against the label.

        Raises:
            KeystoreUnlockError: wrong passphrase, an altered box, or a label swapped for
                another key's.
        """
        pair = KeyPair.from_seed(self.sealed.open(passphrase))
        if pair.public_multibase != self.public_multibase:
            raise KeystoreUnlockError(
                "the sealed key's public key does not match its secret: the file was altered"
            )
        return pair

    def to_json(self) -> str:
        return json.dumps(self.sealed.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> SealedKey:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError(
                "a sealed key file must be JSON", code=KeystoreCode.SEALED_FILE_INVALID
            ) from exc
        return cls(Sealed.from_dict(data))

    def write(self, path: Path) -> None:
        """Write atomically with mode 0600 (temp file in the same folder, fsync, rename)."""
        write_private(path, self.to_json().encode("utf-8"))

    @classmethod
    def read(cls, path: Path) -> SealedKey:
        """Read a sealed key file (bounded; a missing file is a clear error)."""
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise MalformedError(f"no sealed key at {path}", code=FileCode.FILE_NOT_FOUND) from None
        if len(raw) > MAX_FILE_BYTES:
            raise MalformedError(
                f"{path} is too large to be a sealed key", code=KeystoreCode.SEALED_FILE_INVALID
            )
        return cls.from_json(raw)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (a power cut could otherwise
    # bring back the old file, or none).
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_passphrase(
    *, env_var: str, file: Path | None, environ: dict[str, str] | None = None
) -> str:
    """The passphrase from a secret file (first line, without its newline) or an env variable.

    A file wins over the variable, because a file can be restricted to one user while a
    process's environment is visible to more tools.

    Raises:
        MalformedError: ``PASSPHRASE_MISSING`` when neither is set, or the file is unreadable.
    """
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MalformedError(
                f"cannot read the passphrase file {file}: {type(exc).__name__}",
                code=KeystoreCode.PASSPHRASE_MISSING,
            ) from None
        value = text.splitlines()[0] if text else ""
    else:
        value = (os.environ if environ is None else environ).get(env_var, "")
    if not value:
        raise MalformedError(
            f"no passphrase: set {env_var} or give a passphrase file",
            code=KeystoreCode.PASSPHRASE_MISSING,
        )
    return value


__all__ = [
    "KdfLimits",
    "KeystoreUnlockError",
    "Sealed",
    "SealedKey",
    "read_passphrase",
    "write_private",
]
