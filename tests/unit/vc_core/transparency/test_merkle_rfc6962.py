"""RFC 6962 / RFC 9162 Merkle trees against the certificate-transparency reference vectors.

Vectors: transparency-dev/merkle (the successor of google/certificate-transparency-go's merkle
package), files ``testonly/constants.go`` (leaf inputs, roots for sizes 0–8) and
``proof/verify_test.go`` (inclusion and consistency proofs). Inclusion vectors there number
leaves from 1; here they are converted to 0-based indices.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import VerificationError
from vc_core.transparency.merkle import (
    EMPTY_ROOT,
    MerkleProofError,
    MerkleTree,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (0-based index, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [  # (m, n, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def _hx(hashes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


def test_prefixes_follow_rfc_9162_2_1_1() -> None:
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        hash_children(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size: int) -> None:
    assert root(LEAVES[:size]).hex() == ROOTS[size]


def test_empty_tree_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == root([])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    assert inclusion_proof(LEAVES[:size], index) == _hx(proof)
    verify_inclusion(hash_leaf(LEAVES[index]), index, size, _hx(proof), bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_reference_consistency_proofs(m: int, n: int, proof: list[str]) -> None:
    assert consistency_proof(m, LEAVES[:n]) == _hx(proof)
    verify_consistency(m, n, _hx(proof), bytes.fromhex(ROOTS[m]), bytes.fromhex(ROOTS[n]))


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_reference_inclusion_probes_fail(index: int, size: int, proof: list[str]) -> None:
    """The corruptions transparency-dev's verifierCheck tries; every one must raise."""
    leaf, good, r = hash_leaf(LEAVES[index]), _hx(proof), bytes.fromhex(ROOTS[size])
    probes = [
        (index - 1, size, good, r, leaf),
        (index + 1, size, good, r, leaf),
        (index ^ 2, size, good, r, leaf),
        (index, size * 2, good, r, leaf),
        (index, size // 2, good, r, leaf),
        (index, size, good, r, hash_leaf(b"WrongLeaf")),
        (index, size, good, EMPTY_ROOT, leaf),
        (index, size, [*good, b""], r, leaf),
        (index, size, [*good, r], r, leaf),
        (index, size, [r, *good], r, leaf),
        (index, size, good[:-1], r, leaf),
    ]
    for i, s, p, rt, lf in probes:
        with pytest.raises(MerkleProofError):
            verify_inclusion(lf, i, s, p, rt)


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY[1:])
def test_reference_consistency_probes_fail(m: int, n: int, proof: list[str]) -> None:
    good, r1, r2 = _hx(proof), bytes.fromhex(ROOTS[m]), bytes.fromhex(ROOTS[n])
    probes = [
        (m - 1, n, good, r1, r2),
        (m + 1, n, good, r1, r2),
        (m ^ 2, n, good, r1, r2),
        (m, n * 2, good, r1, r2),
        (m, n // 2, good, r1, r2),
        (m, n, good, r2, r1),
        (m, n, [], r1, r2),
        (m, n, [*good, r1], r1, r2),
        (m, n, [r2, *good], r1, r2),
        (m, n, [good[0], *good], r1, r2),
        (m, n, good[:-1], r1, r2),
    ]
    for a, b, p, o, nw in probes:
        with pytest.raises(MerkleProofError):
            verify_consistency(a, b, p, o, nw)


def test_trivial_consistency_cases() -> None:
    verify_consistency(0, 5, [], EMPTY_ROOT, bytes.fromhex(ROOTS[5]))
    verify_consistency(3, 3, [], bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[3]))
    with pytest.raises(MerkleProofError):
        verify_consistency(3, 3, [], bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[4]))
    with pytest.raises(MerkleProofError):
        verify_consistency(4, 3, [], bytes.fromhex(ROOTS[4]), bytes.fromhex(ROOTS[3]))


def test_errors_are_verification_errors_with_codes() -> None:
    with pytest.raises(VerificationError) as info:
        verify_inclusion(b"\x00" * 32, 0, 0, [], EMPTY_ROOT)
    assert info.value.code == "INCLUSION_PROOF_INVALID"
    with pytest.raises(MerkleProofError) as info2:
        MerkleTree([b"a"]).inclusion_proof(1)
    assert info2.value.code == "MERKLE_INPUT_INVALID"


def test_prehashed_tree_matches() -> None:
    hashes = [hash_leaf(x) for x in LEAVES]
    assert root(hashes, prehashed=True) == root(LEAVES)
    with pytest.raises(MerkleProofError):
        MerkleTree([b"short"], prehashed=True)


# Property tests -----------------------------------------------------------------------------


def _mth(leaves: list[bytes]) -> bytes:
    """The recursive definition of RFC 9162 §2.1.1, as an independent oracle."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hash_leaf(leaves[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return hash_children(_mth(leaves[:k]), _mth(leaves[k:]))


def _flip(value: bytes, bit: int) -> bytes:
    b = bytearray(value)
    b[bit // 8 % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=200, deadline=None)
@given(n=sizes, data=st.data())
def test_every_inclusion_proof_verifies_and_any_bit_flip_fails(n: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    tree = MerkleTree(leaves)
    assert tree.root == _mth(leaves)
    index = data.draw(st.integers(0, n - 1))
    proof = tree.inclusion_proof(index)
    verify_inclusion(tree.leaf_hash(index), index, n, proof, tree.root)
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(MerkleProofError):
        verify_inclusion(_flip(tree.leaf_hash(index), bit), index, n, proof, tree.root)
    with pytest.raises(MerkleProofError):
        verify_inclusion(tree.leaf_hash(index), index, n, proof, _flip(tree.root, bit))
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:j], _flip(proof[j], bit), *proof[j + 1 :]]
        with pytest.raises(MerkleProofError):
            verify_inclusion(tree.leaf_hash(index), index, n, bad, tree.root)


@settings(max_examples=200, deadline=None)
@given(n=sizes, data=st.data())
def test_every_consistency_proof_verifies_and_any_bit_flip_fails(
    n: int, data: st.DataObject
) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    tree = MerkleTree(leaves)
    m = data.draw(st.integers(0, n))
    old = _mth(leaves[:m])
    proof = tree.consistency_proof(m)
    verify_consistency(m, n, proof, old, tree.root)
    if m in (0, n):
        return
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(MerkleProofError):
        verify_consistency(m, n, proof, _flip(old, bit), tree.root)
    with pytest.raises(MerkleProofError):
        verify_consistency(m, n, proof, old, _flip(tree.root, bit))
    j = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:j], _flip(proof[j], bit), *proof[j + 1 :]]
    with pytest.raises(MerkleProofError):
        verify_consistency(m, n, bad, old, tree.root)


def test_a_million_leaves_builds_and_proves_in_log_n() -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 20)]
    tree = MerkleTree(leaves)
    proof = tree.inclusion_proof(777_777)
    assert len(proof) == 20
    verify_inclusion(hash_leaf(leaves[777_777]), 777_777, tree.size, proof, tree.root)
    verify_consistency(
        1000, tree.size, tree.consistency_proof(1000), tree_root(leaves[:1000]), tree.root
    )


def tree_root(leaves: list[bytes]) -> bytes:
    return MerkleTree(leaves).root
