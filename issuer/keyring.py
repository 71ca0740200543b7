"""Office key rotation without a pause in issuance (``ecert issuer rotate-key``; DESIGN §3).

:func:`rotate_key`, run by the command while the issuer keeps serving:

(1) Generates a new Ed25519 key and seals it at rest under the office passphrase
    (:class:`vc_core.keystore.SealedKey`, Argon2id + XSalsa20-Poly1305) in ``keys/``; office.json
    lists it, but ``current`` still names the old key, so nothing signs with it yet.
(2) Publishes it with a ``key.add`` transaction signed by the current key **and** by the new key
    over the same bytes: the new key's signature is its proof of possession (the ledger's
    ``key.add`` rule, :mod:`vc_core.ledger.office_fold`), so no one registers a key they do not
    hold. It resubmits until the registry reports it ``included`` (pending is not durable,
    ``docs/adr/0001-pending-durability.md``); refused for its sequence number (the office's
    chain worker took it), it is re-signed with the next one.
(3) Only then does office.json name the new key ``current`` (an atomic rename). The running
    issuer's :class:`KeyWatcher` sees the change, unseals the new key in the background and
    switches to it between two requests — issuance never pauses, and never signs with a key the
    chain does not know yet.
(4) Once the issuer signs with the new key (``GET /health`` names it, when ``issuer_url`` is
    given; else after a grace period) and every credential the old key signed is anchored (a
    verifier wants the key active both at the proof's ``created`` time and when the credential's
    batch was anchored, DESIGN §5 step 3), a ``key.retire`` of the old key, signed by the new one,
    is published the same way. What the old key signed before its retirement stays valid.

A crash between the steps leaves a state the next run or the operator can finish: a sealed key
that is not on chain is just unused; running the command again reuses the key office.json lists
as ``next`` (already on chain or not) and goes on from there.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from issuer.clock import stamp, unstamp
from issuer.config import Settings
from issuer.db import make_engine
from issuer.office import Office, read_description, unlock_office
from issuer.tables import BatchRow, CredentialRow, OutboxRow
from vc_core.did_ecert import parse_office_did
from vc_core.errors import MalformedError, RegistryError, VCError, VerificationError
from vc_core.keys import KeyPair, decode_public_multikey
from vc_core.keystore import KdfLimits, SealedKey
from vc_core.ledger import KeyAddBody, KeyRetireBody, Transaction, add_signature, office_tx
from vc_core.ledger.bodies import TxBody
from vc_core.registry_client import RegistryClient

log = logging.getLogger("issuer.keyring")
# Refusals that mean "this sequence number is taken" (as the chain worker reads them).
SEQ_CODES = frozenset({"REPLAYED_TRANSACTION", "BAD_SEQUENCE"})
MAX_TRIES = 20
WATCH_EVERY_S = 0.25
# How long a request that picked the old key just before the switch may take to commit.
SETTLE_S = 1.0


class KeyringCode(StrEnum):
    """The ways a key rotation stops short."""

    KEY_TX_NOT_INCLUDED = "KEY_TX_NOT_INCLUDED"
    ISSUER_DID_NOT_SWITCH = "ISSUER_DID_NOT_SWITCH"
    OLD_KEY_NOT_DRAINED = "OLD_KEY_NOT_DRAINED"


class KeyWatcher:
    """A thread in the issuer: when office.json names another ``current`` key, unseal it and
    switch the office to it (the unseal takes its Argon2id time here, not in a request)."""

    def __init__(
        self,
        settings: Settings,
        office: Office,
        unseal: Callable[[str], KeyPair],
        *,
        every_s: float = WATCH_EVERY_S,
    ) -> None:
        self._settings = settings
        self._office = office
        self._unseal = unseal
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="issuer-key-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def check(self) -> bool:
        """Switch if office.json names a new current key; whether it switched."""
        description = read_description(self._settings)
        current = description["current"]
        if current == self._office.signer.public_multibase:
            return False
        decode_public_multikey(current, field="current")  # a file name: no path tricks
        pair = self._unseal(current)
        if pair.public_multibase != current:
            raise MalformedError("the new key file holds another key", code="OFFICE_INVALID")
        self._office.use_key(pair, active_from=_active_from(description, current))
        log.info("switched to key %s", current)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self.check()
            except VCError as exc:
                # Keep signing with the key in use; the message names files and codes only.
                log.warning("key switch failed (%s); still signing with the old key", exc.code)


def _active_from(description: dict[str, Any], key: str) -> datetime:
    """When the registry's ``key.add`` made ``key`` active (office.json ``activeFrom``)."""
    for entry in description.get("keys", []):
        if isinstance(entry, dict) and entry.get("publicKeyMultibase") == key:
            value = entry.get("activeFrom")
            if isinstance(value, str):
                return unstamp(value)
    # Not recorded (a folder rotated by hand): the key is on chain by the time it is current.
    return datetime.now(UTC)


def unsealer(settings: Settings, passphrase: str) -> Callable[[str], KeyPair]:
    """``unseal(public_multibase)``: the office's sealed key of that name, opened.

    The passphrase stays in this closure in the issuer's memory, beside the unsealed key it
    protects (which is no less secret); it is never stored, printed or logged.
    """

    def unseal(public: str) -> KeyPair:
        return SealedKey.read(settings.keys_dir / f"{public}.json").unseal(passphrase)

    return unseal


@dataclass(frozen=True)
class Rotation:
    old_key: str
    new_key: str
    added_tx: str
    retired_tx: str


def _write_description(settings: Settings, description: dict[str, Any]) -> None:
    """office.json, replaced atomically (a reader sees the old file or the new one)."""
    tmp = settings.office_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, settings.office_path)


def _publish(
    client: RegistryClient,
    office_did: str,
    build: Callable[[int, datetime], Transaction],
    *,
    wait_s: float,
    done_codes: frozenset[str] = frozenset(),
) -> Transaction:
    """Sign (with the office's next sequence number), submit and resubmit until included.

    A refusal in ``done_codes`` means an earlier run already got it on chain.
    """
    for _ in range(MAX_TRIES):
        tx = build(client.next_seq(office_did), datetime.now(UTC))
        deadline = time.monotonic() + wait_s
        while True:
            try:
                answer = client.submit(tx, wait_s=min(5.0, wait_s))
            except RegistryError:
                raise
            except VCError as exc:
                code = exc.code
                break
            if answer.state == "included":
                return tx
            if answer.state == "rejected":
                code = str((answer.problem or {}).get("code", "REJECTED"))
                break
            if time.monotonic() >= deadline:
                raise RegistryError(
                    f"{tx.type} {tx.hash} not included within {wait_s:g} s; run again",
                    code=KeyringCode.KEY_TX_NOT_INCLUDED,
                )
        if code in done_codes:
            return tx
        if code not in SEQ_CODES:
            raise VerificationError(f"the registry refused the {tx.type} ({code})", code=code)
    raise RegistryError(
        "the office's sequence number kept moving", code=KeyringCode.KEY_TX_NOT_INCLUDED
    )


def rotate_key(
    *,
    settings: Settings,
    passphrase: str,
    registry_url: str,
    limits: KdfLimits,
    wait_switch: Callable[[str], None],
    wait_s: float = 60.0,
) -> Rotation:
    """Steps (1)–(4) of the module docstring.

    Raises:
        KeystoreUnlockError: wrong passphrase. RegistryError: the registry could not be
        reached or did not include a transaction in time. VerificationError: it refused one.
    """
    old = unlock_office(settings=settings, passphrase=passphrase)
    description = read_description(settings)
    pending = description.get("next")
    if isinstance(pending, str) and (settings.keys_dir / f"{pending}.json").exists():
        new = SealedKey.read(settings.keys_dir / f"{pending}.json").unseal(passphrase)
    else:
        new = KeyPair.generate()
        SealedKey.seal(new, passphrase, limits=limits).write(
            settings.keys_dir / f"{new.public_multibase}.json"
        )
        description["keys"] = [
            *description.get("keys", []),
            {"publicKeyMultibase": new.public_multibase, "created": stamp(datetime.now(UTC))},
        ]
        description["next"] = new.public_multibase
        _write_description(settings, description)
    chain_id = parse_office_did(old.did).chain_id

    def signed(tx_type: str, body: TxBody, key: KeyPair, seq: int, now: datetime) -> Transaction:
        return office_tx(chain_id, tx_type, body, office=old.did, seq=seq, time=now, key=key)

    with RegistryClient(registry_url, timeout_s=wait_s + 10) as client:
        added = _publish(
            client,
            old.did,
            # A whole second: proofs' ``created`` has second precision, so a proof made at or
            # after this time is never dated before the key was active.
            lambda seq, now: add_signature(
                signed(
                    "key.add",
                    KeyAddBody(key=new.public_multibase),
                    old.signer,
                    seq,
                    now.replace(microsecond=0),
                ),
                new,  # proof of possession: the new key signs the same bytes
            ),
            wait_s=wait_s,
            # Only this office's own ``next`` key, published by a run that stopped after (2).
            done_codes=frozenset({"KEY_IN_USE"}),
        )
        description = read_description(settings)
        for entry in description.get("keys", []):
            if isinstance(entry, dict) and entry.get("publicKeyMultibase") == new.public_multibase:
                entry["activeFrom"] = stamp(added.time)
        description["current"] = new.public_multibase
        description.pop("next", None)
        _write_description(settings, description)
        wait_switch(new.public_multibase)
        wait_anchored(settings, old.signer.public_multibase, timeout_s=wait_s)
        retire = KeyRetireBody(key=old.signer.public_multibase)
        retired = _publish(
            client,
            old.did,
            lambda seq, now: signed("key.retire", retire, new, seq, now),
            wait_s=wait_s,
        )
    return Rotation(
        old_key=old.signer.public_multibase,
        new_key=new.public_multibase,
        added_tx=added.hash,
        retired_tx=retired.hash,
    )


def wait_anchored(settings: Settings, old_key: str, *, timeout_s: float) -> None:
    """Until every credential the old key signed is anchored (its batch included).

    A verifier requires the signing key to be active when the credential's batch was anchored
    (DESIGN §5 step 3), so the old key is retired only after its last credential is on chain.
    A request that picked the old key just before the switch commits within moments: wait a
    little first, then poll the office's database.

    Raises:
        RegistryError: ``OLD_KEY_NOT_DRAINED``, still unanchored after ``timeout_s``.
    """
    time.sleep(SETTLE_S)
    engine = make_engine(settings.db_url)
    marker = f'%#{old_key}"%'
    query = (
        select(func.count())
        .select_from(OutboxRow)
        .join(CredentialRow, col(CredentialRow.id) == col(OutboxRow.credential_id))
        # Anchored = its batch is included (receipts are built from the stored block since
        # batch issuance, so a leaf's own ``receipt`` column may stay empty).
        .outerjoin(BatchRow, col(BatchRow.id) == col(OutboxRow.batch_id))
        .where(col(BatchRow.anchored_at).is_(None), col(CredentialRow.document).like(marker))
    )
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with Session(engine) as session:
                waiting = int(session.exec(query).one())
            if waiting == 0:
                return
            if time.monotonic() >= deadline:
                raise RegistryError(
                    f"{waiting} credentials signed with the old key are not anchored yet; the "
                    "old key is not retired (run the command again later)",
                    code=KeyringCode.OLD_KEY_NOT_DRAINED,
                )
            time.sleep(WATCH_EVERY_S)
    finally:
        engine.dispose()


def wait_for_issuer(
    issuer_url: str | None, *, grace_s: float, timeout_s: float
) -> Callable[[str], None]:
    """Step (4)'s wait: until the issuer's ``GET /health`` names the new key, or ``grace_s``.

    Raises:
        RegistryError: ``ISSUER_DID_NOT_SWITCH``, the issuer still signs with the old key.
    """

    def wait(new_key: str) -> None:
        if issuer_url is None:
            time.sleep(grace_s)
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                health = httpx.get(issuer_url.rstrip("/") + "/health", timeout=5).json()
                if str(health.get("verificationMethod", "")).endswith("#" + new_key):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(WATCH_EVERY_S)
        raise RegistryError(
            "the issuer did not switch to the new key; the old key is not retired yet "
            "(run the command again once it has)",
            code=KeyringCode.ISSUER_DID_NOT_SWITCH,
        )

    return wait
