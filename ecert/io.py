"""Reading untrusted input at the CLI edge: files or ``-`` for stdin, bounded, parsed once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, NotFoundError
from vc_core.jsonio import MAX_BYTES, parse_object


def read_bytes(source: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """Read at most ``max_bytes + 1`` bytes from a path or stdin (``-``)."""
    if source == "-":
        return sys.stdin.buffer.read(max_bytes + 1)
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {source}", code="FILE_NOT_FOUND") from None
    except IsADirectoryError:
        raise MalformedError(f"{source} is a directory, not a file", code="NOT_A_FILE") from None
    except PermissionError:
        raise MalformedError(f"permission denied reading {source}", code="UNREADABLE") from None


def read_object(source: str) -> dict[str, Any]:
    """A bounded JSON object from a path or stdin."""
    return parse_object(read_bytes(source))


def parse_context_pairs(pairs: list[str]) -> dict[str, Path]:
    """``URL=FILE`` pairs from ``--context`` options."""
    out: dict[str, Path] = {}
    for pair in pairs:
        url, sep, file = pair.partition("=")
        if not sep or not url or not file:
            raise MalformedError(f"--context takes URL=FILE, got {pair!r}", code="BAD_OPTION")
        out[url] = Path(file)
    return out
