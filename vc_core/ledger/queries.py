"""The :class:`~vc_core.ledger.interface.LedgerReader` side every state-folding backend shares.

A backend that folds blocks into a :class:`LedgerState` (memory, embedded, replica) answers the
reader's queries from its committed state through this mixin, so the backends cannot drift
apart. The backend says where its committed state is by overriding :meth:`_committed`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from vc_core.errors import NotFoundError
from vc_core.ledger.errors import LookupCode
from vc_core.ledger.records import (
    Accreditation,
    AnchorRecord,
    ChainHead,
    Council,
    CredentialStatus,
    KeyRecord,
    LeafAnchor,
)
from vc_core.ledger.state import LedgerState

T = TypeVar("T")

# Bounds on the remembered answers: per committed state, at most this many, and none whose key
# holds a string longer than this (a hostile credential id must not be kept in memory).
MAX_REMEMBERED = 4096
MAX_REMEMBERED_TEXT = 256
_MISSING: Any = object()


class _Remembered:
    """Answers already built from one committed state. The state is immutable and every answer
    is a frozen record that depends only on the state and the question, so an answer cannot go
    stale; a new block means a new state, and :meth:`StateQueries._remember` starts afresh."""

    __slots__ = ("answers", "state")

    def __init__(self, state: LedgerState) -> None:
        self.state = state
        self.answers: dict[Hashable, Any] = {}


class StateQueries:
    """:class:`~vc_core.ledger.interface.LedgerReader` answered from a committed state.

    The records a verification asks for (an accreditation as of T, a leaf's anchor, a
    credential's status as of T) are built once per committed state and question: a
    verification asks for the accreditation at the anchor time twice, and credentials of one
    batch share it. ``as_of`` times are part of the question exactly, time zone included, so
    the record returned is the one the state itself would build.
    """

    _remembered: _Remembered | None = None

    def _remember(self, state: LedgerState, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """``build()``'s answer, remembered for ``state`` under ``key``."""
        found = self._remembered
        if found is None or found.state is not state:
            found = _Remembered(state)
            self._remembered = found
        answers = found.answers
        try:
            answer = answers.get(key, _MISSING)
        except TypeError:  # an unhashable time zone: answer without remembering
            return build()
        if answer is _MISSING:
            answer = build()
            if len(answers) >= MAX_REMEMBERED:
                answers.clear()
            answers[key] = answer
        result: T = answer
        return result

    def _committed(self) -> LedgerState:
        """The committed state (raises NotFoundError when there is none yet)."""
        raise NotImplementedError

    @property
    def chain_id(self) -> str:
        return self._committed().chain_id

    def chain_head(self) -> ChainHead:
        head = self._committed().head
        if head is None:
            raise NotFoundError("the chain has no block yet", code=LookupCode.NO_CHAIN)
        return head

    def council(self) -> Council:
        council = self._committed().council
        if council is None:
            raise NotFoundError("the chain has no council", code=LookupCode.NO_COUNCIL)
        return council

    def offices(self) -> tuple[str, ...]:
        return tuple(sorted(self._committed().offices.keys()))

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        state = self._committed()
        if len(office) > MAX_REMEMBERED_TEXT:
            return state.accreditation(office, at)
        key = ("accreditation", office, at, at.tzinfo)
        return self._remember(state, key, lambda: state.accreditation(office, at))

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        return self._committed().office_keys(office)

    def key(self, public_multikey: str) -> KeyRecord | None:
        return self._committed().key(public_multikey)

    def batch(self, batch_root: str) -> AnchorRecord | None:
        return self._committed().batch(batch_root)

    def batch_by_id(self, office: str, batch_id: str) -> AnchorRecord | None:
        return self._committed().batch_by_id(office, batch_id)

    def leaf_anchor(self, leaf: str) -> LeafAnchor | None:
        state = self._committed()
        if len(leaf) > MAX_REMEMBERED_TEXT:
            return state.leaf_anchor(leaf)
        return self._remember(state, ("leaf", leaf), lambda: state.leaf_anchor(leaf))

    def credential_status(
        self,
        office: str,
        *,
        credential_id: str | None = None,
        status_index: int | None = None,
        as_of: datetime,
    ) -> CredentialStatus:
        state = self._committed()

        def build() -> CredentialStatus:
            return state.credential_status(
                office, credential_id=credential_id, status_index=status_index, as_of=as_of
            )

        if len(office) > MAX_REMEMBERED_TEXT or len(credential_id or "") > MAX_REMEMBERED_TEXT:
            return build()
        key = ("status", office, credential_id, status_index, as_of, as_of.tzinfo)
        return self._remember(state, key, build)

    def status_indexes(self, office: str, start: int, stop: int) -> tuple[int, ...]:
        return self._committed().status_indexes(office, start, stop)
