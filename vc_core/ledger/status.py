"""A credential's status as of a time, folded from its status events (DESIGN §3, §5 step 6).

Semantics, in ledger order of the events whose transaction time is ≤ ``as_of``:

- ``revoke`` is final: the credential is revoked from the event's time on.
- ``suspend(from, until)`` suspends it for ``from ≤ as_of < until``; a later ``reinstate`` ends
  that suspension from the reinstatement's time on; a later ``suspend`` replaces it.
- ``supersede(by)`` names the successor from the event's time on.
- ``encumbrance.add`` / ``encumbrance.release`` keep a set of encumbrances by id.

Example:
    >>> from datetime import UTC, datetime
    >>> s = fold_status("did:ecert:demo:tp", "urn:c:1", None, (), datetime(2024, 1, 1, tzinfo=UTC))
    >>> s.valid
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from vc_core.ledger.bodies import (
    EncumbranceAddEvent,
    EncumbranceReleaseEvent,
    ReinstateEvent,
    RevokeEvent,
    SupersedeEvent,
    SuspendEvent,
)
from vc_core.ledger.records import CredentialStatus, StatusRecord


def fold_status(
    office: str,
    credential_id: str | None,
    status_index: int | None,
    history: Sequence[StatusRecord],
    as_of: datetime,
) -> CredentialStatus:
    """The :class:`CredentialStatus` of one credential at ``as_of`` from its event history."""
    seen = tuple(r for r in history if r.time <= as_of)
    revoke, suspension, successor, encumbrances = _replay(seen)
    suspended = suspension is not None and _within(suspension, as_of)
    return CredentialStatus(
        office=office,
        credential_id=credential_id,
        status_index=status_index,
        as_of=as_of,
        history=seen,
        revoked=revoke is not None,
        revocation_reason=revoke.reason if revoke else None,
        suspended=suspended,
        suspension_reason=suspension.reason if suspension and suspended else None,
        suspended_until=suspension.until if suspension and suspended else None,
        superseded_by=successor,
        encumbrances=encumbrances,
    )


def _replay(
    seen: Sequence[StatusRecord],
) -> tuple[RevokeEvent | None, SuspendEvent | None, str | None, tuple[EncumbranceAddEvent, ...]]:
    """The first revocation, the suspension in force, the successor and the encumbrances."""
    revoke: RevokeEvent | None = None
    suspension: SuspendEvent | None = None
    successor: str | None = None
    encumbrances: dict[str, EncumbranceAddEvent] = {}
    for record in seen:
        event = record.event
        if isinstance(event, RevokeEvent) and revoke is None:
            revoke = event
        elif isinstance(event, SuspendEvent):
            suspension = event
        elif isinstance(event, ReinstateEvent):
            suspension = None
        elif isinstance(event, SupersedeEvent):
            successor = event.by
        elif isinstance(event, EncumbranceAddEvent):
            encumbrances[event.encumbrance_id] = event
        elif isinstance(event, EncumbranceReleaseEvent):
            encumbrances.pop(event.encumbrance_id, None)
    return revoke, suspension, successor, tuple(encumbrances.values())


def _within(event: SuspendEvent, at: datetime) -> bool:
    return event.from_ <= at and (event.until is None or at < event.until)
