"""An office's data dir: its public description, its sealed signing keys and its database.

``ecert issuer init`` lays it out (:func:`init_office`); ``ecert issuer serve`` unlocks it
(:func:`unlock_office`) once, at start, from a passphrase that is never stored or logged::

    <data dir>/            mode 0700
      office.json          public: the office DID, name and public keys (no secrets)
      keys/<z6Mk…>.json    one sealed Ed25519 key each (vc_core.keystore, mode 0600)
      issuer.sqlite        operators (token hashes only) and issued credentials

Each key signs as ``<office DID>#<publicKeyMultibase>``, the verification-method id the
registry's DID documents give it (:func:`vc_core.ledger.did.verification_method_id`), so a
credential verifies against ``did:ecert`` resolution once the key is on chain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from issuer.clock import stamp
from issuer.config import Settings
from issuer.db import make_engine
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair, decode_public_multikey
from vc_core.keystore import KdfLimits, SealedKey
from vc_core.ledger.did import verification_method_id
from vc_core.ledger.fields import OFFICE_DID_PATTERN

OFFICE_FORMAT = "ecert-issuer-office/1"


@dataclass
class Office:
    """An unlocked office: its DID and the key it signs with now (never in ``repr``).

    A key rotation (:mod:`issuer.keyring`) switches ``signer`` to a key that the registry
    included, active from ``active_from`` (the ``key.add`` transaction's time). A request whose
    time is before that still signs with the previous key (:meth:`signer_at`), so no proof is
    ever dated before its key was active; a signing step picks its key once and uses it
    throughout.
    """

    did: str
    name: str
    signer: KeyPair
    _previous: tuple[KeyPair, datetime] | None = field(default=None, repr=False, compare=False)

    def use_key(self, pair: KeyPair, *, active_from: datetime) -> None:
        """Sign with ``pair`` from ``active_from`` on (set before ``signer``: see below)."""
        self._previous = (self.signer, active_from)
        self.signer = pair

    def signer_at(self, now: datetime) -> KeyPair:
        """The key to sign with at ``now``.

        ``signer`` is read first: if it is already the new key, ``_previous`` was set before it.
        """
        signer, previous = self.signer, self._previous
        if previous is not None and signer is not previous[0] and now < previous[1]:
            return previous[0]
        return signer

    @property
    def verification_method(self) -> str:
        return verification_method_id(self.did, self.signer.public_multibase)


@dataclass(frozen=True)
class InitResult:
    did: str
    office_path: Path
    key_path: Path
    public_key: str
    db_url: str


def init_office(
    *,
    settings: Settings,
    did: str,
    name: str,
    passphrase: str,
    limits: KdfLimits,
    now: datetime,
) -> InitResult:
    """Create the data dir of a new office with one fresh signing key, sealed.

    Raises:
        MalformedError: ``OFFICE_DID_INVALID``, ``OFFICE_EXISTS`` or ``PASSPHRASE_EMPTY``.
    """
    if not re.fullmatch(OFFICE_DID_PATTERN, did):
        raise MalformedError(
            f"{did!r} is not an office DID (did:ecert:<chain>:<office>)",
            code="OFFICE_DID_INVALID",
            field="did",
        )
    if settings.office_path.exists():
        raise MalformedError(f"{settings.data_dir} already holds an office", code="OFFICE_EXISTS")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    pair = KeyPair.generate()
    sealed = SealedKey.seal(pair, passphrase, limits=limits)
    key_path = settings.keys_dir / f"{pair.public_multibase}.json"
    sealed.write(key_path)
    description = {
        "format": OFFICE_FORMAT,
        "did": did,
        "name": name,
        "current": pair.public_multibase,
        "keys": [{"publicKeyMultibase": pair.public_multibase, "created": stamp(now)}],
    }
    settings.office_path.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    make_engine(settings.db_url).dispose()
    return InitResult(
        did=did,
        office_path=settings.office_path,
        key_path=key_path,
        public_key=pair.public_multibase,
        db_url=settings.db_url,
    )


def read_description(settings: Settings) -> dict[str, Any]:
    """The public ``office.json`` (no passphrase needed)."""
    try:
        data = json.loads(settings.office_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MalformedError(
            f"no office in {settings.data_dir}: run `ecert issuer init` first",
            code="OFFICE_NOT_INITIALIZED",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedError(f"{settings.office_path} is not JSON", code="OFFICE_INVALID") from exc
    if not isinstance(data, dict) or data.get("format") != OFFICE_FORMAT:
        raise MalformedError(f"{settings.office_path} is not an office", code="OFFICE_INVALID")
    for key in ("did", "name", "current"):
        if not isinstance(data.get(key), str):
            raise MalformedError(f"{settings.office_path} has no {key}", code="OFFICE_INVALID")
    return data


def unlock_office(*, settings: Settings, passphrase: str) -> Office:
    """Unseal the office's current signing key.

    Raises:
        MalformedError: ``OFFICE_NOT_INITIALIZED``, ``OFFICE_INVALID``, ``SEALED_FILE_INVALID``.
        KeystoreUnlockError: the passphrase is wrong or the key file was altered.
    """
    description = read_description(settings)
    current: str = description["current"]
    # The name becomes a file name: only a well-formed Multikey may (no path tricks).
    decode_public_multikey(current, field="current")
    pair = SealedKey.read(settings.keys_dir / f"{current}.json").unseal(passphrase)
    if pair.public_multibase != current:
        raise MalformedError(
            "the current key file holds another key than office.json names",
            code="OFFICE_INVALID",
        )
    return Office(did=description["did"], name=description["name"], signer=pair)
