"""What an audit is pinned to, besides the genesis hash (DESIGN §3, issue 7 item 4).

A chain that lost its last blocks still verifies from genesis: it is a shorter chain, not a
broken one. Only something the auditor kept from before can tell. Two such things:

- a **trusted checkpoint** (``--checkpoint FILE``): the producer-signed ``Checkpoint`` JSON a
  node serves at ``GET /checkpoint``, kept by the auditor. The audit fails when the chain ends
  before its height (``CHAIN_SHORTER_THAN_CHECKPOINT``, naming the height expected) or holds
  another block there (``CHECKPOINT_MISMATCH``), and checks its signature by the producer in
  force at that height (``BAD_CHECKPOINT``).
- an **audit state** (``--save-checkpoint FILE`` after a clean audit, ``--from-checkpoint FILE``
  next time): the verified head plus the folded ledger state at it
  (:mod:`vc_core.ledger.statefile`), so the next audit re-verifies only the blocks after it —
  the nightly incremental audit. It pins the same way: the chain must still hold that block at
  that height. The file is the auditor's own record and is trusted as such: keep it where the
  node's operator cannot write. Its bytes are bound by SHA-256 digests in its header, so a torn
  or damaged file is refused (``BAD_AUDIT_STATE``), never half read.

File format of the audit state (``ecert-audit-state/1``): one line of canonical JSON (the
header: format, chain id, genesis hash, head height/hash/time, lengths and SHA-256 of the two
parts), a newline, then the state's ``meta`` bytes and its ``leaves`` bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from registry.codes import AuditCode
from registry.txfiles import write_atomically
from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_json, read_file, read_object_file
from vc_core.ledger import ChainError, ChainHead, Checkpoint, LedgerState
from vc_core.ledger.errors import ChainCode, LookupCode
from vc_core.ledger.statefile import decode_state, encode_state

STATE_FORMAT = "ecert-audit-state/1"
MAX_CHECKPOINT_BYTES = 16_384
MAX_STATE_BYTES = 4 * 1024 * 1024 * 1024


def read_checkpoint(path: Path) -> Checkpoint:
    """A signed checkpoint file (as ``GET /checkpoint`` serves it).

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``.
        MalformedError: not a checkpoint (``MALFORMED_CHECKPOINT`` or the parser's code).
    """
    data = read_object_file(path, max_bytes=MAX_CHECKPOINT_BYTES)
    try:
        return Checkpoint.model_validate(data)
    except ValidationError:
        raise MalformedError(
            f"{path} is not a checkpoint", code=AuditCode.MALFORMED_CHECKPOINT
        ) from None


@dataclass(frozen=True)
class AuditState:
    """A verified head and the ledger state at it, from an earlier clean audit."""

    genesis_hash: str
    head: ChainHead
    state: LedgerState


def write_audit_state(path: Path, *, genesis_hash: str, state: LedgerState) -> None:
    """Write the audit state file (``state`` at its head), whole or not at all."""
    head = state.head
    if head is None:
        raise MalformedError("an empty state has no head to save", code=LookupCode.NO_CHAIN)
    meta, leaves = encode_state(state)
    header: dict[str, Any] = {
        "format": STATE_FORMAT,
        "chain_id": state.chain_id,
        "genesis_hash": genesis_hash,
        "head": head.model_dump(mode="json"),
        "meta_length": len(meta),
        "meta_sha256": hashlib.sha256(meta).hexdigest(),
        "leaves_length": len(leaves),
        "leaves_sha256": hashlib.sha256(leaves).hexdigest(),
    }
    write_atomically(path, jcs(header) + b"\n" + meta + leaves)


def read_audit_state(path: Path, *, genesis_hash: str) -> AuditState:
    """The audit state in ``path``, checked whole and against the trusted genesis.

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``.
        MalformedError: ``BAD_AUDIT_STATE`` (damaged, truncated or another format) or
            ``GENESIS_MISMATCH`` (made for another chain).
    """
    data = read_file(path, max_bytes=MAX_STATE_BYTES)
    line, newline, rest = data.partition(b"\n")
    if not newline:
        raise _bad(path, "no header line")
    try:
        header = parse_json(line)
        head = ChainHead.model_validate(header["head"])
        meta_len, leaves_len = int(header["meta_length"]), int(header["leaves_length"])
    except (MalformedError, KeyError, TypeError, ValueError, ValidationError):
        raise _bad(path, "its header does not parse") from None
    if header.get("format") != STATE_FORMAT or len(rest) != meta_len + leaves_len:
        raise _bad(path, "another format, or truncated")
    meta, leaves = rest[:meta_len], rest[meta_len:]
    if hashlib.sha256(meta).hexdigest() != header.get("meta_sha256") or hashlib.sha256(
        leaves
    ).hexdigest() != header.get("leaves_sha256"):
        raise _bad(path, "its bytes do not match their digests")
    if header.get("genesis_hash") != genesis_hash:
        raise MalformedError(
            f"{path} is the audit state of another chain (genesis {header.get('genesis_hash')})",
            code=ChainCode.GENESIS_MISMATCH,
        )
    state = decode_state(meta, leaves)
    if state.head is None or (state.head.height, state.head.hash) != (head.height, head.hash):
        raise _bad(path, "its state is not at its head")
    return AuditState(genesis_hash=genesis_hash, head=head, state=state)


def _bad(path: Path, why: str) -> MalformedError:
    return MalformedError(
        f"{path} is not a usable audit state: {why}", code=AuditCode.BAD_AUDIT_STATE
    )


def check_pin(
    height: int, head_hash: str, seen: dict[int, str], chain_head: int, what: str
) -> None:
    """The chain (head ``chain_head``; ``seen`` maps audited heights to block hashes) still holds
    block ``head_hash`` at ``height``.

    Raises:
        ChainError: ``CHAIN_SHORTER_THAN_CHECKPOINT`` or ``CHECKPOINT_MISMATCH`` — ``height``
            is the height the pin expected.
    """
    if chain_head < height:
        raise ChainError(
            f"the chain ends at height {chain_head}, but {what} expects height {height} "
            f"(block {head_hash}): blocks were lost or removed",
            code=AuditCode.CHAIN_SHORTER_THAN_CHECKPOINT,
            height=height,
        )
    found = seen.get(height)
    if found is not None and found != head_hash:
        raise ChainError(
            f"block {height} is {found}, but {what} expects {head_hash}: the chain was rewritten",
            code=AuditCode.CHECKPOINT_MISMATCH,
            height=height,
        )
