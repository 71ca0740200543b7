"""Blocks, checkpoints and chain replay (DESIGN §2, §3).

A block header is ``{chain_id, height, prev_hash, time, tx_root, tx_count, producer}``; the
producer signs the RFC 8785 JCS of the header, and :attr:`BlockHeader.hash` is the hex SHA-256 of
the same bytes. ``tx_root`` is the RFC 6962 Merkle root whose leaves are the 32-byte transaction
hashes, in block order, so one transaction's inclusion is a standard audit path. Block 0 holds
exactly the genesis transaction and has ``prev_hash`` = 64 zeros.

:func:`apply_block` verifies one block and folds its transactions with the block's time as
``now``; replaying a whole chain is :mod:`vc_core.ledger.replay`.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.builders import genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> g = make_block(None, [genesis_tx("demo", [k], 1, k.public, t)], t, k)
    >>> apply_block(LedgerState.empty("demo"), g).head.height
    0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Self

from pydantic import Field, ValidationError

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, ProofError
from vc_core.jsonio import JsonCode
from vc_core.keys import KeyPair, PublicKey
from vc_core.ledger.base import LedgerModel
from vc_core.ledger.errors import ChainCode, ChainError, LedgerFormCode, LedgerRuleError, RuleCode
from vc_core.ledger.fields import MAX_SAFE_INT, ChainId, Hex32, Multikey, UtcTime
from vc_core.ledger.fold import apply
from vc_core.ledger.records import ChainHead
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.sigs import SIGNATURE_PATTERN, encode_signature, verify_signature
from vc_core.ledger.state import LedgerState
from vc_core.ledger.tx import Transaction
from vc_core.transparency.merkle import MerkleTree

ZERO_HASH = "0" * 64
_DUMP: dict[str, Any] = {"mode": "json", "by_alias": True, "exclude_none": True}


class _Frozen(LedgerModel):
    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse untrusted JSON; raises :class:`~vc_core.errors.MalformedError`."""
        try:
            return cls.model_validate(json.loads(text))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError(f"a {cls.__name__} must be JSON", code=JsonCode.NOT_JSON) from exc
        except ValidationError as exc:
            raise MalformedError(
                f"invalid {cls.__name__}: {exc.errors()[0]['msg']}",
                code=LedgerFormCode.MALFORMED_BLOCK,
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(**_DUMP)

    def to_json(self) -> str:
        return jcs(self.to_dict()).decode("utf-8")


class BlockHeader(_Frozen):
    """What the producer signs and what the next block's ``prev_hash`` names."""

    chain_id: ChainId
    height: int = Field(ge=0, le=MAX_SAFE_INT, strict=True)
    prev_hash: Hex32
    time: UtcTime
    tx_root: Hex32
    tx_count: int = Field(ge=0, le=MAX_SAFE_INT, strict=True)
    producer: Multikey

    @cached_property
    def signing_bytes(self) -> bytes:
        """JCS (RFC 8785) of the header."""
        return jcs(self.to_dict())

    @cached_property
    def hash(self) -> str:
        """Hex SHA-256 of :attr:`signing_bytes`: the block's id."""
        return hashlib.sha256(self.signing_bytes).hexdigest()

    @property
    def head(self) -> ChainHead:
        return ChainHead(height=self.height, hash=self.hash, time=self.time)


class Block(_Frozen):
    """A header, its transactions in order, and the producer's Ed25519 signature (``u…``)."""

    header: BlockHeader
    transactions: tuple[Transaction, ...]
    signature: str = Field(pattern=SIGNATURE_PATTERN)

    @property
    def hash(self) -> str:
        return self.header.hash

    @property
    def height(self) -> int:
        return self.header.height

    @property
    def time(self) -> datetime:
        return self.header.time


class Checkpoint(_Frozen):
    """A producer-signed statement of the chain head at ``time`` (DESIGN §3, §5 step 8)."""

    chain_id: ChainId
    height: int = Field(ge=0, le=MAX_SAFE_INT, strict=True)
    head_hash: Hex32
    time: UtcTime
    signer: Multikey
    signature: str = Field(default="", pattern=r"^$|" + SIGNATURE_PATTERN)

    @property
    def signing_bytes(self) -> bytes:
        """JCS of the checkpoint without ``signature``."""
        return jcs(self.model_dump(exclude={"signature"}, **_DUMP))


def tx_root(txs: Iterable[Transaction]) -> str:
    """RFC 6962 root (hex) over the 32-byte transaction hashes, in order."""
    return MerkleTree([bytes.fromhex(tx.hash) for tx in txs]).root.hex()


def make_block(
    prev: BlockHeader | None, txs: Sequence[Transaction], now: datetime, producer_key: KeyPair
) -> Block:
    """Block ``prev.height + 1`` (or block 0 when ``prev`` is None) holding ``txs`` at ``now``.

    The transactions are not checked here; the producer folds them first (see MemoryLedger).
    """
    chain_id = prev.chain_id if prev is not None else txs[0].chain_id
    header = BlockHeader(
        chain_id=chain_id,
        height=0 if prev is None else prev.height + 1,
        prev_hash=ZERO_HASH if prev is None else prev.hash,
        time=now,
        tx_root=tx_root(txs),
        tx_count=len(txs),
        producer=producer_key.public_multibase,
    )
    signature = encode_signature(producer_key.sign(header.signing_bytes))
    return Block(header=header, transactions=tuple(txs), signature=signature)


def _chain_err(code: ChainCode, message: str, height: int) -> ChainError:
    return ChainError(message, code=code, height=height)


def _check_link(prev: BlockHeader | ChainHead | None, header: BlockHeader) -> int:
    """Check the link to ``prev``; return the height this block must have (named in errors)."""
    if prev is None:
        if header.height != 0 or header.prev_hash != ZERO_HASH:
            raise _chain_err(ChainCode.BAD_GENESIS, "block 0 has height 0 and a zero prev_hash", 0)
        return 0
    h = prev.height + 1
    if header.height != h:
        raise _chain_err(ChainCode.BAD_HEIGHT, f"the block claims height {header.height}", h)
    if header.prev_hash != prev.hash:
        raise _chain_err(ChainCode.BAD_PREV_HASH, f"prev_hash is not {prev.hash}", h)
    if header.time < prev.time:
        raise _chain_err(ChainCode.BLOCK_TIME_REGRESSION, "the block time goes backwards", h)
    return h


def verify_block(
    prev: BlockHeader | ChainHead | None, block: Block, producer_pub: PublicKey | str
) -> None:
    """Check a block's link to ``prev``, its transaction root and its producer signature.

    The transactions' rules are not checked here; :func:`apply_block` does both.

    Raises:
        ChainError: ``BAD_GENESIS``, ``BAD_HEIGHT``, ``BAD_PREV_HASH``, ``BLOCK_TIME_REGRESSION``,
            ``EMPTY_BLOCK``, ``TX_ROOT_MISMATCH``, ``WRONG_PRODUCER`` or ``BAD_BLOCK_SIGNATURE``.
    """
    tx_hashes = [bytes.fromhex(tx.hash) for tx in block.transactions]
    verify_header(prev, block.header, block.signature, tx_hashes, producer_pub)


def verify_header(
    prev: BlockHeader | ChainHead | None,
    header: BlockHeader,
    signature: str,
    tx_hashes: Sequence[bytes],
    producer_pub: PublicKey | str,
) -> None:
    """:func:`verify_block` for a header, its signature and its transactions' 32-byte hashes.

    For a caller that holds the transactions' bytes but has no need to parse them (a replica
    re-checking its own file); the checks and errors are :func:`verify_block`'s.
    """
    h = _check_link(prev, header)
    if not tx_hashes:
        raise _chain_err(ChainCode.EMPTY_BLOCK, "a block holds at least one transaction", h)
    root = MerkleTree(list(tx_hashes)).root.hex()
    if header.tx_count != len(tx_hashes) or header.tx_root != root:
        raise _chain_err(ChainCode.TX_ROOT_MISMATCH, "tx_root does not match the transactions", h)
    expected = producer_pub if isinstance(producer_pub, str) else producer_pub.multibase
    if header.producer != expected:
        raise _chain_err(ChainCode.WRONG_PRODUCER, f"the producer is {expected}", h)
    try:
        verify_signature(expected, header.signing_bytes, signature)
    except (MalformedError, ProofError) as exc:
        raise _chain_err(ChainCode.BAD_BLOCK_SIGNATURE, "the producer signature fails", h) from exc


def apply_block(
    state: LedgerState,
    block: Block,
    params: LedgerParams = DEFAULT_PARAMS,
    *,
    now: datetime | None = None,
) -> LedgerState:
    """Verify ``block`` as the next block of ``state`` and fold its transactions at its time.

    Block 0 must carry one genesis transaction naming the block's producer. Later blocks must be
    signed by the producer the state knows (a ``council.update`` takes effect from the next
    block). ``now``, when given, refuses blocks dated after it (plus the future skew).

    Raises:
        ChainError: the block is bad, or a transaction in it breaks a rule (``code`` is then the
            rule's code, ``tx_index`` its position, the LedgerRuleError its ``__cause__``).
    """
    h = 0 if state.head is None else state.head.height + 1
    if state.chain_id != block.header.chain_id:
        raise ChainError("the block is for another chain", code=RuleCode.WRONG_CHAIN_ID, height=h)
    if now is not None and block.time > now + params.max_future_skew:
        raise _chain_err(ChainCode.BLOCK_IN_FUTURE, f"the block is dated after {now}", h)
    producer = _expected_producer(state, block)
    verify_block(state.head, block, producer)
    new = state
    for i, tx in enumerate(block.transactions):
        try:
            new = apply(new, tx, block.time, params)
        except LedgerRuleError as exc:
            raise ChainError(exc.message, code=exc.code, height=h, tx_index=i) from exc
    genesis_hash = block.hash if h == 0 else state.genesis_hash
    return new.evolve(head=block.header.head, genesis_hash=genesis_hash)


def _expected_producer(state: LedgerState, block: Block) -> str:
    if state.head is not None and state.council is not None:
        return state.council.producer
    txs = block.transactions
    body = txs[0].body if len(txs) == 1 and txs[0].type == "genesis" else None
    producer = getattr(body, "producer", None)
    if state.head is not None or not isinstance(producer, str):
        raise _chain_err(ChainCode.BAD_GENESIS, "block 0 holds exactly the genesis", 0)
    return producer


def make_checkpoint(state: LedgerState, key: KeyPair, now: datetime) -> Checkpoint:
    """A checkpoint of the state's head, signed by ``key`` (the producer) at ``now``."""
    if state.head is None:
        raise ChainError("no block yet", code=ChainCode.BAD_CHECKPOINT)
    unsigned = Checkpoint(
        chain_id=state.chain_id,
        height=state.head.height,
        head_hash=state.head.hash,
        time=now,
        signer=key.public_multibase,
    )
    sig = encode_signature(key.sign(unsigned.signing_bytes))
    return unsigned.model_copy(update={"signature": sig})


def verify_checkpoint(checkpoint: Checkpoint, producer_pub: PublicKey | str) -> None:
    """Check a checkpoint's signer and signature.

    Raises:
        ChainError: ``BAD_CHECKPOINT``.
    """
    expected = producer_pub if isinstance(producer_pub, str) else producer_pub.multibase
    if checkpoint.signer != expected:
        raise ChainError(
            f"the checkpoint is not signed by {expected}", code=ChainCode.BAD_CHECKPOINT
        )
    try:
        verify_signature(expected, checkpoint.signing_bytes, checkpoint.signature)
    except (MalformedError, ProofError) as exc:
        raise ChainError("the checkpoint signature fails", code=ChainCode.BAD_CHECKPOINT) from exc
