"""Where chain facts come from: a live :class:`~vc_core.ledger.LedgerReader` or an offline bundle.

The chain steps (DESIGN §5 steps 2–6 and 8) ask a :class:`ChainView` a handful of questions. Two
views answer them:

- :class:`ReaderView` over any ``LedgerReader`` (``MemoryLedger``, the registry's embedded
  ledger, a :class:`~vc_core.replica.Replica`): the anchor of the credential's digest through
  ``leaf_anchor``, keys, accreditation and status as the reader's committed head knows them.
- :class:`BundleView` over the facts of a verified
  :class:`~vc_core.anchoring.OfflineBundle` (:func:`~vc_core.anchoring.verify_bundle`): the same
  questions, answered as of the bundle's checkpoint, with the limits that module documents
  (a bundle cannot prove that a fact it omits does not exist).

A view never touches the network itself. A reader that fails — a storage or transport error
(``OSError``), or a backend's own :class:`~vc_core.errors.RegistryError` — is reported as
``RegistryError``, which the steps turn into "could not check", never "invalid".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from vc_core.anchoring import BundleFacts
from vc_core.dataintegrity import ASSERTION_METHOD, AUTHENTICATION, Resolver
from vc_core.did_ecert import DID_ECERT_PREFIX, DidCode
from vc_core.did_resolver import DidEcertResolver
from vc_core.errors import NotFoundError, ProofError, RegistryError
from vc_core.keys import PublicKey, decode_public_multikey
from vc_core.ledger import LedgerReader
from vc_core.ledger.records import Accreditation, CredentialStatus, KeyRecord
from vc_core.replica import Replica

T = TypeVar("T")


@dataclass(frozen=True)
class AnchorFact:
    """Where the credential's digest was anchored: by which office, when, in which batch."""

    office: str
    time: datetime
    batch_id: str
    batch_root: str
    tx_hash: str
    leaf_index: int


@dataclass(frozen=True)
class ViewHead:
    """What the view's answers are as of: a height (when known), a block hash and a time."""

    height: int | None
    hash: str
    time: datetime
    source: str


class ChainView(Protocol):
    """The chain questions verification asks (every time is a parameter)."""

    @property
    def chain_id(self) -> str: ...

    def head(self) -> ViewHead:
        """The head every answer is as of. Raises RegistryError."""
        ...

    def anchor(self, digest: str) -> AnchorFact | None:
        """The anchor of a credential digest (hex), or ``None``. Raises RegistryError."""
        ...

    def key(self, public_multikey: str) -> KeyRecord | None:
        """One office key's record. Raises RegistryError."""
        ...

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        """An office's accreditation as it stood at ``at``. Raises RegistryError."""
        ...

    def status(
        self, office: str, credential_id: str | None, status_index: int | None, as_of: datetime
    ) -> CredentialStatus:
        """A credential's status as of ``as_of`` (no later than :meth:`head`)."""
        ...

    def resolver(self, at: datetime) -> Resolver:
        """A Data Integrity resolver for ``did:ecert`` keys as they stood at ``at``."""
        ...


def ask(source: str, question: Callable[[], T]) -> T:
    """The reader's answer to ``question``, with a storage or transport failure turned into
    "could not check" (a plain function, not a context manager: a verification asks seven
    questions, and a generator-based ``with`` costs more than most of them)."""
    try:
        return question()
    except OSError as exc:
        raise RegistryError(f"{source} could not answer: {exc}") from exc
    except NotFoundError as exc:
        # A reader with no chain yet (``NO_CHAIN``) cannot answer anything.
        raise RegistryError(exc.message, code=exc.code) from exc


class ReaderView:
    """A :class:`ChainView` over any :class:`~vc_core.ledger.LedgerReader`."""

    def __init__(self, reader: LedgerReader, *, source: str = "the chain reader") -> None:
        self.reader = reader
        self.source = source

    def _ask(self, question: Callable[[], T]) -> T:
        return ask(self.source, question)

    @property
    def chain_id(self) -> str:
        return self._ask(lambda: self.reader.chain_id)

    def head(self) -> ViewHead:
        head = self._ask(self.reader.chain_head)
        time = head.time
        if isinstance(self.reader, Replica):
            # A chain with no new transactions makes no new blocks, so the head block's time
            # says when the chain last changed, not how fresh the replica is. The producer's
            # signed checkpoint of that same head, kept at the replica's last sync, does: "at
            # this time the head was still this block" (DESIGN §3, checkpoints for freshness).
            replica = self.reader
            checkpoint = self._ask(lambda: replica.checkpoint)
            if (
                checkpoint is not None
                and checkpoint.height == head.height
                and checkpoint.head_hash == head.hash
            ):
                time = max(time, checkpoint.time)
        return ViewHead(height=head.height, hash=head.hash, time=time, source=self.source)

    def anchor(self, digest: str) -> AnchorFact | None:
        found = self._ask(lambda: self.reader.leaf_anchor(digest))
        if found is None:
            return None
        batch = found.batch
        return AnchorFact(
            office=batch.office,
            time=batch.time,
            batch_id=batch.batch_id,
            batch_root=batch.batch_root,
            tx_hash=batch.tx_hash,
            leaf_index=found.index,
        )

    def key(self, public_multikey: str) -> KeyRecord | None:
        return self._ask(lambda: self.reader.key(public_multikey))

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        return self._ask(lambda: self.reader.accreditation(office, at))

    def status(
        self, office: str, credential_id: str | None, status_index: int | None, as_of: datetime
    ) -> CredentialStatus:
        return self._ask(
            lambda: self.reader.credential_status(
                office, credential_id=credential_id, status_index=status_index, as_of=as_of
            )
        )

    def resolver(self, at: datetime) -> Resolver:
        # No fallback: an ecert credential is signed by an office key on the chain, never by a
        # did:key; any other method is refused (fail closed).
        resolver = DidEcertResolver(self.reader, at=at, fallback=None)

        def resolve(vm: str, purpose: str) -> PublicKey:
            return ask(self.source, lambda: resolver(vm, purpose))

        return resolve


class BundleView:
    """A :class:`ChainView` over a verified offline bundle's facts, as of its checkpoint.

    The bundle proves one anchor: the receipt's. :meth:`anchor` answers for that credential's
    digest only; keys and accreditation are the issuing office's only.
    """

    def __init__(self, facts: BundleFacts, digest: str, *, anchor: AnchorFact) -> None:
        self.facts = facts
        self.digest = digest
        self._anchor = anchor
        self.source = "the offline bundle"

    @property
    def chain_id(self) -> str:
        return self.facts.checkpoint.chain_id

    def head(self) -> ViewHead:
        checkpoint = self.facts.checkpoint
        return ViewHead(
            height=checkpoint.height,
            hash=checkpoint.head_hash,
            time=checkpoint.time,
            source=self.source,
        )

    def anchor(self, digest: str) -> AnchorFact | None:
        return self._anchor if digest == self.digest else None

    def key(self, public_multikey: str) -> KeyRecord | None:
        return self.facts.key(public_multikey)

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        return self.facts.accreditation(at) if office == self.facts.office else None

    def status(
        self, office: str, credential_id: str | None, status_index: int | None, as_of: datetime
    ) -> CredentialStatus:
        # The bundle's facts were collected for its own credential's id and status index.
        return self.facts.status(as_of)

    def resolver(self, at: datetime) -> Resolver:
        return _BundleResolver(self.facts, at)


@dataclass(frozen=True)
class _BundleResolver:
    """``did:ecert`` keys of the bundle's office as they stood at ``at`` (the rules of
    :class:`~vc_core.did_resolver.DidEcertResolver`, over the bundle's folded facts)."""

    facts: BundleFacts
    at: datetime

    def __call__(self, vm: str, purpose: str) -> PublicKey:
        did, _, fragment = vm.partition("#") if isinstance(vm, str) else ("", "", "")
        if not did.startswith(DID_ECERT_PREFIX) or did != self.facts.office or not fragment:
            raise ProofError(
                f"{vm!r} is not a key of the bundle's office {self.facts.office}",
                code=DidCode.UNKNOWN_VERIFICATION_METHOD,
                field="verificationMethod",
            )
        record = self.facts.key(fragment)
        if record is None or record.added_at > self.at:
            raise ProofError(
                f"{vm} is not a key the office held at {self.at}",
                code=DidCode.UNKNOWN_VERIFICATION_METHOD,
                field="verificationMethod",
            )
        if purpose not in (ASSERTION_METHOD, AUTHENTICATION):
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
            )
        return PublicKey(decode_public_multikey(record.key, field="verificationMethod"))
