"""A registry node is not trusted to stop talking: the client reads at most its byte limit.

A real socket server on 127.0.0.1 streams a chunked body without end. The client must stop with
"could not check" (``REGISTRY_BAD_RESPONSE``) once the limit is passed, and hang up, rather than
read until the verifier's memory is gone; an answer under the limit reads as before.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from vc_core.errors import RegistryError
from vc_core.registry_client import ClientCode, RegistryClient

CHUNK = b"x" * 65536


@contextmanager
def _endless_server(sent: list[int]) -> Iterator[str]:
    """A server answering one request with an endless chunked JSON-ish body; ``sent`` counts."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            total = 0
            try:
                # A bound on the server's own effort, far beyond the client's limit.
                while total < 512 * 1024 * 1024:
                    connection.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                    total += len(CHUNK)
            except OSError:
                pass  # The client hung up: what it must do.
            sent.append(total)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.join(timeout=30)
        listener.close()


def test_an_endless_answer_is_cut_off_at_the_limit() -> None:
    sent: list[int] = []
    with (
        _endless_server(sent) as url,
        RegistryClient(url, retries=0, max_response_bytes=1024 * 1024) as client,
        pytest.raises(RegistryError) as info,
    ):
        client.get_json("/checkpoint")
    assert info.value.code == ClientCode.REGISTRY_BAD_RESPONSE
    assert "stopped reading" in info.value.message
    # The client hung up long before the server's own bound (socket buffers hold a few MB).
    assert sent and sent[0] < 64 * 1024 * 1024


def test_an_answer_under_the_limit_reads_as_before() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    body = b'{"height": 3}'

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with RegistryClient(f"http://127.0.0.1:{port}", retries=0, max_response_bytes=64) as client:
        assert client.get_json("/anything") == {"height": 3}
    thread.join(timeout=10)
    listener.close()
