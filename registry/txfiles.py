"""Signed transaction files and their submission, shared by ``ecert office`` and ``ecert council``.

A transaction travels between people and machines as one file of canonical JSON. Files are
written whole or not at all (a temporary file in the same folder, then an atomic rename), so a
failed write never leaves half a transaction behind. Submission goes through
:class:`~vc_core.registry_client.RegistryClient` only.

A node keeps ``pending`` transactions in memory (``docs/adr/0001-pending-durability.md``): only
``included`` is durable. :func:`submit_until_included` therefore resubmits the same signed
transaction until the node reports it ``included`` — safe, because a node answers a known
transaction's state and the ledger applies each ``(author, seq)`` once.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, RegistryError, VerificationError
from vc_core.jsonio import FileCode, JsonCode, read_file, read_object_file
from vc_core.ledger import Transaction, verify_signatures
from vc_core.ledger.errors import LedgerFormCode
from vc_core.ledger.tx import MAX_TX_BYTES
from vc_core.registry_client import ClientCode, RegistryClient

DEFAULT_WAIT_S = 60.0


def read_tx(path: Path) -> Transaction:
    """A transaction file, parsed and with every signature present checked (so a file edited
    after signing is refused here, before anything is sent).

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``.
        MalformedError: not a transaction: the bounded I-JSON parser's codes (``NOT_JSON``,
            ``NUMBER_OUT_OF_RANGE``, …) or ``MALFORMED_TRANSACTION``.
        LedgerRuleError: ``BAD_SIGNATURE`` — the signed bytes changed after a signature.
    """
    tx = Transaction.from_dict(read_object_file(path, max_bytes=MAX_TX_BYTES))
    try:
        if tx.signatures:
            verify_signatures(tx)
    except ValueError:
        # Text JCS cannot encode (a lone surrogate): no signature can cover it.
        raise MalformedError(
            f"{path}: the transaction has text that cannot be canonicalized (RFC 8785)",
            code=LedgerFormCode.MALFORMED_TRANSACTION,
        ) from None
    return tx


def read_text(path: Path, *, max_bytes: int) -> str:
    """A UTF-8 input file of at most ``max_bytes``, with the CLI's one-line errors.

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``.
        MalformedError: ``NOT_A_FILE``, ``UNREADABLE``, ``TOO_LARGE`` or ``NOT_UTF8``.
    """
    data = read_file(path, max_bytes=max_bytes)
    if len(data) > max_bytes:
        raise MalformedError(f"{path} is over {max_bytes} bytes", code=JsonCode.TOO_LARGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError(f"{path} is not UTF-8 text", code=JsonCode.NOT_UTF8) from None


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` whole or not at all.

    Raises:
        MalformedError: ``UNWRITABLE`` — the folder is missing or not writable.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    except OSError as exc:
        raise MalformedError(
            f"cannot write {path}: {exc.strerror or exc}", code=FileCode.UNWRITABLE
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MalformedError(
            f"cannot write {path}: {exc.strerror or exc}", code=FileCode.UNWRITABLE
        ) from None


def check_writable(path: Path) -> None:
    """Refuse an output path whose folder is missing or not writable — before any work is done
    or anything is sent, so a mistake costs nothing.

    Raises:
        MalformedError: ``UNWRITABLE``.
    """
    folder = path.parent
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise MalformedError(f"cannot write {path}: no writable folder", code=FileCode.UNWRITABLE)


def write_tx(path: Path, tx: Transaction) -> None:
    """Write a transaction file (canonical JSON), whole or not at all."""
    write_atomically(path, tx.to_json() + "\n")


def submit_until_included(
    client: RegistryClient,
    tx: Transaction,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Submit ``tx`` and resubmit it until the node says ``included``; its ``GET
    /transactions/{hash}`` answer (block and RFC 6962 inclusion path).

    Raises:
        VerificationError: the node refused it (its rule code), or dropped it at block time.
        RegistryError: ``NOT_INCLUDED`` — still not included after ``wait_s``; or the node
            stayed unreachable.
    """
    deadline = clock() + wait_s
    while True:
        try:
            status = client.submit(tx, wait_s=min(5.0, max(0.5, deadline - clock())))
        except RegistryError as exc:
            # A node that restarts is briefly unreachable; the same signed tx is resubmitted.
            if exc.code != ClientCode.REGISTRY_UNAVAILABLE or clock() >= deadline:
                raise
            time.sleep(0.2)
            continue
        if status.state == "rejected":
            problem = status.problem or {}
            raise VerificationError(
                str(problem.get("detail", "rejected at block time")),
                code=str(problem.get("code", "REJECTED")),
            )
        if status.state == "included":
            answer = client.get_json(f"/transactions/{tx.hash}")
            if isinstance(answer, dict) and answer.get("state") == "included":
                return answer
        if clock() >= deadline:
            raise RegistryError(
                f"{tx.hash} was not included within {wait_s:g} s; resubmit the same file",
                code="NOT_INCLUDED",
            )


def inclusion_line(answer: dict[str, Any]) -> str:
    """One line: the tx hash, its block and its place in the block's RFC 6962 tree."""
    block = answer.get("block") or {}
    inclusion = answer.get("inclusion") or {}
    return (
        f"{answer.get('hash')}: included in block {block.get('height')} "
        f"({block.get('hash')}, {block.get('time')}), position {inclusion.get('index')} "
        f"of {inclusion.get('tree_size')}, audit path of {len(inclusion.get('path') or [])} "
        f"hashes to tx_root {block.get('tx_root')}"
    )
