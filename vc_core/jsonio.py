"""Parse untrusted JSON once, at the boundary, with bounds (DESIGN §5 step 0).

Rejects: input over ``max_bytes``, nesting over ``max_depth``, duplicate object keys (two parsers
could read them differently, so a signature would not mean one thing), and the non-JSON constants
``NaN``/``Infinity``. Every failure is a :class:`~vc_core.errors.MalformedError` with a stable code.

Example:
    >>> parse_object('{"a": [1, 2]}')
    {'a': [1, 2]}
"""

from __future__ import annotations

import json
from typing import Any

from vc_core.errors import MalformedError

MAX_BYTES = 1_048_576  # 1 MiB: a credential with a photo fits; a DoS payload does not.
MAX_DEPTH = 32


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedError(
                f"duplicate key {key!r} in a JSON object", code="DUPLICATE_KEY", field=key
            )
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise MalformedError(f"{name} is not a JSON value", code="NOT_JSON")


def depth_of(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(data: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse bounded JSON text.

    Raises:
        MalformedError: ``TOO_LARGE``, ``NOT_JSON``, ``TOO_DEEP`` or ``DUPLICATE_KEY``.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise MalformedError(
            f"input is {len(raw)} bytes; the limit is {max_bytes}", code="TOO_LARGE"
        )
    try:
        value = json.loads(
            raw, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError as exc:
        raise MalformedError(
            f"input nests deeper than {max_depth} levels", code="TOO_DEEP"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedError(f"input is not JSON: {exc}", code="NOT_JSON") from exc
    if depth_of(value) > max_depth:
        raise MalformedError(f"input nests deeper than {max_depth} levels", code="TOO_DEEP")
    return value


def parse_object(
    data: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """Parse bounded JSON text that must be an object."""
    value = parse_json(data, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(value, dict):
        raise MalformedError(
            f"expected a JSON object, got {type(value).__name__}", code="NOT_AN_OBJECT"
        )
    return value
