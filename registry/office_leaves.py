"""The leaves of an anchor batch, read from a file an office hands to ``ecert office anchor``.

Two forms, told apart by the first character that is not white space:

- hex digests, one per line (``#`` starts a comment line; blank lines are skipped): each is the
  64-hex-digit SHA-256 an issuer computed with :func:`vc_core.anchoring.credential_digest`;
- signed credentials: a JSON array of credential objects, or one credential object per line
  (JSON Lines). Each leaf is :func:`~vc_core.anchoring.credential_digest` of the credential —
  the same function the issuer and every verifier use, so the receipt a holder later fetches
  matches the credential in hand.

Every malformed line or credential is refused with its line or position named; nothing is
anchored from a file that is partly wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from vc_core.anchoring import credential_digest
from vc_core.errors import MalformedError
from vc_core.jsonio import MAX_BYTES, parse_json
from vc_core.ledger.bodies import MAX_LEAVES_PER_ANCHOR


class LeafCode(StrEnum):
    """Stable codes of a batch file whose digests or credentials cannot be anchored."""

    EMPTY_BATCH = "EMPTY_BATCH"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    DUPLICATE_DIGEST = "DUPLICATE_DIGEST"
    MALFORMED_DIGEST = "MALFORMED_DIGEST"
    MALFORMED_CREDENTIAL = "MALFORMED_CREDENTIAL"
    UNSIGNED_CREDENTIAL = "UNSIGNED_CREDENTIAL"


_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_FILE_BYTES = 512 * 1024 * 1024
"""A batch file's bound: a million credentials of ~500 bytes, or a million digest lines."""


def parse_leaves(text: str) -> list[str]:
    """The batch's leaves (lower-case hex), in file order.

    Raises:
        MalformedError: ``MALFORMED_DIGEST``, ``MALFORMED_CREDENTIAL``, ``UNSIGNED_CREDENTIAL``,
            ``DUPLICATE_DIGEST``, ``EMPTY_BATCH``, ``BATCH_TOO_LARGE``, or the I-JSON
            parser's code (``NOT_JSON``, ``NUMBER_OUT_OF_RANGE``, …) with its line.
    """
    head = text.lstrip()[:1]
    if head == "[":
        leaves = _from_array(text)
    elif head == "{":
        leaves = _from_json_lines(text)
    else:
        leaves = _from_hex_lines(text)
    if not leaves:
        raise MalformedError("the file holds no digest or credential", code=LeafCode.EMPTY_BATCH)
    if len(leaves) > MAX_LEAVES_PER_ANCHOR:
        raise MalformedError(
            f"{len(leaves)} leaves; one anchor holds at most {MAX_LEAVES_PER_ANCHOR}",
            code=LeafCode.BATCH_TOO_LARGE,
        )
    seen: dict[str, int] = {}
    for i, leaf in enumerate(leaves, start=1):
        if leaf in seen:
            raise MalformedError(
                f"entry {i} repeats entry {seen[leaf]} ({leaf})", code=LeafCode.DUPLICATE_DIGEST
            )
        seen[leaf] = i
    return leaves


def _from_hex_lines(text: str) -> list[str]:
    leaves = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        digest = line.lower()
        if not _HEX64.fullmatch(digest):
            raise MalformedError(
                f"line {number}: not a 64-hex-digit SHA-256 digest", code=LeafCode.MALFORMED_DIGEST
            )
        leaves.append(digest)
    return leaves


def _json(text: str, where: str, max_bytes: int) -> object:
    """One I-JSON value through the bounded parser, its refusal naming ``where``."""
    try:
        return parse_json(text, max_bytes=max_bytes)
    except MalformedError as exc:
        raise MalformedError(f"{where}: {exc.message}", code=exc.code) from None


def _from_array(text: str) -> list[str]:
    values = _json(text, "the credential array", MAX_FILE_BYTES)
    if not isinstance(values, list):
        raise MalformedError(
            "expected a JSON array of credentials", code=LeafCode.MALFORMED_CREDENTIAL
        )
    return [_leaf(value, f"credential {i}") for i, value in enumerate(values, start=1)]


def _from_json_lines(text: str) -> list[str]:
    leaves = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        value = _json(raw, f"line {number}", MAX_BYTES)
        leaves.append(_leaf(value, f"line {number}"))
    return leaves


def _leaf(value: Any, where: str) -> str:
    if not isinstance(value, Mapping):
        raise MalformedError(
            f"{where}: not a credential object", code=LeafCode.MALFORMED_CREDENTIAL
        )
    if "proof" not in value:
        raise MalformedError(
            f"{where}: the credential is not signed (no proof)", code=LeafCode.UNSIGNED_CREDENTIAL
        )
    return credential_digest(value)
