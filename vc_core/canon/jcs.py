"""RFC 8785 JSON Canonicalization Scheme, through the ``rfc8785`` package."""

from __future__ import annotations

from typing import Any

import rfc8785

from vc_core.errors import MalformedError


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises:
        MalformedError: the value holds something JSON cannot carry exactly (NaN, a float out of
            range, an integer beyond IEEE 754 double precision, a non-string key).
    """
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise MalformedError(
            f"value cannot be canonicalized with JCS: {exc}", code="NOT_CANONICALIZABLE"
        ) from exc
