"""Issuance refuses what the office is not accredited for, according to its own replica.

The office keeps a :class:`~vc_core.replica.Replica` of the registry chain in its folder
(``replica.sqlite``), trusted from one genesis hash (``ISSUER_GENESIS_HASH``) and synced from
``ISSUER_REGISTRY_URL`` through :class:`~vc_core.replica.HttpSource` (the one registry client).
:meth:`AccreditationGate.check` runs before anything is signed:

1. Sync the replica, at most once per ``ISSUER_REPLICA_SYNC_S``; a registry that cannot be
   reached is logged and the replica is used as it stands.
2. Freshness: the replica must know the chain as of at most ``ISSUER_REPLICA_MAX_AGE_S`` ago —
   the later of its head block's time and the producer's signed checkpoint of that same head
   kept at its last sync (DESIGN §3). Older (or never synced) is 503
   ``ACCREDITATION_UNCHECKED``: the office never issues blind.
3. The office's accreditation at ``now`` (DESIGN §5 step 4): none is 403
   ``OFFICE_NOT_ACCREDITED``; suspended ``OFFICE_SUSPENDED``; withdrawn ``OFFICE_WITHDRAWN``;
   outside its validity window ``ACCREDITATION_NOT_IN_FORCE``; the credential type in no scope
   ``TYPE_NOT_ACCREDITED``; the subject's region (:func:`vc_core.credential_types.subject_region`)
   under none of the type's division prefixes ``REGION_NOT_ACCREDITED``.

The replica is shared by request threads and guarded by one lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from issuer.errors import ForbiddenError
from vc_core.credential_types import credential_type_of, subject_region
from vc_core.errors import RegistryError, VCError
from vc_core.ledger import BlockSource
from vc_core.ledger.records import CredentialStatus
from vc_core.replica import HttpSource, Replica

log = logging.getLogger("issuer.accreditation")
REPLICA_FILE = "replica.sqlite"


class AccreditationGate:
    """The office's replica and the rules issuance must pass (see the module)."""

    def __init__(
        self,
        replica: Replica,
        sources: Sequence[BlockSource],
        *,
        office_did: str,
        max_age: timedelta,
        sync_every: timedelta,
    ) -> None:
        self._replica = replica
        self._sources = sources
        self._office = office_did
        self._max_age = max_age
        self._sync_every = sync_every
        self._synced_at: datetime | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        registry_url: str,
        genesis_hash: str,
        office_did: str,
        max_age: timedelta,
        sync_every: timedelta,
    ) -> AccreditationGate:
        replica = Replica.open(data_dir / REPLICA_FILE, genesis_hash=genesis_hash)
        source = HttpSource(registry_url, timeout_s=10.0)
        return cls(replica, [source], office_did=office_did, max_age=max_age, sync_every=sync_every)

    def close(self) -> None:
        with self._lock:
            self._replica.close()
            for source in self._sources:
                close = getattr(source, "close", None)
                if close is not None:
                    close()

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> None:
        """Refuse ``credential`` unless the office is accredited for its type and region.

        Raises:
            RegistryError: ``ACCREDITATION_UNCHECKED`` (503), the replica is too old.
            ForbiddenError: the rule the office breaks (403, codes in the module docstring).
            SchemaError, IdentifierError: the subject's region field is missing or malformed.
        """
        type_name = credential_type_of(credential)
        region = subject_region(credential)
        with self._lock:
            self._maybe_sync(now)
            self._check_fresh(now)
            accreditation = self._replica.accreditation(self._office, now)
        if accreditation is None:
            raise ForbiddenError(
                f"{self._office} is not accredited on the registry", code="OFFICE_NOT_ACCREDITED"
            )
        if accreditation.state != "active":
            code = "OFFICE_SUSPENDED" if accreditation.state == "suspended" else "OFFICE_WITHDRAWN"
            raise ForbiddenError(f"the office's accreditation is {accreditation.state}", code=code)
        if not accreditation.in_window(now):
            raise ForbiddenError(
                "the office's accreditation is not in force now", code="ACCREDITATION_NOT_IN_FORCE"
            )
        if not any(s.credential_type == type_name for s in accreditation.scopes):
            raise ForbiddenError(
                f"the office is not accredited for {type_name}",
                code="TYPE_NOT_ACCREDITED",
                field="type",
            )
        if not accreditation.covers(type_name, region):
            raise ForbiddenError(
                f"the office is not accredited for {type_name} in division {region}",
                code="REGION_NOT_ACCREDITED",
                field="credentialSubject",
            )

    def credential_status(
        self, credential_id: str, status_index: int, *, now: datetime
    ) -> CredentialStatus:
        """The credential's status on chain as far as the replica knows (synced if due).

        Used before a deed transfer, so a deed revoked or superseded outside this issuer is
        refused up front; a stale replica is no excuse to refuse (the transfer's own issuance
        check judges freshness, and the chain worker catches what the replica did not see).
        """
        with self._lock:
            self._maybe_sync(now)
            return self._replica.credential_status(
                self._office, credential_id=credential_id, status_index=status_index, as_of=now
            )

    def _maybe_sync(self, now: datetime) -> None:
        if self._synced_at is not None and now - self._synced_at < self._sync_every:
            return
        self._synced_at = now
        try:
            self._replica.sync(self._sources, now=now)
        except RegistryError as exc:
            log.warning("replica sync failed (%s); using the replica as it stands", exc.code)
        except VCError as exc:
            # A source that serves blocks that do not verify is not trusted; the replica keeps
            # what it verified before, and freshness decides whether that is enough.
            log.error("replica sync refused the registry's blocks (%s)", exc.code)

    def _check_fresh(self, now: datetime) -> None:
        head = self._replica.head
        if head is None:
            raise RegistryError(
                "the office's registry replica holds no chain yet; cannot check accreditation",
                code="ACCREDITATION_UNCHECKED",
            )
        known_at = head.time
        checkpoint = self._replica.checkpoint
        if (
            checkpoint is not None
            and checkpoint.height == head.height
            and checkpoint.head_hash == head.hash
        ):
            known_at = max(known_at, checkpoint.time)
        if now - known_at > self._max_age:
            raise RegistryError(
                f"the office's registry replica is older than {self._max_age}; cannot check "
                "accreditation",
                code="ACCREDITATION_UNCHECKED",
            )
