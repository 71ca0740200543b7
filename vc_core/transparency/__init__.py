"""Transparency-log proofs: RFC 6962 / RFC 9162 Merkle trees (DESIGN §3, STYLE §9)."""

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

__all__ = [
    "EMPTY_ROOT",
    "MerkleProofError",
    "MerkleTree",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "root",
    "verify_consistency",
    "verify_inclusion",
]
