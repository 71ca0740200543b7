"""Answers from servers the holder does not control, read with a bound on size and time.

A verifier's request link or an office's offer can name any server. ``httpx`` reads a whole
body into memory before anyone can look at its size, and its timeout is per read, so a hostile
server that streams without end, or one byte at a time, would hold the wallet (and its memory)
for as long as it liked. :func:`request` streams the body instead
(:mod:`vc_core.bounded_http`), stops once it passes ``max_bytes`` or the exchange passes
``total_s``, and hands back an ordinary, fully read :class:`httpx.Response`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import httpx

from vc_core.bounded_http import bounded_request
from vc_core.errors import MalformedError, RegistryError


class BoundCode(StrEnum):
    """Stable codes of an answer the wallet stopped reading."""

    ANSWER_TOO_LARGE = "ANSWER_TOO_LARGE"
    ANSWER_TOO_SLOW = "ANSWER_TOO_SLOW"


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    max_bytes: int,
    total_s: float,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request(method, url, **kwargs)``, its body read to at most ``max_bytes`` within
    ``total_s`` seconds (transport errors propagate as ``httpx.HTTPError``, for the caller's
    own "unreachable" mapping).

    Raises:
        MalformedError: ``ANSWER_TOO_LARGE``.
        RegistryError: ``ANSWER_TOO_SLOW``.
    """
    host = httpx.URL(url).host
    return bounded_request(
        client,
        method,
        url,
        max_bytes=max_bytes,
        too_large=lambda: MalformedError(
            f"{host} answered with more than {max_bytes} bytes; stopped reading",
            code=BoundCode.ANSWER_TOO_LARGE,
        ),
        total_s=total_s,
        too_slow=lambda: RegistryError(
            f"{host} took more than {total_s:.0f} s to answer; stopped waiting",
            code=BoundCode.ANSWER_TOO_SLOW,
        ),
        **kwargs,
    )
