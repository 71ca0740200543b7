"""The wallet's encrypted store: one sealed file holding the holder key and every credential.

Layout of a wallet home (``--home``, ``ECERT_WALLET_HOME``, or ``$XDG_DATA_HOME/ecert-wallet``)::

    wallet.sealed   the store, an ``ecert-sealed/1`` file (see :mod:`vc_core.keystore`)
    lock            an advisory lock held while a command reads, changes and rewrites the store

The sealed file's ``label`` is empty and everything else (the holder's seed and DID, each
credential, its offline bundle, the last verdict) is inside the XSalsa20-Poly1305 box under an
Argon2id key derived from the passphrase, so the file's bytes name no claim, key or DID.

Writes are atomic: the new sealed bytes go to a temporary file in the same folder, are flushed
and fsynced, then renamed over the old file, and the folder is fsynced so the rename itself
survives a power cut. A process killed at any moment leaves either the old store or the new
one, never a mix; a stray temporary file is ignored on open and removed by the next write.

A backup is the same plaintext sealed again, with its own fresh salt and nonce, under a format
name of its own (``ecert-wallet-backup/1``), so a backup cannot be mistaken for a store.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, NotFoundError
from vc_core.jsonio import parse_json, parse_object, read_file
from vc_core.keys import KeyPair, decode_secret_multikey, encode_secret_multikey
from vc_core.keystore import KdfLimits, KeystoreUnlockError, Sealed
from wallet_cli.records import Record

STORE_FORMAT = "ecert-wallet-store/1"
BACKUP_FORMAT = "ecert-wallet-backup/1"
STORE_FILE = "wallet.sealed"
LOCK_FILE = "lock"
# Offline bundles carry chain facts, so a store of many credentials can grow; past this size a
# file is not a wallet store and is refused before it is parsed.
MAX_STORE_BYTES = 64 * 1024 * 1024
# Only the test suite sets this: seconds to sleep after the new store is fsynced and before it
# is renamed into place, so a test can kill the process inside the write it cares about.
TEST_PAUSE_ENV = "ECERT_WALLET_TEST_PAUSE_BEFORE_RENAME"


class StoreMissingError(NotFoundError):
    """There is no wallet in this home yet."""

    default_code = "WALLET_NOT_FOUND"


@dataclass
class Wallet:
    """The decrypted store: the holder's key pair and the records, in import order."""

    holder: KeyPair
    limits: KdfLimits
    created: str
    records: list[Record] = field(default_factory=list)

    def find(self, ref: str) -> Record:
        """The record whose local id starts with ``ref``, or whose credential id is ``ref``.

        Raises:
            NotFoundError: ``CREDENTIAL_NOT_FOUND``, or ``AMBIGUOUS_ID`` for a short prefix.
        """
        exact = [r for r in self.records if ref in (r.local_id, r.credential_id)]
        found = exact or [r for r in self.records if ref and r.local_id.startswith(ref)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFoundError(
                f"no credential {ref!r} in this wallet; `ecert-wallet list` shows the ids",
                code="CREDENTIAL_NOT_FOUND",
            )
        raise NotFoundError(
            f"{ref!r} matches {len(found)} credentials; give more of the id",
            code="AMBIGUOUS_ID",
        )

    def to_plaintext(self, kind: str) -> bytes:
        body = {
            "format": kind,
            "created": self.created,
            "holder": {"secretKeyMultibase": encode_secret_multikey(self.holder.seed)},
            "credentials": [r.to_dict() for r in self.records],
        }
        return _dumps(body)

    @classmethod
    def from_plaintext(cls, data: bytes, kind: str, limits: KdfLimits) -> Wallet:
        body = parse_object(data, max_bytes=MAX_STORE_BYTES)
        if body.get("format") != kind:
            raise MalformedError(f"the decrypted file is not an {kind}", code="NOT_A_WALLET")
        holder = body.get("holder")
        secret = holder.get("secretKeyMultibase") if isinstance(holder, dict) else None
        items = body.get("credentials")
        if not isinstance(secret, str) or not isinstance(items, list):
            raise MalformedError("the wallet's contents are malformed", code="NOT_A_WALLET")
        return cls(
            holder=KeyPair.from_seed(decode_secret_multikey(secret)),
            limits=limits,
            created=str(body.get("created", "")),
            records=[Record.from_dict(item) for item in items],
        )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(wallet: Wallet, passphrase: str, *, kind: str = STORE_FORMAT) -> bytes:
    """The sealed file's bytes for ``wallet`` (a fresh salt and nonce every time)."""
    sealed = Sealed.seal(wallet.to_plaintext(kind), passphrase, limits=wallet.limits)
    return _dumps(sealed.to_dict()) + b"\n"


def unseal(
    data: bytes, passphrase: str, *, kind: str = STORE_FORMAT, what: str, hint: str
) -> Wallet:
    """The wallet inside sealed bytes.

    Raises:
        KeystoreUnlockError: wrong passphrase, or bytes altered after sealing.
        MalformedError: not a sealed file (truncated, not JSON, another format).
    """
    try:
        sealed = Sealed.from_dict(parse_json(data, max_bytes=MAX_STORE_BYTES))
    except MalformedError as exc:
        raise MalformedError(
            f"{what} is damaged or not a wallet file ({exc.code}); {hint}",
            code="WALLET_FILE_DAMAGED",
        ) from None
    try:
        plaintext = sealed.open(passphrase)
    except KeystoreUnlockError as exc:
        raise KeystoreUnlockError(f"{what}: {exc.message}; check the passphrase ({hint})") from None
    return Wallet.from_plaintext(plaintext, kind, sealed.limits)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one.

    The temporary file is created mode 0600 beside ``path``, written, flushed and fsynced, then
    renamed over ``path`` (``rename(2)`` is atomic within a file system); the folder is fsynced
    last so that the rename is durable too.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _test_pause()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _test_pause() -> None:
    value = os.environ.get(TEST_PAUSE_ENV)
    if value:
        time.sleep(float(value))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temporaries(home: Path) -> None:
    # Left by a process killed between creating its temporary file and renaming it. Only called
    # with the lock held, so no live writer owns one.
    for stale in home.glob(f".{STORE_FILE}.*.tmp"):
        stale.unlink(missing_ok=True)


@dataclass(frozen=True)
class Home:
    """A wallet home folder."""

    path: Path

    @property
    def store(self) -> Path:
        return self.path / STORE_FILE

    def exists(self) -> bool:
        return self.store.is_file()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the home's lock, so two wallet commands never interleave a read and a write."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read_bytes(self) -> bytes:
        if not self.exists():
            raise StoreMissingError(
                f"no wallet at {self.path}; create one with `ecert-wallet init`"
            )
        return read_file(self.store, max_bytes=MAX_STORE_BYTES)

    def open(self, passphrase: str) -> Wallet:
        return unseal(
            self.read_bytes(),
            passphrase,
            what=f"the wallet store {self.store}",
            hint="nothing was changed; if the file was damaged, `ecert-wallet restore BACKUP`",
        )

    def save(self, wallet: Wallet, passphrase: str) -> None:
        data = seal(wallet, passphrase)
        _remove_stale_temporaries(self.path)
        atomic_write(self.store, data)


__all__ = [
    "BACKUP_FORMAT",
    "STORE_FORMAT",
    "Home",
    "StoreMissingError",
    "Wallet",
    "atomic_write",
    "seal",
    "unseal",
]
