"""Reading untrusted input at the CLI edge: files or ``-`` for stdin, bounded, parsed once.

Every JSON file the CLI reads (documents, key files, ``--context`` files) goes through
:func:`vc_core.jsonio.parse_json`: UTF-8 without a byte order mark, numbers a double holds, no
unpaired surrogates, bounded size and depth; anything else is a ``MalformedError`` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vc_core.canon.codes import CanonCode
from vc_core.errors import MalformedError, UsageCode
from vc_core.jsonio import MAX_BYTES, parse_object, read_file
from vc_core.keys import KeyPair


def read_bytes(source: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """Read at most ``max_bytes + 1`` bytes from a path or stdin (``-``)."""
    if source == "-":
        return sys.stdin.buffer.read(max_bytes + 1)
    return read_file(Path(source), max_bytes=max_bytes)


def read_object(source: str) -> dict[str, Any]:
    """A bounded JSON object from a path or stdin."""
    return parse_object(read_bytes(source))


def read_key(path: Path) -> KeyPair:
    """A key file (``ecert key new``), parsed like any other untrusted JSON."""
    return KeyPair.from_dict(read_object(str(path)))


def parse_context_pairs(pairs: list[str]) -> dict[str, Path]:
    """``URL=FILE`` pairs from ``--context`` options."""
    out: dict[str, Path] = {}
    for pair in pairs:
        url, sep, file = pair.partition("=")
        if not sep or not url or not file:
            raise MalformedError(
                f"--context takes URL=FILE, got {pair!r}", code=UsageCode.BAD_OPTION
            )
        out[url] = Path(file)
    return out


def read_context_files(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``URL → context document`` for ``--context URL=FILE`` options, each file read now."""
    documents: dict[str, dict[str, Any]] = {}
    for url, path in parse_context_pairs(pairs).items():
        document = read_object(str(path))
        if "@context" not in document:
            raise MalformedError(
                f"{path} is not a JSON-LD context document (it has no @context)",
                code=CanonCode.BAD_CONTEXT_FILE,
            )
        documents[url] = document
    return documents
