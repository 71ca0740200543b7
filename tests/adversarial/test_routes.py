"""Every route of the real registry, issuer and verifier (found in each one's OpenAPI document),
with and without a valid bearer token, against the classics of hostile HTTP: bodies that are
JSON scalars or arrays, empty, in the wrong media type, with duplicate keys, NaN and 1e999, a
5000-digit number, invalid UTF-8, lone surrogates in strings and keys, NUL bytes, 100 000
brackets, 10 MB, UTF-16; every method on every path (HEAD, OPTIONS and TRACE included); path
parameters that traverse, overflow or are not UTF-8; repeated, negative, huge and garbage
query parameters. Each answer keeps the bar of :mod:`tests.adversarial.probes`."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.adversarial.probes import BODIES, METHODS, PATH_VALUES, operations, sweep
from tests.adversarial.scene import Scene

pytestmark = pytest.mark.integration
SERVICES = ("registry", "issuer", "verifier")
QUERY_VALUES = ("-1", "0", "9" * 30, "1e3", "%00", "%FF", "x", "")


def _auths(services: Scene, service: str) -> list[dict[str, str]]:
    token = services.auth(service)
    return [{}, token] if token else [{}]


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_bodies_on_every_operation(services: Scene, service: str) -> None:
    base = services.urls()[service]
    with httpx.Client(timeout=60) as client:
        ops = [op for op in operations(client, base) if op.method in ("POST", "PUT", "PATCH")]
        assert ops, "the service documents no operation that takes a body"

        def requests() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
            for op in ops:
                for headers in _auths(services, service):
                    for name, (body, media) in BODIES.items():
                        sent = dict(headers)
                        if media:
                            sent["content-type"] = media
                        label = f"{name} auth={bool(headers)}"
                        yield label, op.method, op.url(), {"content": body, "headers": sent}

        assert sweep(client, base, requests()) == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_method_and_hostile_path_values(services: Scene, service: str) -> None:
    base = services.urls()[service]
    with httpx.Client(timeout=60) as client:
        paths = sorted({op.path for op in operations(client, base)})

        def requests() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
            for path in paths:
                for headers in _auths(services, service):
                    for method in METHODS:
                        yield f"auth={bool(headers)}", method, path, {"headers": headers}
                    if "{" not in path:
                        continue
                    for value in PATH_VALUES:
                        for method in ("GET", "POST"):
                            url = _fill(path, value)
                            yield f"value={value[:20]}", method, url, {"headers": headers}

        assert sweep(client, base, requests()) == []


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_query_parameters(services: Scene, service: str) -> None:
    base = services.urls()[service]
    with httpx.Client(timeout=60) as client:
        ops = [op for op in operations(client, base) if op.method == "GET"]

        def requests() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
            for op in ops:
                names = (*op.query, "unknown")
                for headers in _auths(services, service):
                    for name in names:
                        for value in QUERY_VALUES:
                            url = f"{op.url()}?{name}={value}&{name}={value}1"
                            yield f"auth={bool(headers)}", "GET", url, {"headers": headers}
                    many = "&".join(f"{n}=1" for n in names) + "&x=1" * 3000
                    yield "many", "GET", f"{op.url()}?{many}", {"headers": headers}

        assert sweep(client, base, requests()) == []


def _fill(template: str, value: str) -> str:
    out, rest = "", template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        _, _, rest = tail.partition("}")
        out += head + value
    return out + rest


BODY_ROUTES = {
    "registry": "/transactions",
    "issuer": "/credentials/issue",
    "verifier": "/credentials/verify",
}


def _socket(base: str) -> socket.socket:
    host, port = base.rsplit("//", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _head(services: Scene, service: str, extra: str) -> bytes:
    auth = "".join(f"{k}: {v}\r\n" for k, v in services.auth(service).items())
    route = BODY_ROUTES[service]
    head = f"POST {route} HTTP/1.1\r\nHost: a\r\n{auth}Content-Type: application/json\r\n"
    return (head + extra + "\r\n").encode()


@pytest.mark.parametrize("service", SERVICES)
def test_slow_and_stalled_clients_block_nobody(services: Scene, service: str) -> None:
    """Fifty clients stuck inside their headers and one stuck inside a chunked body: another
    client is still answered (the timeout is a bound on a hang, not a speed test)."""
    base = services.urls()[service]
    stuck = [_socket(base) for _ in range(50)]
    try:
        for s in stuck[:-1]:
            s.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        stuck[-1].sendall(
            _head(services, service, "Transfer-Encoding: chunked\r\n") + b'6\r\n{"a":1\r\n'
        )
        answer = httpx.get(base + "/openapi.json", timeout=10)
        assert answer.status_code == 200
    finally:
        for s in stuck:
            s.close()


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_client_gone_mid_body_is_no_error(services: Scene, service: str, framing: str) -> None:
    """A body that stops midway and a closed connection: nobody to answer, and nothing for the
    operator to chase — one line in the log, no traceback, no "unexpected" error."""
    log = services.logs
    before = log()[service]
    if framing == "chunked":
        head = _head(services, service, "Transfer-Encoding: chunked\r\n") + b'6\r\n{"a":1\r\n'
    else:
        head = _head(services, service, "Content-Length: 1000\r\n") + b'{"a": 1'
    s = _socket(services.urls()[service])
    s.sendall(head)
    s.shutdown(socket.SHUT_WR)
    s.close()
    for _ in range(200):  # a bound on the wait for the service to notice, not a timing assertion
        written = log()[service][len(before) :]
        if "isconnect" in written:
            break
        time.sleep(0.05)
    assert "isconnect" in written, f"the service never noticed the disconnect: {written}"
    assert "Traceback" not in written and "unexpected" not in written, written
