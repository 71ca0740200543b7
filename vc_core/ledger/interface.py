"""The ledger protocols: small interfaces, several backends, one contract suite (DESIGN §3).

- :class:`LedgerReader` — what the chain says: the council, an office's accreditation and keys
  at a time T, anchors of leaves and batch roots, a credential's status as of T, and the head
  the answers are as of. It names no block detail (no producer, no signed header), so a backend
  on an Ethereum-style chain can implement it too. Implemented by
  :class:`~vc_core.ledger.memory.MemoryLedger`, the registry's ``EmbeddedLedger`` and
  :class:`vc_core.replica.Replica`, with the same signatures and the same answers.
- :class:`LedgerWriter` — submit a transaction, learn the next ``seq``, find where a committed
  transaction was included.
- :class:`BlockSource` — producer-signed blocks and checkpoints, what a replica pulls.
- :class:`Ledger` — a single-producer chain (memory, embedded): reader, writer, and the block
  producer's own operations; the contract suite drives it.

A DID document is a function over any reader: :func:`vc_core.ledger.did.did_document`.

Semantics every backend keeps:

- ``submit`` checks the transaction against every rule at ``now``, on top of the committed
  state plus the transactions already pending, and either raises
  :class:`~vc_core.ledger.errors.LedgerRuleError` (nothing is kept) or keeps it pending and
  returns its hash.
- ``produce_block`` folds the pending transactions at the block time into one signed block and
  commits it; a pending transaction that no longer passes at that time is dropped.
- Reads answer from COMMITTED blocks only, except ``next_seq``, which counts pending
  transactions too (so an author can submit several before the next block).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger import MemoryLedger, genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> ledger = MemoryLedger.create(genesis_tx("demo", [k], 1, k.public, t), k, t)
    >>> isinstance(ledger, LedgerReader), isinstance(ledger, Ledger)
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from vc_core.ledger.blocks import Block, BlockHeader, Checkpoint
from vc_core.ledger.records import (
    Accreditation,
    AnchorRecord,
    ChainHead,
    Council,
    CredentialStatus,
    Inclusion,
    KeyRecord,
    LeafAnchor,
)
from vc_core.ledger.tx import Transaction


@runtime_checkable
class LedgerReader(Protocol):
    """What a chain says, as of its committed head; every time is a parameter."""

    @property
    def chain_id(self) -> str:
        """The chain's id (``did:ecert:<chain_id>:…``)."""
        ...

    def chain_head(self) -> ChainHead:
        """The committed head every answer is as of (height, hash, time).

        Raises:
            NotFoundError: the backend holds no block yet (``NO_CHAIN``).
        """
        ...

    def council(self) -> Council:
        """The council now (members, threshold M, block producer). Raises NotFoundError."""
        ...

    def offices(self) -> tuple[str, ...]:
        """The DIDs of every office ever accredited, sorted."""
        ...

    def accreditation(self, office: str, at: datetime) -> Accreditation | None:
        """The office's accreditation as it stood at ``at`` (``None``: not accredited by then)."""
        ...

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]:
        """Every key the office held, in the order added; ``record.state_at(T)`` is its state."""
        ...

    def key(self, public_multikey: str) -> KeyRecord | None:
        """One key's record (a key belongs to one office only)."""
        ...

    def batch(self, batch_root: str) -> AnchorRecord | None:
        """The anchor of a batch by its root (hex)."""
        ...

    def batch_by_id(self, office: str, batch_id: str) -> AnchorRecord | None:
        """The anchor of an office's batch by its batch id."""
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

    def status_indexes(self, office: str, start: int, stop: int) -> tuple[int, ...]:
        """The status-list indexes ``start ≤ i < stop`` of ``office`` with any status event,
        ascending (what a status list is built from)."""
        ...


@runtime_checkable
class LedgerWriter(Protocol):
    """Where transactions go in, and where a committed one ended up."""

    @property
    def chain_id(self) -> str: ...

    def submit(self, tx: Transaction, now: datetime) -> str:
        """Validate ``tx`` at ``now`` and keep it pending; return its hash.

        Raises:
            LedgerRuleError: a rule is broken (``REPLAYED_TRANSACTION`` for a seq used before).
        """
        ...

    def next_seq(self, author: str) -> int:
        """The seq the author's next transaction must carry (pending ones counted)."""
        ...

    def inclusion(self, tx_hash: str) -> Inclusion | None:
        """Where a committed transaction sits; ``None`` while pending or unknown."""
        ...


@dataclass(frozen=True)
class BlockPage:
    """Blocks from some height on, and the source's head height when it answered."""

    head: int
    blocks: list[Block]


class BlockSource(Protocol):
    """Anything that serves a producer-signed chain's blocks and checkpoints (for replicas)."""

    name: str

    def blocks(self, start: int, limit: int) -> BlockPage:
        """Blocks ``start…`` (at most ``limit``). Raises RegistryError on transport failure."""
        ...

    def checkpoint(self) -> Checkpoint:
        """The source's current signed checkpoint. Raises RegistryError."""
        ...


@runtime_checkable
class Ledger(LedgerReader, LedgerWriter, Protocol):
    """A single-producer chain: read, write, and produce blocks (memory and embedded)."""

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
