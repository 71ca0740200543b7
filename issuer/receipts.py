"""Anchor receipts built by the office from the block that included its batch.

Why not store one receipt per credential: a receipt carries the whole anchor transaction, and an
anchor that publishes its leaves holds 64 hex digits per leaf, so each receipt of a 1,024-leaf
batch is about 70 kB; storing them all would write 70 MB per batch, and fetching them
(``GET /receipts/{leaf}`` once per leaf) would cost a thousand requests. The worker instead
stores the including block once per batch (:class:`~issuer.tables.BatchRow` ``block`` and
``tx_position``), and :func:`receipt_for` builds a leaf's receipt on demand exactly as the
registry does (:func:`vc_core.anchoring.make_receipt`: RFC 9162 §2.1.3 audit paths in the batch
tree and in the block's transaction tree), reusing both trees for every leaf of the batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from vc_core.anchoring import AnchorReceipt
from vc_core.anchoring.receipt import TxProof
from vc_core.errors import InternalError
from vc_core.ledger import AnchorBody, Block
from vc_core.transparency.merkle import MerkleTree


@dataclass(frozen=True)
class _BatchTrees:
    block: Block
    position: int
    index_of: dict[str, int]
    batch: MerkleTree
    txs: MerkleTree


@lru_cache(maxsize=16)
def _trees(block_json: str, position: int) -> _BatchTrees:
    block = Block.model_validate(json.loads(block_json))
    body = block.transactions[position].body
    if not isinstance(body, AnchorBody) or body.leaves is None:
        raise InternalError("the stored block holds no anchor with leaves at that position")
    return _BatchTrees(
        block=block,
        position=position,
        index_of={leaf: i for i, leaf in enumerate(body.leaves)},
        batch=MerkleTree([bytes.fromhex(x) for x in body.leaves]),
        txs=MerkleTree([bytes.fromhex(t.hash) for t in block.transactions]),
    )


def receipt_for(block_json: str, position: int, leaf: str) -> AnchorReceipt:
    """The receipt of ``leaf`` in the anchor at ``position`` of the stored block.

    Raises:
        InternalError: the stored block does not hold this leaf (the database is inconsistent).
    """
    trees = _trees(block_json, position)
    index = trees.index_of.get(leaf)
    if index is None:
        raise InternalError("a stored leaf is missing from its batch's anchor")
    tx = trees.block.transactions[position]
    body = tx.body
    assert isinstance(body, AnchorBody)  # checked in _trees
    return AnchorReceipt(
        leaf=leaf,
        leaf_index=index,
        tree_size=trees.batch.size,
        path=tuple(p.hex() for p in trees.batch.inclusion_proof(index)),
        batch_root=body.batch_root,
        anchor_tx=tx,
        tx_inclusion=TxProof(
            index=position,
            tree_size=trees.txs.size,
            path=tuple(p.hex() for p in trees.txs.inclusion_proof(position)),
        ),
        header=trees.block.header,
        signature=trees.block.signature,
    )
