"""Parse untrusted JSON once, at the boundary, with bounds (DESIGN §5 step 0).

What is accepted is I-JSON (RFC 7493), which is what a signature over JSON can safely mean:

- **UTF-8 only, without a byte order mark.** Bytes that are not UTF-8 (UTF-16 or UTF-32 with or
  without a BOM, latin-1, garbage) are ``NOT_UTF8``. A leading UTF-8 BOM is ``BYTE_ORDER_MARK``:
  RFC 8259 §8.1 forbids senders to add one and only *allows* parsers to skip it; refusing it
  keeps one rule for every edge (CLI files, stdin, HTTP bodies), and the message says how to fix
  the file. (Python's ``json.loads`` on bytes would silently accept all of these.)
- **No unpaired surrogates** (RFC 7493 §2.1). ``"\\ud800"`` is valid JSON syntax but names no
  character: it cannot be encoded as UTF-8, so canonicalization (JCS or RDFC) and hashing would
  fail later, deep inside. It is ``LONE_SURROGATE`` here, in keys and values alike.
- **Numbers an IEEE 754 double holds** (RFC 7493 §2.2): integers within ±(2^53 − 1) and finite
  floats. Longer integers are refused before Python converts them (its conversion of a number
  with thousands of digits is slow, and past 4300 digits it raises), so a number of any length
  is ``NUMBER_OUT_OF_RANGE``. ``NaN`` and ``Infinity`` are not JSON (``NOT_JSON``).
- **Unique member names** (``DUPLICATE_KEY``: two parsers could read a duplicate differently, so
  a signature would not mean one thing), input within ``max_bytes`` (``TOO_LARGE``) and nesting
  within ``max_depth`` (``TOO_DEEP``).

Every failure is a :class:`~vc_core.errors.MalformedError` (exit 2 at the CLI, HTTP 400).

Example:
    >>> parse_object('{"a": [1, 2]}')
    {'a': [1, 2]}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, NotFoundError


class JsonCode(StrEnum):
    """The stable codes of the parser's refusals (each a :class:`MalformedError`)."""

    TOO_LARGE = "TOO_LARGE"
    NOT_UTF8 = "NOT_UTF8"
    BYTE_ORDER_MARK = "BYTE_ORDER_MARK"
    NOT_JSON = "NOT_JSON"
    NUMBER_OUT_OF_RANGE = "NUMBER_OUT_OF_RANGE"
    LONE_SURROGATE = "LONE_SURROGATE"
    TOO_DEEP = "TOO_DEEP"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    NOT_AN_OBJECT = "NOT_AN_OBJECT"


class FileCode(StrEnum):
    """The stable codes of file refusals: :func:`read_file`'s, and a file that cannot be written."""

    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    NOT_A_FILE = "NOT_A_FILE"
    UNREADABLE = "UNREADABLE"
    UNWRITABLE = "UNWRITABLE"
    NOT_A_DIRECTORY = "NOT_A_DIRECTORY"
    FILE_EXISTS = "FILE_EXISTS"


MAX_BYTES = 1_048_576  # 1 MiB: a credential with a photo fits; a DoS payload does not.
MAX_DEPTH = 32
MAX_SAFE_INT = 2**53 - 1  # RFC 7493 §2.2: the integers every JSON parser reads exactly.
_MAX_INT_CHARS = len(str(MAX_SAFE_INT)) + 1  # digits plus a sign
UTF8_BOM = b"\xef\xbb\xbf"
# A \u escape of a UTF-16 surrogate (D800–DFFF); only these can produce an unpaired one, since
# raw bytes are decoded as strict UTF-8, which has no surrogates.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
# Built with chr(): mypyc, which compiles this module, takes no surrogates in string literals.
_SURROGATE = re.compile(f"[{chr(0xD800)}-{chr(0xDFFF)}]")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedError(
                f"duplicate key {key!r} in a JSON object", code=JsonCode.DUPLICATE_KEY, field=key
            )
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise MalformedError(f"{name} is not a JSON value", code=JsonCode.NOT_JSON)


def _out_of_range(text: str) -> MalformedError:
    shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
    return MalformedError(
        f"the number {shown} is outside what JSON carries exactly "
        f"(integers within ±{MAX_SAFE_INT}, finite floats; RFC 7493 §2.2)",
        code=JsonCode.NUMBER_OUT_OF_RANGE,
    )


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_CHARS:
        raise _out_of_range(text)
    value = int(text)
    if abs(value) > MAX_SAFE_INT:
        raise _out_of_range(text)
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _out_of_range(text)
    return value


def _utf8_text(data: str | bytes) -> bytes:
    """The input as UTF-8 bytes, or an error naming the encoding problem."""
    if isinstance(data, str):
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedError(
                "input contains an unpaired UTF-16 surrogate", code=JsonCode.LONE_SURROGATE
            ) from exc
    if data.startswith(UTF8_BOM):
        raise MalformedError(
            "input starts with a byte order mark; JSON must be UTF-8 without one "
            "(RFC 8259 §8.1): save the file as plain UTF-8",
            code=JsonCode.BYTE_ORDER_MARK,
        )
    return data


def _decode(raw: bytes) -> str:
    # JSON text opens with ASCII, so a NUL among the first four bytes means UTF-16 or UTF-32
    # (the detection of RFC 4627 §3); NUL is valid UTF-8, so decoding alone would not notice.
    if b"\x00" in raw[:4] or raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        problem = "it looks like UTF-16 or UTF-32"
    else:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = f"byte {exc.start} cannot be decoded"
    raise MalformedError(
        f"input is not UTF-8 ({problem}); JSON must be UTF-8", code=JsonCode.NOT_UTF8
    )


def _walk(value: Any, *, surrogates: bool) -> int:
    """Nesting depth of a parsed value (a scalar is 0), computed without recursion; with
    ``surrogates`` it also refuses any string (key or value) holding an unpaired surrogate."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
            if surrogates:
                stack.extend((key, depth) for key in node)
        elif isinstance(node, list):
            children = node
        else:
            if surrogates and isinstance(node, str) and _SURROGATE.search(node):
                raise MalformedError(
                    "a string holds an unpaired UTF-16 surrogate escape (such as \\ud800), which "
                    "names no character (RFC 7493 §2.1)",
                    code=JsonCode.LONE_SURROGATE,
                )
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def depth_of(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    return _walk(value, surrogates=False)


# Above this limit deeper_than walks without recursion (Python's own limit is far above it).
_RECURSIVE_LIMIT = 100


def deeper_than(value: Any, max_depth: int) -> bool:
    """``depth_of(value) > max_depth``, in a third of the time for a credential.

    It recurses, but never more than ``max_depth + 1`` levels: it stops at the first container
    below that, so a hostile value nested a million deep costs no more than one at the limit.
    """
    if max_depth < 0:
        return True  # every value, a scalar included, is at least 0 deep
    if max_depth > _RECURSIVE_LIMIT:
        return depth_of(value) > max_depth
    return _deeper(value, max_depth)


def _deeper(value: Any, room: int) -> bool:
    # ``room`` is how many more levels of containers may open here, this one included.
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return False
    if room <= 0:
        return True
    for child in children:  # noqa: SIM110 (a loop is cheaper than any() over a generator)
        if isinstance(child, dict | list) and _deeper(child, room - 1):
            return True
    return False


# Past this many opening brackets in all, the text is scanned for its nesting depth before
# json.loads sees it: the C decoder recurses once per level, and how deep it may go before the
# thread's stack runs out depends on the thread (a worker thread's stack is smaller than the main
# thread's; a test worker crashed here with a segmentation fault on 100,000 levels). A text with
# fewer opening brackets cannot nest deeper than this, which every thread's stack holds.
_SAFE_BRACKETS = 256
_SIGNIFICANT = re.compile(r'[\[\]{}"\\]')


def _nests_deeper_than(text: str, max_depth: int) -> bool:
    """Whether the brackets outside strings nest deeper than ``max_depth`` (stops once they do)."""
    depth = 0
    in_string = False
    skip = -1
    for match in _SIGNIFICANT.finditer(text):
        at = match.start()
        char = text[at]
        if in_string:
            if at == skip:
                continue
            if char == "\\":
                skip = at + 1  # the escaped character, whatever it is
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_json(data: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse bounded I-JSON text (see the module docstring for what is refused).

    Raises:
        MalformedError: ``TOO_LARGE``, ``NOT_UTF8``, ``BYTE_ORDER_MARK``, ``NOT_JSON``,
            ``NUMBER_OUT_OF_RANGE``, ``LONE_SURROGATE``, ``TOO_DEEP`` or ``DUPLICATE_KEY``.
    """
    raw = _utf8_text(data)
    if len(raw) > max_bytes:
        raise MalformedError(
            f"input is {len(raw)} bytes; the limit is {max_bytes}", code=JsonCode.TOO_LARGE
        )
    text = _decode(raw)
    if text.count("[") + text.count("{") > _SAFE_BRACKETS and _nests_deeper_than(text, max_depth):
        raise MalformedError(f"input nests deeper than {max_depth} levels", code=JsonCode.TOO_DEEP)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError as exc:
        raise MalformedError(
            f"input nests deeper than {max_depth} levels", code=JsonCode.TOO_DEEP
        ) from exc
    except json.JSONDecodeError as exc:
        raise MalformedError(f"input is not JSON: {exc}", code=JsonCode.NOT_JSON) from exc
    if _walk(value, surrogates=bool(_SURROGATE_ESCAPE.search(raw))) > max_depth:
        raise MalformedError(f"input nests deeper than {max_depth} levels", code=JsonCode.TOO_DEEP)
    return value


def parse_object(
    data: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """Parse bounded JSON text that must be an object."""
    value = parse_json(data, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(value, dict):
        raise MalformedError(
            f"expected a JSON object, got {type(value).__name__}", code=JsonCode.NOT_AN_OBJECT
        )
    return value


def read_file(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """At most ``max_bytes + 1`` bytes of a file (one more than the limit, so that
    :func:`parse_json` can tell a file that is too large), with errors a person can act on.

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``.
        MalformedError: ``NOT_A_FILE`` (a directory) or ``UNREADABLE`` (permissions, I/O).
    """
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}", code=FileCode.FILE_NOT_FOUND) from None
    except IsADirectoryError:
        raise MalformedError(
            f"{path} is a directory, not a file", code=FileCode.NOT_A_FILE
        ) from None
    except OSError as exc:
        raise MalformedError(
            f"cannot read {path}: {exc.strerror or exc}", code=FileCode.UNREADABLE
        ) from None


# The file system's refusals of a path the user named: what :func:`file_error` maps.
PATH_ERRORS = (
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    FileExistsError,
    PermissionError,
)


def file_error(exc: OSError) -> MalformedError:
    """The refusal to report for a path the file system would not use (a CLI edge's last
    mapping, for the paths no command checked itself): exit 2, never an internal error."""
    code = {
        FileNotFoundError: FileCode.FILE_NOT_FOUND,
        IsADirectoryError: FileCode.NOT_A_FILE,
        NotADirectoryError: FileCode.NOT_A_DIRECTORY,
        FileExistsError: FileCode.FILE_EXISTS,
    }.get(type(exc), FileCode.UNREADABLE)
    where = exc.filename if exc.filename is not None else "a path"
    return MalformedError(f"cannot use {where}: {exc.strerror or exc}", code=code)


def read_json_file(path: Path, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """A file's JSON value, through the same bounded parser as every other edge."""
    return parse_json(
        read_file(path, max_bytes=max_bytes), max_bytes=max_bytes, max_depth=max_depth
    )


def read_object_file(
    path: Path, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """A file's JSON object, through the bounded parser."""
    return parse_object(
        read_file(path, max_bytes=max_bytes), max_bytes=max_bytes, max_depth=max_depth
    )


def iter_strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, object member names included (any order)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
