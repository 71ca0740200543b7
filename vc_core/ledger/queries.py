"""The read side every :class:`~vc_core.ledger.interface.Ledger` backend shares.

A backend keeps its committed :class:`LedgerState` in ``self._state``; these methods answer the
contract's queries from it, so the memory and the embedded SQLite backends cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vc_core.errors import NotFoundError
from vc_core.ledger.records import (
    Accreditation,
    AnchorRecord,
    Council,
    CredentialStatus,
    KeyRecord,
    LeafAnchor,
)
from vc_core.ledger.state import LedgerState


class StateQueries:
    """Queries answered from the committed state (DESIGN §3)."""

    _state: LedgerState

    def council(self) -> Council:
        if self._state.council is None:
            raise NotFoundError("the chain has no council", code="NO_COUNCIL")
        return self._state.council

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        return self._state.accreditation(office, at)

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        return self._state.office_keys(office)

    def key(self, public_multikey: str) -> KeyRecord | None:
        return self._state.key(public_multikey)

    def batch(self, batch_root: str) -> AnchorRecord | None:
        return self._state.batch(batch_root)

    def leaf_anchor(self, leaf: str) -> LeafAnchor | None:
        return self._state.leaf_anchor(leaf)

    def credential_status(
        self,
        office: str,
        *,
        credential_id: str | None = None,
        status_index: int | None = None,
        as_of: datetime,
    ) -> CredentialStatus:
        return self._state.credential_status(
            office, credential_id=credential_id, status_index=status_index, as_of=as_of
        )

    def did_document(self, office: str, version_time: datetime | None = None) -> dict[str, Any]:
        return self._state.did_document(office, version_time)
