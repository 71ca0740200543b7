"""Check transaction signatures in worker processes while the caller folds (audits, replicas).

A transaction's signatures depend on the transaction alone, not on the state, so a chain's
signatures can be checked ahead of its fold and on other cores. :func:`preverified` reads blocks
ahead of its consumer, sends each chunk's transactions (their canonical bytes) to a
:class:`~concurrent.futures.ProcessPoolExecutor`, and yields the blocks in order once their
chunk is back. Each transaction whose signatures all verified is marked so (by this module's
private ``_mark_signatures_verified``, the only code that may fill that cache without checking);
any other is left alone, so the fold checks it itself and raises ``BAD_SIGNATURE`` at its
height as before. The pool can therefore only save work, never accept a signature the fold
would refuse.

The pool starts with the first full chunk: a chain shorter than ``chunk_txs`` is folded as is.
An error from ``blocks`` listed in ``defer`` is raised only after the blocks read before it have
been yielded, so the consumer still meets the first bad block in chain order.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.blocks import make_block
    >>> from vc_core.ledger.builders import genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> g = make_block(None, [genesis_tx("demo", [k], 1, k.public, t)], t, k)
    >>> [b.height for b in preverified([g], chunk_txs=1)]
    [0]
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, ProofError, VCError
from vc_core.ledger.blocks import Block
from vc_core.ledger.sigs import decode_signature, public_key
from vc_core.ledger.tx import Transaction

# A job is a transaction's canonical bytes (JCS of the signed transaction, which the caller has
# computed for its hash anyway). The worker re-derives the signed bytes from them: JCS output
# parses back to the same JSON data, and JCS depends on that data alone, so the JCS of the parsed
# value without ``signatures`` is exactly :attr:`Transaction.signing_bytes` (the JCS of the dump
# without ``signatures``), and the signatures are exactly ``tx.signatures``.
Job = bytes


def _signatures(value: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The ``(signer, signature)`` pairs of a parsed transaction; ``None`` if none or odd."""
    entries = value.pop("signatures", None)
    if not isinstance(entries, list) or not entries:
        return None
    pairs = []
    for entry in entries:
        signer = entry.get("signer") if isinstance(entry, dict) else None
        signature = entry.get("signature") if isinstance(entry, dict) else None
        if not isinstance(signer, str) or not isinstance(signature, str) or len(entry) != 2:
            return None
        pairs.append((signer, signature))
    return pairs


def _all_verify(signed: bytes) -> bool:
    """Whether the transaction has signatures and every one verifies over its signed bytes."""
    try:
        value = json.loads(signed)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    pairs = _signatures(value) if isinstance(value, dict) else None
    if pairs is None:
        return False
    try:
        message = jcs(value)
        for signer, signature in pairs:
            public_key(signer).verify(message, decode_signature(signature))
    except (MalformedError, ProofError):
        return False
    return True


def check_jobs(jobs: Sequence[Job]) -> list[bool]:
    """For each job, whether it has signatures and every one verifies (runs in a worker)."""
    return [_all_verify(job) for job in jobs]


def default_workers() -> int:
    """One fewer than the CPUs this process may use, at least one."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


def _mark_signatures_verified(tx: Transaction) -> None:
    """Record that every signature on ``tx`` verifies, so the fold does not check them again.

    Only for transactions a worker has checked, each of ``tx.signatures`` over exactly
    ``tx.signing_bytes`` (see ``Job``). It fills the cache a first
    :func:`~vc_core.ledger.tx.verify_signatures` fills; a transaction with no signature still
    fails, since that is checked before the cache is read.
    """
    tx.__dict__["_bad_signer"] = None


def _settle(chunk: list[Block], future: Future[list[bool]]) -> list[Block]:
    txs = [tx for block in chunk for tx in block.transactions]
    for tx, ok in zip(txs, future.result(), strict=True):
        if ok:
            _mark_signatures_verified(tx)
    return chunk


def preverified(
    blocks: Iterable[Block],
    *,
    workers: int | None = None,
    chunk_txs: int = 1024,
    ahead: int = 4,
    defer: tuple[type[BaseException], ...] = (VCError,),
) -> Generator[Block, None, None]:
    """``blocks`` in order, their transactions' signatures checked by ``workers`` processes.

    Args:
        blocks: the blocks to fold, in chain order (read lazily, up to ``ahead`` chunks early).
        workers: worker processes; by default one fewer than the CPUs (at least one), since
            this process parses and folds meanwhile, and it is the slower side: on 2 cores a
            third busy process only takes time from the fold.
        chunk_txs: transactions per job sent to a worker; a chain with fewer never starts one.
        ahead: chunks in flight before the oldest is waited for.
        defer: errors of ``blocks`` raised only once the blocks before them are yielded.
    """
    pool: ProcessPoolExecutor | None = None
    pending: deque[tuple[list[Block], Future[list[bool]]]] = deque()
    chunk: list[Block] = []
    size = 0
    source = iter(blocks)
    try:
        while True:
            try:
                block = next(source, None)
            except defer:
                # A later block failed to read: the ones before it may fail first.
                for done in pending:
                    yield from _settle(*done)
                pending.clear()
                yield from chunk
                raise
            if block is None:
                break
            chunk.append(block)
            size += len(block.transactions)
            if size < chunk_txs:
                continue
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=workers or default_workers())
            jobs = [tx.canonical_bytes for b in chunk for tx in b.transactions]
            pending.append((chunk, pool.submit(check_jobs, jobs)))
            chunk, size = [], 0
            while len(pending) > ahead:
                yield from _settle(*pending.popleft())
        while pending:
            yield from _settle(*pending.popleft())
        yield from chunk
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
