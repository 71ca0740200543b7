"""The key that signs this verifier's Request Objects, and so names it to wallets.

The client_id is ``decentralized_identifier:did:key:…`` of this key (OpenID4VP 1.0 §5.9.3; see
:mod:`vc_core.oid4vp` for why a signed request). The key is kept sealed (Argon2id +
XSalsa20-Poly1305, :class:`vc_core.keystore.SealedKey`) in ``request_key_file`` (default
``<data dir>/request-key.sealed``) under the passphrase in ``VERIFIER_REQUEST_KEY_PASSPHRASE``
or ``request_key_passphrase_file``; the first start creates it. With no passphrase configured
the key is made at start and kept in memory only: nothing secret is written, the client_id
changes at each restart, and requests made before a restart are refused as unknown to the new
key (they live minutes anyway).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits, SealedKey, read_passphrase
from vc_core.oid4vp import client_id_of
from verifier.config import Settings

PASSPHRASE_ENV = "VERIFIER_REQUEST_KEY_PASSPHRASE"  # noqa: S105 (a variable name)
KEY_FILE = "request-key.sealed"
log = logging.getLogger("verifier")


@dataclass(frozen=True)
class RequestSigner:
    """The signing key and the client_id it gives this verifier."""

    key: KeyPair
    client_id: str
    persistent: bool


def _key_file(settings: Settings) -> Path:
    return settings.request_key_file or settings.data_dir / KEY_FILE


def load_signer(settings: Settings) -> RequestSigner:
    """The request-signing key (module docstring).

    Raises:
        MalformedError: the passphrase is wrong or the sealed file is damaged (the service
            must not start under another identity silently).
    """
    file = settings.request_key_passphrase_file
    if file is None and not os.environ.get(PASSPHRASE_ENV):
        key = KeyPair.generate()
        log.warning(
            "no %s: OpenID4VP requests are signed by a key kept in memory only", PASSPHRASE_ENV
        )
        return RequestSigner(key, client_id_of(key), persistent=False)
    passphrase = read_passphrase(env_var=PASSPHRASE_ENV, file=file)
    path = _key_file(settings)
    if path.exists():
        key = SealedKey.read(path).unseal(passphrase)
    else:
        key = KeyPair.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        SealedKey.seal(key, passphrase, limits=KdfLimits.preset("interactive")).write(path)
    return RequestSigner(key, client_id_of(key), persistent=True)
