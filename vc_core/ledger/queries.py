"""The :class:`~vc_core.ledger.interface.LedgerReader` side every state-folding backend shares.

A backend that folds blocks into a :class:`LedgerState` (memory, embedded, replica) answers the
reader's queries from its committed state through this mixin, so the backends cannot drift
apart. The backend says where its committed state is by overriding :meth:`_committed`.
"""

from __future__ import annotations

from datetime import datetime

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


class StateQueries:
    """:class:`~vc_core.ledger.interface.LedgerReader` answered from a committed state."""

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
        return self._committed().accreditation(office, at)

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        return self._committed().office_keys(office)

    def key(self, public_multikey: str) -> KeyRecord | None:
        return self._committed().key(public_multikey)

    def batch(self, batch_root: str) -> AnchorRecord | None:
        return self._committed().batch(batch_root)

    def batch_by_id(self, office: str, batch_id: str) -> AnchorRecord | None:
        return self._committed().batch_by_id(office, batch_id)

    def leaf_anchor(self, leaf: str) -> LeafAnchor | None:
        return self._committed().leaf_anchor(leaf)

    def credential_status(
        self,
        office: str,
        *,
        credential_id: str | None = None,
        status_index: int | None = None,
        as_of: datetime,
    ) -> CredentialStatus:
        return self._committed().credential_status(
            office, credential_id=credential_id, status_index=status_index, as_of=as_of
        )

    def status_indexes(self, office: str, start: int, stop: int) -> tuple[int, ...]:
        return self._committed().status_indexes(office, start, stop)
