"""Answers from servers that are not trusted to stop: read with a bound on size, and on time.

``httpx`` reads a whole body into memory before anyone can look at its size, and its timeout is
per read, so a server that streams without end, or one byte at a time, could hold a client (and
its memory) for as long as it liked. :func:`bounded_request` streams the body instead, stops as
soon as it passes ``max_bytes`` or the exchange passes ``total_s``, and hands back an ordinary,
fully read :class:`httpx.Response`. Each caller names the error it raises, so a registry client
says "could not check" and a wallet says which server misbehaved, in their own codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def bounded_request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    max_bytes: int,
    too_large: Callable[[], Exception],
    total_s: float | None = None,
    too_slow: Callable[[], Exception] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request(method, url, **kwargs)`` with its body read to at most ``max_bytes``
    (else ``too_large()`` is raised) and, when ``total_s`` is given, within that many seconds
    (else ``too_slow()``). Transport errors propagate as ``httpx.HTTPError``."""
    deadline = None if total_s is None else time.monotonic() + total_s
    with client.stream(method, url, **kwargs) as streamed:
        chunks: list[bytes] = []
        size = 0
        for chunk in streamed.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large()
            if deadline is not None and time.monotonic() > deadline and too_slow is not None:
                raise too_slow()
            chunks.append(chunk)
    # The body is decoded already: the copy must not claim an encoding or a length it lost.
    headers = [
        (name, value)
        for name, value in streamed.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        streamed.status_code, headers=headers, content=b"".join(chunks), request=streamed.request
    )


__all__ = ["bounded_request"]
