"""The chain-wide index of published leaves: leaf digest → (batch root, index in the batch).

It is the one part of a :class:`~vc_core.ledger.state.LedgerState` that grows with every
credential (a million entries for a million anchored credentials), so it has two layers:

- ``base``: a :class:`FrozenLeaves` — fixed-width records sorted by leaf, looked up by binary
  search in one ``bytes`` value. Loading it is reading the bytes: no per-entry work, which is
  what lets a replica open a large chain at once (:mod:`vc_core.ledger.statefile`).
- ``overlay``: a persistent ``rpds.HashTrieMap`` of the leaves anchored since, which the fold
  updates like any other map (O(log n) per leaf, old states untouched).

A :class:`LeafIndex` is immutable; :meth:`LeafIndex.update` returns a new one.

Example:
    >>> idx = LeafIndex().update({"ab" * 32: ("cd" * 32, 0)})
    >>> idx.get("ab" * 32) == ("cd" * 32, 0), "ef" * 32 in idx, len(idx)
    (True, False, 1)
    >>> moved = LeafIndex(idx.frozen())
    >>> moved == idx, moved.get("ab" * 32) == ("cd" * 32, 0), len(moved.overlay)
    (True, True, 0)
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Mapping
from typing import Any

from rpds import HashTrieMap

RECORD = struct.Struct(">32sII")
"""One base record: the leaf's 32 bytes, its batch root's ordinal, its index in the batch."""

_HEX32 = re.compile(r"[0-9a-f]{64}")


class FrozenLeaves:
    """Sorted fixed-width leaf records plus the batch roots they point to (read-only).

    ``records`` is the concatenation of :data:`RECORD` values in ascending leaf order, without
    duplicates; ``roots[i]`` is the hex root with ordinal ``i``.
    """

    __slots__ = ("_count", "records", "roots")

    def __init__(self, records: bytes, roots: tuple[str, ...]) -> None:
        if len(records) % RECORD.size:
            raise ValueError("the leaf records are not whole")
        self.records = records
        self.roots = roots
        self._count = len(records) // RECORD.size

    def __len__(self) -> int:
        return self._count

    def find(self, leaf: bytes) -> tuple[str, int] | None:
        """The ``(root, index)`` of a 32-byte leaf, by binary search, or ``None``."""
        records, size = self.records, RECORD.size
        low, high = 0, self._count
        while low < high:
            mid = (low + high) // 2
            start = mid * size
            found = records[start : start + 32]
            if found < leaf:
                low = mid + 1
            elif found > leaf:
                high = mid
            else:
                _, ordinal, index = RECORD.unpack_from(records, start)
                return self.roots[ordinal], index
        return None

    def items(self) -> Iterator[tuple[str, tuple[str, int]]]:
        for leaf, ordinal, index in RECORD.iter_unpack(self.records):
            yield leaf.hex(), (self.roots[ordinal], index)


class LeafIndex:
    """Leaf digest (hex) → ``(batch root, index)``: a frozen base and a persistent overlay."""

    __slots__ = ("base", "overlay")

    def __init__(
        self,
        base: FrozenLeaves | None = None,
        overlay: HashTrieMap[str, tuple[str, int]] | None = None,
    ) -> None:
        self.base = base
        self.overlay: HashTrieMap[str, tuple[str, int]] = (
            HashTrieMap() if overlay is None else overlay
        )

    def get(self, leaf: str, default: Any = None) -> Any:
        found = self.overlay.get(leaf)
        if found is not None:
            return found
        if self.base is not None and isinstance(leaf, str) and _HEX32.fullmatch(leaf):
            in_base = self.base.find(bytes.fromhex(leaf))
            if in_base is not None:
                return in_base
        return default

    def __contains__(self, leaf: object) -> bool:
        return isinstance(leaf, str) and self.get(leaf) is not None

    def update(self, entries: Mapping[str, tuple[str, int]]) -> LeafIndex:
        """A new index with ``entries`` added (the fold checks that they are new)."""
        return LeafIndex(self.base, self.overlay.update(entries))

    def items(self) -> Iterator[tuple[str, tuple[str, int]]]:
        if self.base is not None:
            yield from self.base.items()
        yield from self.overlay.items()

    def __len__(self) -> int:
        return len(self.overlay) + (0 if self.base is None else len(self.base))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LeafIndex):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def frozen(self) -> FrozenLeaves:
        """Everything in one :class:`FrozenLeaves` (the base's root ordinals are kept)."""
        roots = list(self.base.roots) if self.base is not None else []
        ordinals = {root: i for i, root in enumerate(roots)}
        records = (
            []
            if self.base is None
            else [
                self.base.records[i : i + RECORD.size]
                for i in range(0, len(self.base.records), RECORD.size)
            ]
        )
        for leaf, (root, index) in self.overlay.items():
            ordinal = ordinals.get(root)
            if ordinal is None:
                ordinal = ordinals[root] = len(roots)
                roots.append(root)
            records.append(RECORD.pack(bytes.fromhex(leaf), ordinal, index))
        records.sort()
        return FrozenLeaves(b"".join(records), tuple(roots))
