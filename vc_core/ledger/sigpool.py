"""Check transactions in worker processes while the caller folds (audits, replicas).

A transaction's signatures depend on the transaction alone, not on the state, so a chain's
signatures can be checked ahead of its fold and on other cores. :func:`preverified` reads blocks
ahead of its consumer, sends each chunk's transactions (their bytes) to a
:class:`~concurrent.futures.ProcessPoolExecutor`, and yields the blocks in order once their
chunk is back. Each transaction whose signatures all verified is marked so (by this module's
private ``_settle``, the only code that may fill those caches without computing them); any other
is left alone, so the fold checks it itself and raises ``BAD_SIGNATURE`` at its height as before.
The pool can therefore only save work, never accept a signature the fold would refuse.

Stored bytes (an audit). A transaction parsed by
:meth:`~vc_core.ledger.tx.Transaction.from_stored` carries the bytes it was read from and the
hash stored beside them. Its job is those bytes: the worker checks that they are their own JCS
(RFC 8785) and hash to the stored hash, then verifies the signatures over them, so the main
process neither re-serializes nor re-hashes what a worker checked: on success it takes the
stored bytes as the transaction's canonical bytes and the stored hash as its hash. That is
exact, not trusted: ``from_stored`` has checked that the model gives back the very JSON value
the bytes hold, and the worker that those bytes are that value's JCS, so they ARE
``jcs(model dump)``, what :attr:`~vc_core.ledger.tx.Transaction.canonical_bytes` would compute.
Stored bytes that are not (not canonical, or not hashing to their stored hash) stop the chain
at their block with ``STORED_BLOCK_INVALID``, in chain order.

The pool starts with the first full chunk: a shorter chain (or the tail of one) is checked the
same way in this process. An error from ``blocks`` listed in ``defer`` is raised only after the
blocks read before it have been yielded, so the consumer still meets the first bad block in
chain order.

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

import hashlib
import json
import os
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, ProofError, VCError
from vc_core.ledger.blocks import Block
from vc_core.ledger.errors import ChainCode, ChainError
from vc_core.ledger.sigs import decode_signature, public_key
from vc_core.ledger.tx import Transaction, stored_claim

Job = tuple[bytes, str | None]
"""A transaction's bytes, and the hex SHA-256 they must hash to when they are stored bytes.

Without a hash the bytes are :attr:`Transaction.canonical_bytes` (this process's own JCS). With
one they are the stored bytes a transaction was parsed from, which must be canonical themselves.
Either way the worker re-derives the signed bytes from them: JCS output parses back to the same
JSON data, and JCS depends on that data alone, so the JCS of the parsed value without
``signatures`` is exactly :attr:`Transaction.signing_bytes`, and the signatures are exactly
``tx.signatures``.
"""

OK = 0
"""The bytes are good and every signature verifies."""
BAD_SIGNATURE = 1
"""The bytes are good; some signature is missing, malformed or does not verify."""
BAD_BYTES = 2
"""The bytes are not JSON, not their own JCS, or do not hash to the stored hash."""


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


def _value(job: Job) -> dict[str, Any] | None:
    """The JSON object the job's bytes hold; ``None`` if they are not one, or, for stored
    bytes, if they do not hash to the stored hash or are not that object's JCS."""
    data, stored_hash = job
    if stored_hash is not None and hashlib.sha256(data).hexdigest() != stored_hash:
        return None
    try:
        value = json.loads(data)
        if not isinstance(value, dict):
            return None
        if stored_hash is not None and jcs(value) != data:
            return None
    except (json.JSONDecodeError, UnicodeDecodeError, MalformedError):
        return None
    return value


def _signed_bytes(data: bytes, value: dict[str, Any], entries: list[Any]) -> bytes:
    """``jcs(value)``, where ``data`` is the JCS of ``value`` plus ``"signatures": entries``.

    JCS writes an object's members sorted by name, each once, so dropping that member's bytes
    (and the comma before it) from ``data`` leaves exactly ``jcs(value)``, without writing it
    again. The member is found from the end: when every member named after ``signatures`` is a
    string (a transaction's ``time`` and ``type``), nothing after the member can hold the text
    ``,"signatures":`` (a quote inside a JSON string is always escaped), and the entries
    themselves cannot (each is exactly ``{signature, signer}`` with string values). Otherwise,
    or when the bytes found are not the member's, the JCS is written.
    """
    if all(type(v) is str for k, v in value.items() if k > "signatures"):
        cut = data.rfind(b',"signatures":')
        member = b',"signatures":' + jcs(entries)
        if cut > 0 and data.startswith(member, cut):
            return data[:cut] + data[cut + len(member) :]
    return jcs(value)


def _check(job: Job) -> int:
    """:data:`OK`, :data:`BAD_SIGNATURE` or :data:`BAD_BYTES` for one job."""
    value = _value(job)
    if value is None:
        return BAD_BYTES
    entries = value.get("signatures")
    pairs = _signatures(value)
    if pairs is None or not isinstance(entries, list):
        return BAD_SIGNATURE
    try:
        message = _signed_bytes(job[0], value, entries)
        for signer, signature in pairs:
            public_key(signer).verify(message, decode_signature(signature))
    except (MalformedError, ProofError):
        return BAD_SIGNATURE
    return OK


def check_jobs(jobs: Sequence[Job]) -> bytes:
    """One code per job (:data:`OK`, :data:`BAD_SIGNATURE`, :data:`BAD_BYTES`); runs in a worker."""
    return bytes(_check(job) for job in jobs)


def default_workers() -> int:
    """As many workers as the CPUs this process may use.

    The main process parses and folds while they verify; it waits on them whenever it is
    ahead, so on 2 cores two workers and the fold share the cores instead of one core idling
    whenever the slower side waits.
    """
    return max(1, len(os.sched_getaffinity(0)))


def _job(tx: Transaction) -> Job:
    claim = stored_claim(tx)
    return claim if claim is not None else (tx.canonical_bytes, None)


def _settle(chunk: list[Block], codes: bytes | None) -> Generator[Block, None, None]:
    """Fill the caches the workers' answers allow, and yield the blocks in order.

    With ``codes`` None (no pool) the stored bytes are checked here, one transaction at a time,
    and other transactions are left to the fold. A block holding stored bytes that fail their
    check raises ``STORED_BLOCK_INVALID`` at its height, after the blocks before it.
    """
    position = 0
    for block in chunk:
        for tx in block.transactions:
            claim = stored_claim(tx)
            if codes is not None:
                code = codes[position]
                position += 1
            elif claim is not None:
                code = _check(claim)
            else:
                continue
            if claim is not None:
                data, stored_hash = claim
                if code == BAD_BYTES:
                    raise ChainError(
                        f"stored transaction {stored_hash} does not match its bytes",
                        code=ChainCode.STORED_BLOCK_INVALID,
                        height=block.height,
                    )
                # The caches ``canonical_bytes`` and ``hash`` would compute (see the module).
                tx.__dict__["canonical_bytes"] = data
                tx.__dict__["hash"] = stored_hash
            if code == OK:
                # Every one of ``tx.signatures`` verified over exactly ``tx.signing_bytes``
                # (see ``Job``); a transaction with no signature never gets here (it fails
                # before the cache is read anyway).
                tx.__dict__["_bad_signer"] = None
        yield block


def _jobs(chunk: list[Block]) -> list[Job]:
    return [_job(tx) for block in chunk for tx in block.transactions]


def preverified(
    blocks: Iterable[Block],
    *,
    workers: int | None = None,
    chunk_txs: int = 1024,
    ahead: int = 4,
    defer: tuple[type[BaseException], ...] = (VCError,),
) -> Generator[Block, None, None]:
    """``blocks`` in order, their transactions checked by ``workers`` processes.

    Args:
        blocks: the blocks to fold, in chain order (read lazily, up to ``ahead`` chunks early).
        workers: worker processes; by default :func:`default_workers`.
        chunk_txs: transactions per job sent to a worker; a chain with fewer never starts one
            (its transactions are checked in this process).
        ahead: chunks in flight before the oldest is waited for.
        defer: errors of ``blocks`` raised only once the blocks before them are yielded.

    Raises:
        ChainError: ``STORED_BLOCK_INVALID`` for a block whose stored bytes fail (see above).
    """
    pool: ProcessPoolExecutor | None = None
    pending: deque[tuple[list[Block], Future[bytes]]] = deque()
    chunk: list[Block] = []
    size = 0
    source = iter(blocks)
    try:
        while True:
            try:
                block = next(source, None)
            except defer:
                # A later block failed to read: the ones before it may fail first.
                for done, future in pending:
                    yield from _settle(done, future.result())
                pending.clear()
                yield from _settle(chunk, None)
                raise
            if block is None:
                break
            chunk.append(block)
            size += len(block.transactions)
            if size < chunk_txs:
                continue
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=workers or default_workers())
            pending.append((chunk, pool.submit(check_jobs, _jobs(chunk))))
            chunk, size = [], 0
            while len(pending) > ahead:
                done, future = pending.popleft()
                yield from _settle(done, future.result())
        while pending:
            done, future = pending.popleft()
            yield from _settle(done, future.result())
        yield from _settle(chunk, None)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
