"""Plain service functions behind the routes: keyword-only, no FastAPI, time as ``now``.

Submission parses the body with the core's :meth:`Transaction.from_json` and validates with the
core's fold (through :meth:`EmbeddedLedger.submit`); every refusal is a typed ``VCError`` whose
code names the rule, which the HTTP edge turns into a problem report. Resubmitting a
transaction the node already has is not an error: the answer is its current state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from sqlalchemy.engine import Engine

from registry import store
from registry.ledger import EmbeddedLedger
from registry.node import Node
from registry.schemas import BatchPublic, BlockRef, TxInclusion, TxStatusPublic
from vc_core.errors import MalformedError, NotFoundError
from vc_core.jsonio import parse_json
from vc_core.ledger import LedgerRuleError, RuleCode, Transaction
from vc_core.ledger.errors import LookupCode
from vc_core.problems import problem_details
from vc_core.times import parse_instant
from vc_core.transparency.merkle import MerkleTree

MAX_BLOCKS_PER_PAGE = 1000
MAX_BATCH = 4096
MAX_PAGE_BYTES = 16 * 1024 * 1024
HEX64 = frozenset("0123456789abcdef")
T = TypeVar("T")


async def off_loop(ledger: EmbeddedLedger, call: Callable[[], T]) -> T:
    """``call()`` in a worker thread when the ledger may wait on a remote node (the EVM
    backend's JSON-RPC, ``ledger.blocking_io``), so the event loop keeps answering every other
    request meanwhile; directly otherwise (the embedded fold is in memory and a thread hop
    would cost more than the call)."""
    if ledger.blocking_io:
        return await asyncio.to_thread(call)
    return call()


def check_hex64(value: str, *, field: str) -> str:
    """``value`` if it is 64 lower-case hex digits (a SHA-256 hash), else ``MalformedError``."""
    if len(value) != 64 or not set(value) <= HEX64:
        raise MalformedError(f"{field} must be 64 lower-case hex digits", field=field)
    return value


def parse_query_time(value: str | None, *, field: str) -> datetime | None:
    """An RFC 3339 query parameter as an aware UTC datetime (``None`` when absent)."""
    if value is None:
        return None
    return parse_instant(value, field=field)


async def submit_transaction(
    *, node: Node, body: bytes, now: datetime, wait_s: float
) -> TxStatusPublic:
    """Validate and queue a transaction; optionally wait (≤ ``wait_s``) for its block.

    Raises:
        MalformedError: the body is not a transaction.
        LedgerRuleError: it breaks a ledger rule (the code names the rule).
        NodeHaltedError: the node has stopped writing blocks.
    """
    node.check_running()
    tx = Transaction.from_dict(parse_json(body, max_bytes=len(body) + 1))
    try:
        await off_loop(node.ledger, lambda: node.ledger.submit(tx, now))
    except LedgerRuleError as exc:
        if exc.code != RuleCode.REPLAYED_TRANSACTION or not _known(node.ledger, tx.hash):
            raise
    else:
        node.submitted()
    await node.wait_settled(tx.hash, wait_s)
    if node.ledger.is_pending(tx.hash):
        return TxStatusPublic(hash=tx.hash, state="pending")
    return transaction_status(ledger=node.ledger, engine=node.ledger.engine, tx_hash=tx.hash)


async def submit_batch(*, node: Node, body: bytes, now: datetime) -> BatchPublic:
    """Validate a JSON array of transactions and queue them all — or none, if one fails.

    Raises:
        MalformedError: the body is not an array of at most ``MAX_BATCH`` transactions.
        LedgerRuleError: the first rule broken; ``details.index`` names the transaction.
    """
    node.check_running()
    items = parse_json(body, max_bytes=len(body) + 1)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise MalformedError(
            f"a batch is a JSON array of 1…{MAX_BATCH} transactions", code="INVALID_BATCH"
        )
    txs = [Transaction.from_dict(item) for item in items]
    hashes = await off_loop(node.ledger, lambda: node.ledger.submit_many(txs, now))
    node.submitted()
    return BatchPublic(transactions=[TxStatusPublic(hash=h, state="pending") for h in hashes])


def _known(ledger: EmbeddedLedger, tx_hash: str) -> bool:
    return ledger.is_pending(tx_hash) or store.find_tx(ledger.engine, tx_hash) is not None


def transaction_status(*, ledger: EmbeddedLedger, engine: Engine, tx_hash: str) -> TxStatusPublic:
    """Pending, included (with its block and inclusion proof) or rejected (with the reason).

    Raises:
        NotFoundError: the node has never seen this transaction (or forgot a rejection).
    """
    check_hex64(tx_hash, field="hash")
    found = store.find_tx(engine, tx_hash)
    if found is not None:
        block, inclusion = locate(engine=engine, height=found.height, position=found.position)
        return TxStatusPublic(hash=tx_hash, state="included", block=block, inclusion=inclusion)
    if ledger.is_pending(tx_hash):
        return TxStatusPublic(hash=tx_hash, state="pending")
    rejected = ledger.rejection(tx_hash)
    if rejected is not None:
        return TxStatusPublic(hash=tx_hash, state="rejected", problem=problem_details(rejected))
    raise NotFoundError(f"no transaction {tx_hash} on this node", code=LookupCode.TX_NOT_FOUND)


def locate(*, engine: Engine, height: int, position: int) -> tuple[BlockRef, TxInclusion]:
    """The block at ``height`` and the audit path of its transaction at ``position``."""
    header, _ = store.read_header(engine, height)
    tree = _tx_tree(engine, height)
    path = [p.hex() for p in tree.inclusion_proof(position)]
    ref = BlockRef(height=height, hash=header.hash, time=header.time, tx_root=header.tx_root)
    return ref, TxInclusion(index=position, tree_size=tree.size, path=path)


@lru_cache(maxsize=256)
def _tx_tree(engine: Engine, height: int) -> MerkleTree:
    """The transaction tree of a committed block (immutable, so it is cached)."""
    return MerkleTree([bytes.fromhex(h) for h in store.block_tx_hashes(engine, height)])


def blocks_page(*, engine: Engine, head_height: int, start: int, limit: int) -> bytes:
    """``{"head": H, "blocks": [...]}`` for blocks ``start…`` — at most ``limit`` blocks and
    about ``MAX_PAGE_BYTES`` (always at least one block when one exists)."""
    if start < 0 or not 1 <= limit <= MAX_BLOCKS_PER_PAGE:
        raise MalformedError(
            f"from must be ≥ 0 and limit in 1…{MAX_BLOCKS_PER_PAGE}", code="INVALID_RANGE"
        )
    parts: list[bytes] = []
    size = 0
    stop = min(start + limit, head_height + 1)
    for stored in store.iter_stored(engine, start, stop):
        part = stored.to_json_bytes()
        if parts and size + len(part) > MAX_PAGE_BYTES:
            break
        parts.append(part)
        size += len(part)
    head = json.dumps(head_height).encode("ascii")
    return b'{"head":' + head + b',"blocks":[' + b",".join(parts) + b"]}"
