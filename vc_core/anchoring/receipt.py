"""Anchor receipts: proof that a credential's digest was anchored in a producer-signed block.

A receipt (DESIGN §4 "Anchoring") links a credential to a block header in four steps, each
checked by :func:`verify_receipt`:

1. The credential's digest (:func:`credential_digest`, SHA-256 of the RFC 8785 JCS of the
   secured credential, proof included) is the receipt's ``leaf``.
2. ``path`` leads from ``hash_leaf(leaf)`` at ``leaf_index`` to ``batch_root`` in a tree of
   ``tree_size`` leaves (RFC 9162 §2.1.3.2; :mod:`vc_core.transparency.merkle`).
3. ``anchor_tx`` is the office-signed ``anchor`` transaction whose body names that root and
   that leaf count (and, when it publishes its leaves, this leaf at this index).
4. ``tx_inclusion.path`` leads from the anchor transaction's hash to the header's ``tx_root``
   (the same RFC 6962 tree over the block's transaction hashes), and ``header`` carries the
   producer's Ed25519 ``signature`` by the producer the chain names for that height
   (:class:`ChainFacts`).

What a receipt alone does not prove: that the office's key was active and the office accredited
at the anchor time, and the credential's status. Those are chain facts; a verifier reads them
from its replica, or offline from an :class:`~vc_core.anchoring.bundle.OfflineBundle`.

A receipt has one serialized form, the JCS of the model (:meth:`AnchorReceipt.to_json`), and
:meth:`AnchorReceipt.from_json` refuses any other byte sequence: a changed byte either changes a
value — which a check above catches — or is refused as not canonical. When the batch publishes
its leaves, the anchor transaction inside the receipt carries all of them (64 hex digits per
leaf), so a receipt grows with its batch; issuers that want small receipts keep batches small.

Example:
    >>> credential_digest({"b": 1, "a": "x"}) == credential_digest({"a": "x", "b": 1})
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, Literal, Self, TypeVar

from pydantic import Field, ValidationError

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, ProofError, VerificationError
from vc_core.jsonio import JsonCode, parse_json
from vc_core.ledger import AnchorBody, Block, BlockHeader, Transaction, verify_signatures
from vc_core.ledger.base import LedgerModel
from vc_core.ledger.errors import LedgerRuleError
from vc_core.ledger.fields import MAX_SAFE_INT, Hex32
from vc_core.ledger.sigs import SIGNATURE_PATTERN, decode_signature, encode_signature
from vc_core.ledger.sigs import verify_signature as verify_ed25519
from vc_core.ledger.tx import MAX_TX_BYTES
from vc_core.models import Credential
from vc_core.transparency.merkle import MerkleProofError, MerkleTree, hash_leaf, verify_inclusion

RECEIPT_FORMAT: Final = "ecert-anchor-receipt/1"
MAX_RECEIPT_BYTES = MAX_TX_BYTES + 64 * 1024
_DUMP: dict[str, Any] = {"mode": "json", "by_alias": True, "exclude_none": True}


class ReceiptCode(StrEnum):
    """Stable codes of :class:`ReceiptError`, one per link of the receipt."""

    LEAF_MISMATCH = "RECEIPT_LEAF_MISMATCH"
    LEAF_NOT_IN_BATCH = "RECEIPT_LEAF_NOT_IN_BATCH"
    NOT_AN_ANCHOR = "RECEIPT_NOT_AN_ANCHOR"
    BATCH_MISMATCH = "RECEIPT_BATCH_MISMATCH"
    ANCHOR_SIGNATURE_INVALID = "RECEIPT_ANCHOR_SIGNATURE_INVALID"
    TX_NOT_IN_BLOCK = "RECEIPT_TX_NOT_IN_BLOCK"
    WRONG_CHAIN = "RECEIPT_WRONG_CHAIN"
    WRONG_PRODUCER = "RECEIPT_WRONG_PRODUCER"
    BLOCK_SIGNATURE_INVALID = "RECEIPT_BLOCK_SIGNATURE_INVALID"
    NOT_CANONICAL = "NOT_CANONICAL"


class ReceiptError(VerificationError):
    """A receipt does not link the credential to a producer-signed block (``code`` says where)."""

    default_code = ReceiptCode.LEAF_NOT_IN_BATCH


def credential_digest(credential: Credential | Mapping[str, Any]) -> str:
    """Hex SHA-256 of the RFC 8785 JCS of the secured credential (its proofs included).

    This is the leaf an issuer anchors for the credential (DESIGN §4 "Anchoring"). Any change to
    any value of the credential, its proof included, changes it.
    """
    value = credential.to_dict() if isinstance(credential, Credential) else dict(credential)
    return hashlib.sha256(jcs(value)).hexdigest()


@dataclass(frozen=True)
class ChainFacts:
    """What a receipt is checked against: the chain id and who produced blocks when.

    ``producers`` lists ``(from_height, producer Multikey)`` in ascending height: the genesis
    producer from height 0, and each ``council.update`` that named a new producer from the
    block after its own. A verifier builds it from its replica or from an offline bundle.
    """

    chain_id: str
    producers: tuple[tuple[int, str], ...]

    @classmethod
    def from_genesis(cls, genesis_block: Block) -> Self:
        """The facts of a chain whose producer never changed, from its (trusted) block 0."""
        producer = genesis_block.header.producer
        return cls(chain_id=genesis_block.header.chain_id, producers=((0, producer),))

    def producer_at(self, height: int) -> str | None:
        """The producer in force for the block at ``height`` (``None`` before any is known)."""
        found = None
        for start, producer in self.producers:
            if start <= height:
                found = producer
        return found


class TxProof(LedgerModel):
    """A transaction's place in its block: RFC 6962 audit path of its hash to ``tx_root``."""

    index: int = Field(ge=0, le=MAX_SAFE_INT, strict=True)
    tree_size: int = Field(ge=1, le=MAX_SAFE_INT, strict=True)
    path: tuple[Hex32, ...]


class CanonicalModel(LedgerModel):
    """A frozen wire model with one serialized form, its RFC 8785 JCS, and a strict parser."""

    max_bytes: ClassVar[int] = 1_048_576

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(**_DUMP)

    def to_json(self) -> str:
        """The one serialized form: RFC 8785 JCS of the model."""
        return jcs(self.to_dict()).decode("utf-8")

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Parse; refuses anything but the canonical (JCS) bytes (see :func:`parse_canonical`).

        Raises:
            MalformedError: not JSON, not this model, or not canonical (``NOT_CANONICAL``).
        """
        return parse_canonical(cls, data, max_bytes=cls.max_bytes)


class AnchorReceipt(CanonicalModel):
    """A credential's anchor receipt (see the module docstring for what each field proves)."""

    format: Literal["ecert-anchor-receipt/1"] = RECEIPT_FORMAT
    leaf: Hex32
    leaf_index: int = Field(ge=0, le=MAX_SAFE_INT, strict=True)
    tree_size: int = Field(ge=1, le=MAX_SAFE_INT, strict=True)
    path: tuple[Hex32, ...]
    batch_root: Hex32
    anchor_tx: Transaction
    tx_inclusion: TxProof
    header: BlockHeader
    signature: str = Field(pattern=SIGNATURE_PATTERN)

    @property
    def office(self) -> str:
        """The DID of the office that anchored the batch (the anchor transaction's author)."""
        return self.anchor_tx.author

    @property
    def anchored_at(self) -> datetime:
        """The anchor transaction's time: the "anchor time" of DESIGN §5 steps 3 and 4."""
        return self.anchor_tx.time

    max_bytes: ClassVar[int] = MAX_RECEIPT_BYTES

    @property
    def height(self) -> int:
        return self.header.height


M = TypeVar("M", bound=CanonicalModel)


def parse_canonical(model: type[M], data: str | bytes, *, max_bytes: int) -> M:
    """``model`` parsed from ``data``, which must be exactly the model's JCS serialization.

    One value, one byte form: a byte that changes no value (a lower-case ``t`` in a time, an
    escaped character, a space) is refused here rather than silently accepted.

    Raises:
        MalformedError: not JSON (``NOT_JSON`` and the bounded parser's codes), not the model
            (``MALFORMED_<MODEL>``), or not canonical (``NOT_CANONICAL``).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    name = model.__name__
    try:
        value = parse_json(raw, max_bytes=max_bytes)
    except UnicodeDecodeError as exc:
        raise MalformedError(f"a {name} must be UTF-8 JSON", code=JsonCode.NOT_JSON) from exc
    try:
        parsed = model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        raise MalformedError(
            f"{name}.{where}: {first['msg']}", code=f"MALFORMED_{name.upper()}", field=where
        ) from exc
    if jcs(parsed.to_dict()) != raw:
        raise MalformedError(
            f"a {name} must be exactly its RFC 8785 (JCS) serialization",
            code=ReceiptCode.NOT_CANONICAL,
        )
    return parsed


def make_receipt(block: Block, position: int, leaf: str) -> AnchorReceipt:
    """The receipt of ``leaf`` in the anchor transaction at ``position`` of ``block``.

    The anchor must publish its leaves (the builder needs them for the path); an issuer that
    anchors without publishing builds receipts from its own copy of the batch instead.

    Raises:
        ReceiptError: the transaction is not an anchor, or ``leaf`` is not one of its leaves.
    """
    tx = block.transactions[position]
    body = tx.body
    if not isinstance(body, AnchorBody) or body.leaves is None:
        raise ReceiptError(
            f"transaction {tx.hash} publishes no leaves", code=ReceiptCode.NOT_AN_ANCHOR
        )
    if leaf not in body.leaves:
        raise ReceiptError(f"{leaf} is not a leaf of {tx.hash}", code=ReceiptCode.LEAF_MISMATCH)
    index = body.leaves.index(leaf)
    batch = MerkleTree([bytes.fromhex(x) for x in body.leaves])
    txs = MerkleTree([bytes.fromhex(t.hash) for t in block.transactions])
    return AnchorReceipt(
        leaf=leaf,
        leaf_index=index,
        tree_size=batch.size,
        path=tuple(p.hex() for p in batch.inclusion_proof(index)),
        batch_root=body.batch_root,
        anchor_tx=tx,
        tx_inclusion=TxProof(
            index=position,
            tree_size=txs.size,
            path=tuple(p.hex() for p in txs.inclusion_proof(position)),
        ),
        header=block.header,
        signature=block.signature,
    )


def verify_receipt(
    receipt: AnchorReceipt, credential: Credential | Mapping[str, Any], facts: ChainFacts
) -> None:
    """Check that ``receipt`` anchors ``credential`` in a block the chain's producer signed.

    The steps are those of the module docstring: (1) the digest is the leaf; (2) the leaf's
    path leads to the batch root; (3) the anchor transaction names that root and count and is
    signed by its author; (4) its hash's path leads to the header's ``tx_root``; (5) the header
    is of this chain and signed by the producer ``facts`` names for its height.

    Raises:
        ReceiptError: the first link that fails; ``code`` is a :class:`ReceiptCode`.
    """
    if credential_digest(credential) != receipt.leaf:
        raise ReceiptError(
            "the credential's digest is not the receipt's leaf", code=ReceiptCode.LEAF_MISMATCH
        )
    _check_path(
        hash_leaf(bytes.fromhex(receipt.leaf)),
        receipt.leaf_index,
        receipt.tree_size,
        receipt.path,
        receipt.batch_root,
        code=ReceiptCode.LEAF_NOT_IN_BATCH,
    )
    check_anchor_tx(receipt)
    proof = receipt.tx_inclusion
    if proof.tree_size != receipt.header.tx_count:
        raise ReceiptError(
            "the transaction path is for another block size", code=ReceiptCode.TX_NOT_IN_BLOCK
        )
    _check_path(
        hash_leaf(bytes.fromhex(receipt.anchor_tx.hash)),
        proof.index,
        proof.tree_size,
        proof.path,
        receipt.header.tx_root,
        code=ReceiptCode.TX_NOT_IN_BLOCK,
    )
    check_header(receipt.header, receipt.signature, facts)


def check_anchor_tx(receipt: AnchorReceipt) -> None:
    """Step (3): the anchor transaction is signed and names the receipt's batch.

    Raises:
        ReceiptError: ``NOT_AN_ANCHOR``, ``BATCH_MISMATCH`` or ``ANCHOR_SIGNATURE_INVALID``.
    """
    tx = receipt.anchor_tx
    body = tx.body
    if tx.chain_id != receipt.header.chain_id:
        raise ReceiptError("the anchor is of another chain", code=ReceiptCode.WRONG_CHAIN)
    if tx.type != "anchor" or not isinstance(body, AnchorBody):
        raise ReceiptError(
            "the receipt's transaction is not an anchor", code=ReceiptCode.NOT_AN_ANCHOR
        )
    if body.batch_root != receipt.batch_root or body.leaf_count != receipt.tree_size:
        raise ReceiptError(
            "the anchor names another batch root or size", code=ReceiptCode.BATCH_MISMATCH
        )
    leaves = body.leaves
    if leaves is not None and (
        len(leaves) != body.leaf_count or leaves[receipt.leaf_index] != receipt.leaf
    ):
        raise ReceiptError(
            "the anchor publishes another leaf at this index", code=ReceiptCode.BATCH_MISMATCH
        )
    try:
        verify_signatures(tx)
    except LedgerRuleError as exc:
        raise ReceiptError(
            f"the anchor transaction's signature fails: {exc.message}",
            code=ReceiptCode.ANCHOR_SIGNATURE_INVALID,
        ) from exc


def check_header(header: BlockHeader, signature: str, facts: ChainFacts) -> None:
    """A block header is of this chain and signed by the producer named for its height.

    The signature must also be in its one encoding: base64url leaves 4 spare bits in the last
    character of a 64-byte signature, and a character that differs only there is refused.

    Raises:
        ReceiptError: ``WRONG_CHAIN``, ``WRONG_PRODUCER`` or ``BLOCK_SIGNATURE_INVALID``.
    """
    if header.chain_id != facts.chain_id:
        raise ReceiptError(
            f"the block is not of chain {facts.chain_id}", code=ReceiptCode.WRONG_CHAIN
        )
    expected = facts.producer_at(header.height)
    if expected is None or header.producer != expected:
        raise ReceiptError(
            f"block {header.height} is not by the chain's producer",
            code=ReceiptCode.WRONG_PRODUCER,
        )
    check_signature(expected, header.signing_bytes, signature, ReceiptCode.BLOCK_SIGNATURE_INVALID)


def check_signature(key: str, message: bytes, signature: str, code: str) -> None:
    """An Ed25519 ledger signature, in its one canonical encoding. Raises ReceiptError(code)."""
    try:
        if encode_signature(decode_signature(signature)) != signature:
            raise ReceiptError("the signature is not canonically encoded", code=code)
        verify_ed25519(key, message, signature)
    except (MalformedError, ProofError) as exc:
        raise ReceiptError("the producer's signature does not verify", code=code) from exc


def _check_path(
    leaf_hash: bytes, index: int, size: int, path: Sequence[str], root: str, *, code: str
) -> None:
    proof = [bytes.fromhex(p) for p in path]
    try:
        verify_inclusion(leaf_hash, index, size, proof, bytes.fromhex(root))
    except MerkleProofError as exc:
        raise ReceiptError(exc.message, code=code) from exc
