"""The verifier's own signing key and the receipts it signs (plain functions, no FastAPI).

The key is an Ed25519 pair whose ``did:key`` names this verifier in every receipt. It lives in
``<data dir>/receipt-key.json``, sealed under a passphrase (:mod:`vc_core.keystore`: argon2id +
XSalsa20-Poly1305, mode 0600), made by ``ecert verifier init`` or at the first start, and
unsealed once at start. The passphrase comes from ``--passphrase-file`` /
``VERIFIER_PASSPHRASE_FILE`` or ``VERIFIER_PASSPHRASE`` and is never stored or logged.

A receipt (:func:`vc_core.verification.receipt.sign_receipt`) signs the report together with the
chain view it was judged against: the chain id and trusted genesis hash, and the height, head
hash and time of the checkpoint the report names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from vc_core.did import did_key
from vc_core.did_web import did_web_document
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits, SealedKey, read_passphrase
from vc_core.ledger import LedgerReader
from vc_core.times import parse_instant
from vc_core.verification.receipt import Checkpoint, sign_receipt

PASSPHRASE_ENV = "VERIFIER_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)
MIN_PASSPHRASE = 12


def passphrase_from(file: Path | None) -> str:
    """The passphrase from ``file`` (its first line) or ``VERIFIER_PASSPHRASE``."""
    return read_passphrase(env_var=PASSPHRASE_ENV, file=file)


def init_key(path: Path, passphrase: str, limits: KdfLimits) -> KeyPair:
    """Make a new receipt key and seal it at ``path`` (which must not exist yet).

    Raises:
        MalformedError: ``RECEIPT_KEY_EXISTS``, ``PASSPHRASE_TOO_SHORT``,
            ``RECEIPT_KEY_UNWRITABLE``.
    """
    if path.exists():
        raise MalformedError(f"{path} already holds a receipt key", code="RECEIPT_KEY_EXISTS")
    if len(passphrase) < MIN_PASSPHRASE:
        raise MalformedError(
            f"the passphrase must have at least {MIN_PASSPHRASE} characters",
            code="PASSPHRASE_TOO_SHORT",
        )
    pair = KeyPair.generate()
    sealed = SealedKey.seal(pair, passphrase, limits=limits)
    try:
        sealed.write(path)
    except OSError as exc:
        raise MalformedError(
            f"cannot write the receipt key at {path}: {type(exc).__name__}",
            code="RECEIPT_KEY_UNWRITABLE",
        ) from None
    return pair


def load_or_init_key(path: Path, passphrase: str, limits: KdfLimits) -> KeyPair:
    """The sealed receipt key at ``path``, made first when there is none (first start).

    Raises:
        KeystoreUnlockError: a wrong passphrase or an altered file (exit 2, no start).
    """
    if not path.exists():
        return init_key(path, passphrase, limits)
    return SealedKey.read(path).unseal(passphrase)


def _checkpoint(chain: dict[str, Any], chain_id: str | None, genesis: str) -> Checkpoint | None:
    """The report's chain view as a checkpoint, or ``None`` when the report used none."""
    head, time = chain.get("hash"), chain.get("time")
    if not isinstance(head, str) or time is None or chain_id is None:
        return None
    # parse_instant remembers short stamps, and the replica's head changes once a sync.
    when = time if isinstance(time, datetime) else parse_instant(time, field="chain.time")
    height = chain.get("height")
    return Checkpoint(
        chain_id=chain_id,
        genesis_hash=genesis,
        height=height if isinstance(height, int) else None,
        head_hash=head,
        time=when,
    )


@dataclass(frozen=True)
class ReceiptSigner:
    """Signs this verifier's reports; knows the chain it trusts."""

    key: KeyPair = field(repr=False)
    genesis_hash: str
    reader: LedgerReader
    # The bank's did:web, when receipts name it rather than the key's did:key.
    issuer_did: str | None = None

    @property
    def did(self) -> str:
        return self.issuer_did or did_key(self.key.public)

    def did_document(self) -> dict[str, Any] | None:
        """The did:web document to publish for :attr:`issuer_did` (``None`` without one)."""
        if self.issuer_did is None:
            return None
        return did_web_document(self.issuer_did, self.key.public)

    def _chain_id(self) -> str | None:
        try:
            return self.reader.chain_id
        except Exception:  # noqa: BLE001 (a replica not yet synced names no chain: no checkpoint)
            return None

    def sign(
        self, report: dict[str, Any], *, as_of: datetime | None, now: datetime
    ) -> dict[str, Any]:
        """The signed receipt of one report's JSON (with its ``chain`` member, when it has one)."""
        chain = report.get("chain")
        checkpoint = _checkpoint(
            chain if isinstance(chain, dict) else {}, self._chain_id(), self.genesis_hash
        )
        return sign_receipt(
            report,
            key=self.key,
            checkpoint=checkpoint,
            as_of=as_of,
            now=now,
            receipt_id=f"urn:uuid:{uuid.uuid4()}",
            issuer_did=self.issuer_did,
        )
