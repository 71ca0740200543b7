"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, as pure functions.

Hashing follows RFC 9162 §2.1.1 (RFC 6962 §2.1): a leaf hash is ``SHA-256(0x00 ‖ data)``, an
interior node is ``SHA-256(0x01 ‖ left ‖ right)``, and the empty tree hashes to ``SHA-256("")``.
The registry uses these trees twice (DESIGN §3): for each office's batch of credential digests
(the leaf data is the 32-byte digest) and for the transaction hashes of each block.

Proofs are built by :class:`MerkleTree` (levels stored once) and checked here. The two
``verify_*`` functions RAISE :class:`MerkleProofError` on any failure and return ``None``
otherwise; they never return a bool (STYLE §9).

Example:
    >>> leaves = [b"a", b"b", b"c"]
    >>> proof = inclusion_proof(leaves, 2)
    >>> verify_inclusion(hash_leaf(b"c"), 2, 3, proof, root(leaves))
    >>> verify_consistency(2, 3, consistency_proof(2, leaves), root(leaves[:2]), root(leaves))
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from vc_core.errors import VerificationError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleProofError(VerificationError):
    """An inclusion or consistency proof does not verify (RFC 9162 §2.1.3.2, §2.1.4.2).

    Codes: ``INCLUSION_PROOF_INVALID``, ``CONSISTENCY_PROOF_INVALID``, ``MERKLE_INPUT_INVALID``.
    """

    default_code = "INCLUSION_PROOF_INVALID"


def hash_leaf(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)`` — the hash of one leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)`` — the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes], *, prehashed: bool = False) -> bytes:
    """The Merkle Tree Hash (MTH) of ``leaves`` (RFC 9162 §2.1.1); ``EMPTY_ROOT`` when empty.

    Args:
        leaves: leaf data, or leaf hashes when ``prehashed`` is true.
        prehashed: the items are already ``hash_leaf`` outputs.
    """
    return MerkleTree(leaves, prehashed=prehashed).root


def inclusion_proof(leaves: Sequence[bytes], index: int, *, prehashed: bool = False) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 9162 §2.1.3.1).

    For many proofs over one batch, build a :class:`MerkleTree` once.

    Raises:
        MerkleProofError: ``index`` is outside the tree (code ``MERKLE_INPUT_INVALID``).
    """
    return MerkleTree(leaves, prehashed=prehashed).inclusion_proof(index)


def consistency_proof(m: int, leaves: Sequence[bytes], *, prehashed: bool = False) -> list[bytes]:
    """The proof that the first ``m`` leaves are a prefix of ``leaves`` (RFC 9162 §2.1.4.1).

    Raises:
        MerkleProofError: ``m`` is not in ``0..len(leaves)`` (code ``MERKLE_INPUT_INVALID``).
    """
    return MerkleTree(leaves, prehashed=prehashed).consistency_proof(m)


def _fail(message: str, code: str) -> MerkleProofError:
    return MerkleProofError(message, code=code)


def _check_hash(value: bytes, what: str, code: str) -> None:
    if len(value) != HASH_SIZE:
        raise _fail(f"{what} is {len(value)} bytes; a SHA-256 hash is {HASH_SIZE}", code)


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], fn: int, sn: int) -> bytes:
    """Steps 4a–4c of RFC 9162 §2.1.3.2 for the path entries; returns ``r``."""
    r = seed
    for p in proof:
        if sn == 0:
            raise _fail("the inclusion proof is too long", "INCLUSION_PROOF_INVALID")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _fail("the inclusion proof is too short", "INCLUSION_PROOF_INVALID")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``expected_root``.

    The algorithm of RFC 9162 §2.1.3.2: (1) ``index < size``; (2) ``fn = index``,
    ``sn = size - 1``; (3) ``r = leaf_hash``; (4) fold each path entry in from the left or the
    right; (5) ``sn`` must end at 0 and ``r`` must equal the root.

    Raises:
        MerkleProofError: code ``INCLUSION_PROOF_INVALID`` for any failure.
    """
    code = "INCLUSION_PROOF_INVALID"
    if not 0 <= index < size:
        raise _fail(f"leaf index {index} is outside a tree of size {size}", code)
    _check_hash(leaf_hash, "the leaf hash", code)
    _check_hash(expected_root, "the root", code)
    for p in proof:
        _check_hash(p, "a proof entry", code)
    r = _chain_inner_right(leaf_hash, proof, index, size - 1)
    if r != expected_root:
        raise _fail("the inclusion proof leads to a different root", code)


def _consistency_trivial(
    m: int, n: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Cases outside the §2.1.4.2 loop: ``m == 0`` or ``m == n``. True when handled."""
    code = "CONSISTENCY_PROOF_INVALID"
    if m == 0:
        if proof:
            raise _fail("a proof from the empty tree must be empty", code)
        if old_root != EMPTY_ROOT:
            raise _fail("the old root is not the empty tree's root", code)
        return True
    if m == n:
        if proof:
            raise _fail("a proof between equal sizes must be empty", code)
        if old_root != new_root:
            raise _fail("equal tree sizes with different roots", code)
        return True
    return False


def _consistency_roots(path: Sequence[bytes], fn: int, sn: int) -> tuple[bytes, bytes, int]:
    """Steps 4–6 of RFC 9162 §2.1.4.2: fold the path into the old and new roots."""
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _fail("the consistency proof is too long", "CONSISTENCY_PROOF_INVALID")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return fr, sr, sn


def verify_consistency(
    m: int, n: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of size ``m`` with ``old_root`` is a prefix of ``n`` with ``new_root``.

    The algorithm of RFC 9162 §2.1.4.2: (1) an empty path fails; (2) when ``m`` is a power of
    two, prepend ``old_root``; (3) ``fn = m - 1``, ``sn = n - 1``; (4) shift off the low set bits
    of ``fn``; (5) ``fr = sr = path[0]``; (6) fold the rest into both roots; (7) ``fr`` must
    equal the old root, ``sr`` the new root, and ``sn`` must reach 0. ``m == 0`` and ``m == n``
    are checked first: both need an empty proof.

    Raises:
        MerkleProofError: code ``CONSISTENCY_PROOF_INVALID`` for any failure.
    """
    code = "CONSISTENCY_PROOF_INVALID"
    if not 0 <= m <= n:
        raise _fail(f"cannot prove size {m} is a prefix of size {n}", code)
    _check_hash(old_root, "the old root", code)
    _check_hash(new_root, "the new root", code)
    for p in proof:
        _check_hash(p, "a proof entry", code)
    if _consistency_trivial(m, n, proof, old_root, new_root):
        return
    if not proof:
        raise _fail("the consistency proof is empty", code)
    path = [old_root, *proof] if m & (m - 1) == 0 else list(proof)
    fr, sr, sn = _consistency_roots(path, m - 1, n - 1)
    if sn != 0 or fr != old_root or sr != new_root:
        raise _fail("the consistency proof does not join the two roots", code)


class MerkleTree:
    """An RFC 6962 tree over a fixed list of leaves, for many O(log n) proofs (RFC 9162 §2.1).

    Every level is built once: level 0 holds the leaf hashes, and level ``h + 1`` pairs the
    nodes of level ``h``, carrying a lone last node up unchanged. A node of level ``h`` at
    position ``j`` is then the Merkle Tree Hash of leaves ``[j·2^h, min((j+1)·2^h, n))``, which
    is exactly the subtree hash that RFC 9162's recursive definitions ask for. A batch of a
    million leaves takes about two million SHA-256 calls and 64 MiB to build.

    Example:
        >>> t = MerkleTree([b"x", b"y", b"z"])
        >>> verify_inclusion(t.leaf_hash(1), 1, t.size, t.inclusion_proof(1), t.root)
    """

    __slots__ = ("_levels",)

    def __init__(self, leaves: Sequence[bytes], *, prehashed: bool = False) -> None:
        if prehashed:
            level = list(leaves)
            for h in level:
                _check_hash(h, "a leaf hash", "MERKLE_INPUT_INVALID")
        else:
            level = [hash_leaf(x) for x in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            pairs = [hash_children(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                pairs.append(level[-1])
            level = pairs
            self._levels.append(level)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """The Merkle Tree Hash of all leaves; ``EMPTY_ROOT`` for no leaves."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        self._check_index(index)
        return self._levels[0][index]

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise _fail(
                f"leaf index {index} is outside a tree of size {self.size}", "MERKLE_INPUT_INVALID"
            )

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index``, bottom-up (RFC 9162 §2.1.3.1 ``PATH``)."""
        self._check_index(index)
        proof: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index >>= 1
        return proof

    def consistency_proof(self, m: int) -> list[bytes]:
        """The proof that the first ``m`` leaves are a prefix (RFC 9162 §2.1.4.1 ``PROOF``)."""
        if not 0 <= m <= self.size:
            raise _fail(
                f"size {m} is not a prefix of a tree of size {self.size}", "MERKLE_INPUT_INVALID"
            )
        if m in (0, self.size):
            return []
        return self._subproof(m, 0, self.size, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        """``SUBPROOF(m, D[start:end], b)`` of RFC 9162 §2.1.4.1, with ``m`` relative to start."""
        if m == end - start:
            return [] if complete else [self._node(start, end)]
        k = 1 << ((end - start - 1).bit_length() - 1)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self._node(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._node(start, start + k)]

    def _node(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``: an aligned subtree, complete or on the right edge."""
        height = (end - start - 1).bit_length()
        return self._levels[height][start >> height]
