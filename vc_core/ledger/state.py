"""``LedgerState``: the immutable result of folding transactions, and every query over it.

The state is a frozen dataclass of persistent hash-array-mapped tries (``rpds.HashTrieMap``):
applying a transaction (:func:`vc_core.ledger.fold.apply`) returns a NEW state that shares all
untouched structure with the old one, in O(log₃₂ n) per changed entry, and a failed transaction
leaves the old state exactly as it was (DESIGN §2: every fact is the fold of signed history).

Queries answer "as of a time" where DESIGN §5 needs it (accreditation, key state, credential
status); all times are parameters.

Example:
    >>> s = LedgerState.empty("demo")
    >>> s.next_seq("did:ecert:demo:tp"), s.council is None
    (1, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from rpds import HashTrieMap

from vc_core.ledger.leafindex import LeafIndex
from vc_core.ledger.records import (
    Accreditation,
    AccreditationEntry,
    AccreditationState,
    AnchorRecord,
    ChainHead,
    Council,
    CredentialStatus,
    KeyRecord,
    LeafAnchor,
    StatusRecord,
)
from vc_core.ledger.status import fold_status

StatusKey = tuple[str, str]
"""``(office DID, "id:<credential id>" | "idx:<status index>")``."""


def status_keys(
    office: str, credential_id: str | None, status_index: int | None
) -> list[StatusKey]:
    """The keys under which a credential's status events are filed."""
    keys: list[StatusKey] = []
    if credential_id is not None:
        keys.append((office, "id:" + credential_id))
    if status_index is not None:
        keys.append((office, f"idx:{status_index}"))
    return keys


@dataclass(frozen=True)
class LedgerState:
    """Everything the chain says, as of its last applied transaction (immutable).

    Build the first one with :meth:`empty`, then fold with :func:`~vc_core.ledger.fold.apply` or
    :func:`~vc_core.ledger.blocks.apply_block`. Never construct the maps by hand.
    """

    chain_id: str
    council: Council | None = None
    head: ChainHead | None = None
    genesis_hash: str | None = None
    tx_count: int = 0
    seqs: HashTrieMap[str, int] = field(default_factory=HashTrieMap)
    offices: HashTrieMap[str, tuple[AccreditationEntry, ...]] = field(default_factory=HashTrieMap)
    keys: HashTrieMap[str, KeyRecord] = field(default_factory=HashTrieMap)
    office_key_ids: HashTrieMap[str, tuple[str, ...]] = field(default_factory=HashTrieMap)
    batches: HashTrieMap[str, AnchorRecord] = field(default_factory=HashTrieMap)
    batch_ids: HashTrieMap[tuple[str, str], str] = field(default_factory=HashTrieMap)
    leaves: LeafIndex = field(default_factory=LeafIndex)
    statuses: HashTrieMap[StatusKey, tuple[StatusRecord, ...]] = field(default_factory=HashTrieMap)

    @classmethod
    def empty(cls, chain_id: str) -> LedgerState:
        """The state before genesis: only a ``genesis`` transaction applies to it."""
        return cls(chain_id=chain_id)

    def evolve(self, **changes: Any) -> LedgerState:
        """A copy with ``changes`` (used by the fold; O(1), the maps are shared).

        Faster than ``dataclasses.replace``, which the fold would call twice per transaction.
        """
        if not changes.keys() <= _FIELD_SET:
            raise TypeError(f"LedgerState has no field {next(iter(changes.keys() - _FIELD_SET))!r}")
        new = object.__new__(LedgerState)
        # Straight into the instance dict: ``__setattr__`` refuses (the state is frozen), and
        # one dict copy is a tenth of setting thirteen fields one by one.
        attrs = new.__dict__
        attrs.update(self.__dict__)
        attrs.update(changes)
        return new

    # Queries -------------------------------------------------------------------------------

    def next_seq(self, author: str) -> int:
        """The ``seq`` the author's next transaction must carry (1 for a new author)."""
        return self.seqs.get(author, 0) + 1

    def accreditation_history(self, office: str) -> tuple[AccreditationEntry, ...]:
        """Every accreditation change of ``office``, in ledger order (empty if unknown)."""
        return self.offices.get(office, ())

    def accreditation_entries(
        self, office: str, at: datetime
    ) -> tuple[AccreditationEntry, AccreditationEntry] | None:
        """The office's last accreditation by ``at`` and its last change by then (any kind);
        ``None`` if not accredited by then (the parts of :meth:`accreditation`)."""
        terms: AccreditationEntry | None = None
        last: AccreditationEntry | None = None
        for entry in self.offices.get(office, ()):
            if entry.time > at:
                break
            if entry.kind == "accredit":
                terms = entry
            last = entry
        if terms is None or terms.terms is None or last is None:
            return None
        return terms, last

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        """The office's accreditation as it stood at ``at``; ``None`` if not accredited by then.

        Changes count from their transaction time. A withdrawn or suspended office is returned
        with that ``state``; the window is reported, not applied (see ``allows_issuing``).
        """
        found = self.accreditation_entries(office, at)
        if found is None:
            return None
        terms, last = found
        assert terms.terms is not None  # accreditation_entries returns accreditations only
        state: AccreditationState = _STATE_AFTER[last.kind]
        # Every value below was validated when its transaction was parsed.
        return Accreditation.model_construct(
            office=office,
            as_of=at,
            state=state,
            terms=terms.terms,
            accredited_at=terms.time,
            changed_at=last.time,
            reason=last.reason,
        )

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        """Every key the office ever held, in the order they were added."""
        return tuple(self.keys[k] for k in self.office_key_ids.get(office, ()))

    def key(self, public_multikey: str) -> KeyRecord | None:
        """The record of one key (keys belong to one office only), or ``None``."""
        return self.keys.get(public_multikey)

    def key_active(self, office: str, public_multikey: str, at: datetime) -> bool:
        """Whether ``public_multikey`` was an active key of ``office`` at ``at``."""
        record = self.keys.get(public_multikey)
        return record is not None and record.office == office and record.active_at(at)

    def batch(self, batch_root: str) -> AnchorRecord | None:
        """The anchor of a batch by its Merkle root (hex), or ``None``."""
        return self.batches.get(batch_root)

    def batch_by_id(self, office: str, batch_id: str) -> AnchorRecord | None:
        """The anchor of an office's batch by its batch id, or ``None``."""
        root = self.batch_ids.get((office, batch_id))
        return None if root is None else self.batches.get(root)

    def leaf_anchor(self, leaf: str) -> LeafAnchor | None:
        """Where a published leaf digest (hex) was anchored, or ``None``."""
        found = self.leaves.get(leaf)
        if found is None:
            return None
        root, index = found
        return LeafAnchor(leaf=leaf, index=index, batch=self.batches[root])

    def status_history(
        self, office: str, *, credential_id: str | None = None, status_index: int | None = None
    ) -> tuple[StatusRecord, ...]:
        """Every status event of a credential (by id, else by status-list index)."""
        for key in status_keys(office, credential_id, status_index):
            found = self.statuses.get(key)
            if found:
                return found
        return ()

    def status_indexes(self, office: str, start: int, stop: int) -> tuple[int, ...]:
        """The status-list indexes ``start ≤ i < stop`` of ``office`` with any event, ascending."""
        found = []
        for owner, key in self.statuses:
            if owner == office and key.startswith("idx:"):
                index = int(key[4:])
                if start <= index < stop:
                    found.append(index)
        return tuple(sorted(found))

    def credential_status(
        self,
        office: str,
        *,
        credential_id: str | None = None,
        status_index: int | None = None,
        as_of: datetime,
    ) -> CredentialStatus:
        """The credential's status at ``as_of`` (DESIGN §5 step 6), with its history."""
        history = self.status_history(
            office, credential_id=credential_id, status_index=status_index
        )
        return fold_status(office, credential_id, status_index, history, as_of)


_STATE_AFTER: dict[str, AccreditationState] = {
    "accredit": "active",
    "suspend": "suspended",
    "withdraw": "withdrawn",
}
_FIELD_SET = frozenset(f.name for f in fields(LedgerState))
