"""Answers from servers the holder does not control, read with a bound on size and time.

A verifier's request link or an office's offer can name any server. ``httpx`` reads a whole
body into memory before anyone can look at its size, and its timeout is per read, so a hostile
server that streams without end, or one byte at a time, would hold the wallet (and its memory)
for as long as it liked. :func:`request` streams the body instead, stops as soon as it passes
``max_bytes`` or the exchange passes ``total_s``, and hands back an ordinary, fully read
:class:`httpx.Response`.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

import httpx

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
    deadline = time.monotonic() + total_s
    host = httpx.URL(url).host
    with client.stream(method, url, **kwargs) as streamed:
        chunks: list[bytes] = []
        size = 0
        for chunk in streamed.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise MalformedError(
                    f"{host} answered with more than {max_bytes} bytes; stopped reading",
                    code=BoundCode.ANSWER_TOO_LARGE,
                )
            if time.monotonic() > deadline:
                raise RegistryError(
                    f"{host} took more than {total_s:.0f} s to answer; stopped waiting",
                    code=BoundCode.ANSWER_TOO_SLOW,
                )
            chunks.append(chunk)
    # The body is decoded already: the copy must not claim an encoding or a length it lost.
    headers = [
        (k, v)
        for k, v in streamed.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=streamed.request,
    )
