"""What the ledger answers: frozen records derived from the fold (DESIGN §2, §5 steps 3–6).

These are the query results of :class:`~vc_core.ledger.state.LedgerState` and of every
:class:`~vc_core.ledger.interface.LedgerReader` backend. They are pydantic models so the
registry can return them as JSON as they are.

Example:
    >>> from datetime import UTC, datetime
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> k = KeyRecord(office="did:ecert:demo:tp", key="z6Mk" + "a" * 44, added_at=t)
    >>> k.state_at(t)
    'active'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self, cast

from pydantic import BaseModel, ConfigDict

from vc_core.ledger.bodies import (
    AccreditBody,
    EncumbranceAddEvent,
    Scope,
    StatusEvent,
)
from vc_core.ledger.fields import UtcTime

KeyState = Literal["not_yet", "active", "retired", "compromised"]
AccreditationState = Literal["active", "suspended", "withdrawn"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """A record from values the fold already validated, every field given.

        What ``model_construct`` does for such values, without its per-field walk over aliases
        and defaults (about 3 µs of an anchor's fold): a replay builds one record per
        transaction. ``tests/unit/vc_core/ledger/test_stored.py`` checks both agree.
        """
        if len(values) != len(cls.__pydantic_fields__) or cls.__pydantic_post_init__:
            return cast(Self, cls.model_construct(**values))
        record: Self = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(record, "__dict__", values)
        setattr_(record, "__pydantic_fields_set__", set(values))
        setattr_(record, "__pydantic_extra__", None)
        setattr_(record, "__pydantic_private__", None)
        return record


class Council(_Record):
    """The governance council now: members' Multikeys, M (threshold), and the block producer."""

    members: tuple[str, ...]
    threshold: int
    producer: str
    changed_at: UtcTime
    tx_hash: str


class KeyRecord(_Record):
    """One office key and its validity window (DESIGN §5 step 3).

    Active at T when ``added_at ≤ T``, ``T < retired_at`` (if retired) and ``T < compromised_since``
    (if declared compromised). The declaration times say when the ledger learnt of each change,
    which a DID document at an earlier ``versionTime`` must not show yet.
    """

    office: str
    key: str
    added_at: UtcTime
    added_tx: str = ""
    retired_at: UtcTime | None = None
    compromised_since: UtcTime | None = None
    compromise_declared_at: UtcTime | None = None
    compromise_reason: str = ""

    def state_at(self, at: datetime) -> KeyState:
        """``not_yet``, ``active``, ``retired`` or ``compromised`` at time ``at``."""
        if self.compromised_since is not None and at >= self.compromised_since:
            return "compromised"
        if at < self.added_at:
            return "not_yet"
        if self.retired_at is not None and at >= self.retired_at:
            return "retired"
        return "active"

    def active_at(self, at: datetime) -> bool:
        """Whether the key could sign for its office at ``at``."""
        return self.state_at(at) == "active"


class Accreditation(_Record):
    """An office's accreditation as it stood at ``as_of`` (DESIGN §5 step 4)."""

    office: str
    as_of: UtcTime
    state: AccreditationState
    terms: AccreditBody
    accredited_at: UtcTime
    changed_at: UtcTime
    reason: str = ""

    @property
    def scopes(self) -> tuple[Scope, ...]:
        return self.terms.scopes

    def in_window(self, at: datetime) -> bool:
        """Whether ``at`` falls in ``[valid_from, valid_until)``."""
        until = self.terms.valid_until
        return self.terms.valid_from <= at and (until is None or at < until)

    def covers(self, credential_type: str, division_code: str) -> bool:
        """Whether any scope allows this credential type for this division code."""
        return any(s.covers(credential_type, division_code) for s in self.terms.scopes)

    def allows_issuing(self, at: datetime) -> bool:
        """Active (not suspended or withdrawn) and inside the window at ``at``."""
        return self.state == "active" and self.in_window(at)


class AnchorRecord(_Record):
    """A batch anchored on chain: by whom, with which key, when, and in which transaction."""

    office: str
    batch_id: str
    batch_root: str
    leaf_count: int
    time: UtcTime
    signer: str
    tx_hash: str
    leaves_published: bool


class LeafAnchor(_Record):
    """Where a published leaf digest was anchored: its batch and its index in it."""

    leaf: str
    index: int
    batch: AnchorRecord


class StatusRecord(_Record):
    """One status event as applied: the event, its time and its transaction."""

    time: UtcTime
    tx_hash: str
    event: StatusEvent


class CredentialStatus(_Record):
    """A credential's status as of a time (DESIGN §5 step 6), with the history that led there."""

    office: str
    credential_id: str | None
    status_index: int | None
    as_of: UtcTime
    history: tuple[StatusRecord, ...]
    revoked: bool
    revocation_reason: str | None = None
    suspended: bool
    suspension_reason: str | None = None
    suspended_until: UtcTime | None = None
    superseded_by: str | None = None
    encumbrances: tuple[EncumbranceAddEvent, ...] = ()

    @property
    def valid(self) -> bool:
        """Neither revoked, suspended nor superseded."""
        return not (self.revoked or self.suspended or self.superseded_by)


class ChainHead(_Record):
    """The last block folded into a state: its height, hash and time."""

    height: int
    hash: str
    time: UtcTime


class Inclusion(_Record):
    """Where a committed transaction sits: its block (height, hash, time) and position in it."""

    tx_hash: str
    height: int
    position: int
    block_hash: str
    block_time: UtcTime


class AccreditationEntry(_Record):
    """One change to an office's accreditation, in ledger order."""

    kind: Literal["accredit", "suspend", "withdraw"]
    time: UtcTime
    tx_hash: str
    terms: AccreditBody | None = None
    reason: str = ""
