"""The ``Ledger`` protocol: one interface, several backends, one contract suite (DESIGN §3).

Backends: :class:`~vc_core.ledger.memory.MemoryLedger` (in memory, for tests and replicas), the
registry's embedded SQLite chain, and later an EVM contract. ``tests/contract/`` holds the one
test suite every backend must pass.

Semantics every backend keeps:

- ``submit`` checks the transaction against every rule at ``now``, on top of the committed
  state plus the transactions already pending, and either raises
  :class:`~vc_core.ledger.errors.LedgerRuleError` (nothing is kept) or keeps it pending and
  returns its hash.
- ``produce_block`` folds the pending transactions at the block time into one signed block and
  commits it; a pending transaction that no longer passes at that time is dropped.
- Queries answer from COMMITTED blocks only, except ``next_seq``, which counts pending
  transactions too (so an author can submit several before the next block).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger import MemoryLedger, genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> isinstance(MemoryLedger.create(genesis_tx("demo", [k], 1, k.public, t), k, t), Ledger)
    True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from vc_core.ledger.blocks import Block, BlockHeader, Checkpoint
from vc_core.ledger.records import (
    Accreditation,
    AnchorRecord,
    Council,
    CredentialStatus,
    KeyRecord,
    LeafAnchor,
)
from vc_core.ledger.tx import Transaction


@runtime_checkable
class Ledger(Protocol):
    """A registry chain: submit transactions, produce blocks, ask what the chain says."""

    @property
    def chain_id(self) -> str:
        """The chain's id (``did:ecert:<chain_id>:…``)."""
        ...

    def submit(self, tx: Transaction, now: datetime) -> str:
        """Validate ``tx`` at ``now`` and keep it pending; return its hash.

        Raises:
            LedgerRuleError: a rule is broken (``REPLAYED_TRANSACTION`` for a seq used before).
        """
        ...

    def produce_block(self, now: datetime) -> Block | None:
        """Commit the pending transactions as one block at ``now``; None when none are pending."""
        ...

    def head(self) -> BlockHeader:
        """The header of the last committed block."""
        ...

    def block(self, height: int) -> Block:
        """The committed block at ``height``. Raises NotFoundError."""
        ...

    def checkpoint(self, now: datetime) -> Checkpoint:
        """A producer-signed checkpoint of the head at ``now``."""
        ...

    def transaction(self, tx_hash: str) -> tuple[Transaction, int]:
        """A committed transaction and the height of its block. Raises NotFoundError."""
        ...

    def council(self) -> Council:
        """The council now (members, threshold M, block producer)."""
        ...

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        """The office's accreditation as it stood at ``at``."""
        ...

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        """Every key the office held, with validity windows."""
        ...

    def key(self, public_multikey: str) -> KeyRecord | None:
        """One key's record."""
        ...

    def batch(self, batch_root: str) -> AnchorRecord | None:
        """The anchor of a batch by its root (hex)."""
        ...

    def leaf_anchor(self, leaf: str) -> LeafAnchor | None:
        """Where a published leaf digest (hex) was anchored."""
        ...

    def credential_status(
        self,
        office: str,
        *,
        credential_id: str | None = None,
        status_index: int | None = None,
        as_of: datetime,
    ) -> CredentialStatus:
        """A credential's status as of a time, with its event history."""
        ...

    def next_seq(self, author: str) -> int:
        """The seq the author's next transaction must carry (pending ones counted)."""
        ...

    def did_document(self, office: str, version_time: datetime | None = None) -> dict[str, Any]:
        """The office's DID document derived from the chain."""
        ...
