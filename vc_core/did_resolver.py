"""Resolve ``did:ecert`` DIDs and verification methods at a time T, from any chain reader.

The document at T answers one question a verifier has (DESIGN §5 step 3): which keys could sign
for the office at T? It is built from what the reader knows now, applied to T:

- the office must have been accredited by T (in any state: suspension and withdrawal are
  step 4's business, not the DID's), else ``DID_NOT_FOUND``;
- ``verificationMethod`` lists every key added by T, annotated as
  :func:`vc_core.ledger.did.did_document` does (``validFrom``, ``expires``, ``revoked``);
- ``assertionMethod`` and ``authentication`` list only the keys active at T
  (:meth:`~vc_core.ledger.records.KeyRecord.state_at`): a key retired at or before T, or
  declared compromised since a time at or before T — even if declared after T — is left out.

That last rule is why this is not the ledger's ``versionTime`` document, which shows what the
chain *said* at T: a compromise declared later must still invalidate signatures made after the
key's ``compromised since`` time.

:class:`DidEcertResolver` plugs this into Data Integrity verification through the
:data:`vc_core.dataintegrity.Resolver` hook: it maps a verification-method URL
``did:ecert:<chain>:<office>#<publicKeyMultibase>`` and a proof purpose to the public key, or
raises one typed error. Other DID methods go to a fallback (offline ``did:key`` by default).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger import MemoryLedger, genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> ledger = MemoryLedger.create(genesis_tx("demo", [k], 1, k.public, t), k, t)
    >>> try:
    ...     resolve_did(ledger, "did:ecert:demo:tp", at=t)
    ... except NotFoundError as e:
    ...     print(e.code)
    DID_NOT_FOUND
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vc_core.dataintegrity import ASSERTION_METHOD, AUTHENTICATION, Resolver, did_key_resolver
from vc_core.did_ecert import DID_ECERT_PREFIX, DidCode, OfficeDid, parse_office_did
from vc_core.errors import (
    MalformedError,
    NotFoundError,
    ProofError,
    RegistryError,
    TrustError,
)
from vc_core.keys import PublicKey, decode_public_multikey
from vc_core.ledger import LedgerReader
from vc_core.ledger.did import did_document, verification_method_id
from vc_core.ledger.records import KeyRecord

PURPOSES = (ASSERTION_METHOD, AUTHENTICATION)


def _office(reader: LedgerReader, did: str) -> OfficeDid:
    parts = parse_office_did(did)
    if parts.chain_id != reader.chain_id:
        raise TrustError(
            f"{did} names chain {parts.chain_id!r}; this reader follows {reader.chain_id!r}",
            code=DidCode.DID_OTHER_CHAIN,
        )
    return parts


def _keys_at(reader: LedgerReader, did: str, at: datetime) -> Sequence[KeyRecord]:
    """The office's keys added by ``at``; ``DID_NOT_FOUND`` unless it was accredited by then."""
    try:
        accredited = reader.accreditation(did, at)
        keys = reader.office_keys(did)
    except OSError as exc:  # a reader's storage or transport: the check could not run
        raise RegistryError(f"the chain reader failed: {exc}") from exc
    except NotFoundError as exc:
        # A replica with no block yet (NO_CHAIN) knows nothing: that is "could not check", not
        # an unknown office.
        raise RegistryError(f"the chain reader has no chain yet: {exc.message}") from exc
    if accredited is None:
        raise NotFoundError(
            f"{did} was not an office of chain {reader.chain_id} at {at}",
            code=DidCode.DID_NOT_FOUND,
        )
    return [k for k in keys if k.added_at <= at]


def resolve_did(reader: LedgerReader, did: str, *, at: datetime) -> dict[str, Any]:
    """The DID document of office ``did`` at time ``at``, as the reader's chain implies it.

    Raises:
        MalformedError: ``INVALID_DID``.
        TrustError: ``DID_OTHER_CHAIN``: the DID names a chain this reader does not follow.
        NotFoundError: ``DID_NOT_FOUND``: not accredited on this chain by ``at``.
        RegistryError: the reader could not answer ("could not check").
    """
    office = str(_office(reader, did))
    keys = _keys_at(reader, office, at)
    known = {verification_method_id(office, k.key) for k in keys}
    active = [verification_method_id(office, k.key) for k in keys if k.active_at(at)]
    document = did_document(reader, office)
    document["verificationMethod"] = [m for m in document["verificationMethod"] if m["id"] in known]
    document["assertionMethod"] = active
    document["authentication"] = list(active)
    return document


def _split(vm: str) -> tuple[str, str]:
    did, _, fragment = vm.partition("#")
    if not fragment:
        raise MalformedError(
            f"{vm!r} names no key: a did:ecert verification method is <did>#<publicKeyMultibase>",
            code=DidCode.INVALID_VERIFICATION_METHOD,
            field="verificationMethod",
        )
    return did, fragment


@dataclass(frozen=True)
class DidEcertResolver:
    """A :data:`~vc_core.dataintegrity.Resolver` for ``did:ecert`` keys as they stood at ``at``.

    ``at`` is the time the signature must have been made by an active key: for a credential,
    its anchor time (DESIGN §5 step 3). Verification methods of other DID methods go to
    ``fallback``; ``None`` refuses them.
    """

    reader: LedgerReader
    at: datetime
    fallback: Resolver | None = did_key_resolver

    def __call__(self, vm: str, purpose: str) -> PublicKey:
        """The public key of ``vm`` for ``purpose`` at ``self.at``.

        Raises:
            MalformedError: ``INVALID_DID``, ``INVALID_VERIFICATION_METHOD`` or, without a
                fallback, ``UNSUPPORTED_DID_METHOD``.
            TrustError: ``DID_OTHER_CHAIN``.
            ProofError: ``DID_NOT_FOUND``, ``UNKNOWN_VERIFICATION_METHOD``,
                ``KEY_NOT_ACTIVE_AT_TIME`` (details name the key's state) or
                ``VERIFICATION_METHOD_NOT_AUTHORIZED`` (a purpose the document does not grant).
            RegistryError: the reader could not answer ("could not check").
        """
        if not isinstance(vm, str) or not vm.startswith(DID_ECERT_PREFIX):
            if self.fallback is not None:
                return self.fallback(vm, purpose)
            raise MalformedError(
                f"not a did:ecert verification method: {vm!r}",
                code=DidCode.UNSUPPORTED_DID_METHOD,
                field="verificationMethod",
            )
        did, fragment = _split(vm)
        try:
            office = str(_office(self.reader, did))
        except NotFoundError as exc:
            # A replica with no block yet (NO_CHAIN) does not even know its chain's id.
            raise RegistryError(f"the chain reader has no chain yet: {exc.message}") from exc
        record = self._record(office, fragment)
        self._check(record, vm, purpose)
        return PublicKey(decode_public_multikey(record.key, field="verificationMethod"))

    def _record(self, office: str, fragment: str) -> KeyRecord:
        try:
            keys = _keys_at(self.reader, office, self.at)
        except NotFoundError as exc:
            # For a proof, an issuer unknown at the signing time makes the proof fail (invalid),
            # not the request (malformed).
            raise ProofError(
                exc.message, code=DidCode.DID_NOT_FOUND, field="verificationMethod"
            ) from exc
        for record in keys:
            if record.key == fragment:
                return record
        raise ProofError(
            f"{office}#{fragment} is not a key the office held at {self.at}",
            code=DidCode.UNKNOWN_VERIFICATION_METHOD,
            field="verificationMethod",
        )

    def _check(self, record: KeyRecord, vm: str, purpose: str) -> None:
        if purpose not in PURPOSES:
            raise ProofError(
                f"{vm} is not authorized for proof purpose {purpose!r}",
                code=DidCode.VERIFICATION_METHOD_NOT_AUTHORIZED,
                field="proofPurpose",
            )
        state = record.state_at(self.at)
        if state != "active":
            raise ProofError(
                f"{vm} was {state.replace('_', ' ')} at {self.at}, not active",
                code=DidCode.KEY_NOT_ACTIVE_AT_TIME,
                field="verificationMethod",
                details={"state": state, "at": self.at.isoformat()},
            )
