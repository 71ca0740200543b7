"""Reopen a replica from its stored state, or refuse the stored state and replay (DESIGN §2).

Folding a large chain again on every open is slow (a million anchored leaves: ~8 s), so a
replica stores the state it folded, with the height and head hash it belongs to. That row is
used only when all of these hold, else the replica replays its blocks from the trusted genesis
(:func:`~vc_core.ledger.replay_steps`) as if there were no row:

1. **It is this replica's own.** Its MAC (HMAC-SHA-256 over the genesis hash, height, head hash
   and the state's bytes) verifies under the replica's key, a random 32-byte secret in a file
   beside the replica (``<replica>.key``, mode 0600) written when the replica was created. A
   state changed in place, or a replica file copied from someone else, fails here.
2. **The stored blocks are the chain it was folded from.** Every stored block up to that height
   is checked without parsing its transactions: the header bytes are canonical and hash to the
   stored hash, block 0 is the trusted genesis, each header links to the one before
   (``prev_hash``, height, time), each transaction's bytes hash to the stored hash and the
   hashes build the header's ``tx_root``, the producer signature verifies, and the last header
   is the head the state names. A changed byte in any block fails here; the replay then names
   its height as a :class:`~vc_core.ledger.ChainError`, as before.
3. **It decodes** (:func:`~vc_core.ledger.statefile.decode_state`) to a state whose head and
   genesis are the ones the row and the replica trust.

Transaction signatures are not checked again: the state's MAC says this replica verified them
when it folded those very bytes, and the hashes above bind the bytes to the signed headers.
Blocks stored after the state's height (a sync that stopped before saving) are folded on top
with the full replay.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> len(replica_key(folder / "r.sqlite")) == KEY_BYTES == len(replica_key(folder / "r.sqlite"))
    True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from vc_core.errors import MalformedError
from vc_core.ledger import BlockHeader, ChainError, LedgerState
from vc_core.ledger.blocks import verify_header
from vc_core.ledger.statefile import decode_state
from vc_core.replica.codes import ReplicaCode
from vc_core.replica.store import BlockRows, ReplicaStore, StoredState

KEY_BYTES = 32
_DOMAIN = b"ecert-replica-state/1"


class StateRefused(Exception):
    """Why the stored state is not used (``code``); the replica replays instead."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def key_path(replica_path: Path) -> Path:
    """Where the replica's state key lives: beside the replica file."""
    return replica_path.with_name(replica_path.name + ".key")


def replica_key(replica_path: Path) -> bytes:
    """The replica's state key, made (random, mode 0600) when missing or not 32 bytes.

    A new key makes any stored state unusable, which only costs one replay.
    """
    path = key_path(replica_path)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    if len(key) == KEY_BYTES:
        return key
    key = secrets.token_bytes(KEY_BYTES)
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
    return key


def seal(
    key: bytes, *, genesis_hash: str, height: int, head_hash: str, meta: bytes, leaves: bytes
) -> str:
    """The hex HMAC-SHA-256 binding a state's bytes to its chain, height and head."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (_DOMAIN, genesis_hash.encode(), str(height).encode(), head_hash.encode()):
        mac.update(len(part).to_bytes(8, "big") + part)
    for blob in (meta, leaves):
        mac.update(len(blob).to_bytes(8, "big"))
        mac.update(blob)
    return mac.hexdigest()


def stored_state(
    key: bytes, genesis_hash: str, state: LedgerState, encoded: tuple[bytes, bytes]
) -> StoredState:
    """The ``state`` row for ``state`` (whose bytes are ``encoded``)."""
    if state.head is None:
        raise ValueError("a state with no block is not stored")
    meta, leaves = encoded
    head = state.head
    mac = seal(
        key,
        genesis_hash=genesis_hash,
        height=head.height,
        head_hash=head.hash,
        meta=meta,
        leaves=leaves,
    )
    return StoredState(state.head.height, state.head.hash, meta, leaves, mac)


def restore(store: ReplicaStore, key: bytes, genesis_hash: str) -> LedgerState:
    """The stored state, if the checks in this module's docstring all pass.

    Raises:
        StateRefused: ``NO_STATE``, ``STATE_MAC_MISMATCH``, ``BLOCKS_MISMATCH`` or
            ``STATE_HEAD_MISMATCH``.
    """
    row = store.load_state()
    if row is None:
        raise StateRefused("NO_STATE", "the replica holds no stored state")
    expected = seal(
        key,
        genesis_hash=genesis_hash,
        height=row.height,
        head_hash=row.head_hash,
        meta=row.meta,
        leaves=row.leaves,
    )
    if not hmac.compare_digest(expected, row.mac):
        raise StateRefused("STATE_MAC_MISMATCH", "the stored state is not this replica's own")
    check_blocks(store.rows(0, row.height + 1), genesis_hash, row.height, row.head_hash)
    try:
        state = decode_state(row.meta, row.leaves)
    except MalformedError as exc:
        raise StateRefused("STATE_HEAD_MISMATCH", exc.message) from exc
    head = state.head
    if head is None or (head.height, head.hash) != (row.height, row.head_hash):
        raise StateRefused("STATE_HEAD_MISMATCH", "the state is not at the head it names")
    if state.genesis_hash != genesis_hash:
        raise StateRefused("STATE_HEAD_MISMATCH", "the state is of another genesis")
    return state


def check_blocks(rows: Iterable[BlockRows], genesis_hash: str, height: int, head_hash: str) -> None:
    """Stored blocks ``0…height`` are an intact chain from ``genesis_hash`` to ``head_hash``.

    Raises:
        StateRefused: ``BLOCKS_MISMATCH`` (the message names the first height that fails).
    """
    prev: BlockHeader | None = None
    for expected, row in enumerate(rows):
        try:
            prev = _check_row(prev, expected, row, genesis_hash)
        except (ChainError, MalformedError) as exc:
            raise StateRefused(
                "BLOCKS_MISMATCH", f"stored block {expected} fails: {exc.message}"
            ) from exc
    if prev is None or prev.height != height or prev.hash != head_hash:
        raise StateRefused("BLOCKS_MISMATCH", f"the stored blocks do not end at block {height}")


def _check_row(
    prev: BlockHeader | None, expected: int, row: BlockRows, genesis_hash: str
) -> BlockHeader:
    def bad(message: str) -> ChainError:
        return ChainError(message, code=ReplicaCode.STORED_BLOCK_INVALID, height=expected)

    if row.height != expected:
        raise bad(f"block {expected} is missing")
    header = BlockHeader.from_json(row.header)
    if header.signing_bytes != row.header or header.hash != row.hash:
        raise bad("the stored header is not canonical or does not hash to the stored hash")
    if expected == 0 and row.hash != genesis_hash:
        raise bad("block 0 is not the trusted genesis")
    digests = [hashlib.sha256(body).digest() for body in row.tx_bodies]
    if [d.hex() for d in digests] != row.tx_hashes:
        raise bad("a stored transaction does not hash to its stored hash")
    # The header is authenticated by the hash links from the trusted genesis to the head the
    # MAC'd state names, so the producer it declares is the one that signed it.
    verify_header(prev, header, row.signature, digests, header.producer)
    return header
