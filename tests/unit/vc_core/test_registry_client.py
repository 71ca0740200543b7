"""The registry client's error mapping and retry rule, against scripted HTTP answers.

``httpx.MockTransport`` stands in for the network (not for any of our code): each test scripts
what a node answers and checks which typed error comes out and how often the client tried.
The same client against a real node is ``tests/integration/test_registry_client.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from vc_core.errors import (
    MalformedError,
    NotFoundError,
    PayloadTooLargeError,
    RegistryError,
    TrustError,
    VCError,
    VerificationError,
)
from vc_core.registry_client import RegistryClient
from vc_core.replica import HttpSource

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, sleeps: list[float], retries: int = 2) -> RegistryClient:
    return RegistryClient(
        "http://node.test",
        transport=httpx.MockTransport(handler),
        retries=retries,
        backoff_s=0.5,
        sleep=sleeps.append,
    )


def _problem(status: int, code: str) -> httpx.Response:
    body = {"type": "t", "title": code, "status": status, "detail": "no", "code": code}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, MalformedError),
        (403, TrustError),
        (404, NotFoundError),
        (405, MalformedError),
        (413, PayloadTooLargeError),
        (422, VerificationError),
        (500, RegistryError),
        (503, RegistryError),
    ],
)
def test_an_error_answer_is_typed_by_status_keeps_its_code_and_is_not_retried(
    status: int, cls: type[VCError]
) -> None:
    calls: list[httpx.Request] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _problem(status, "SOME_RULE")

    with pytest.raises(cls) as info:
        _client(handler, sleeps).get_json("/x")
    assert type(info.value) is cls
    assert info.value.code == "SOME_RULE" and info.value.details["status"] == status
    assert len(calls) == 1 and sleeps == []


def test_an_error_answer_without_problem_details_is_named_by_its_status() -> None:
    client = _client(lambda r: httpx.Response(404, text="<html>nope</html>"), [])
    with pytest.raises(NotFoundError) as info:
        client.get_json("/x")
    assert info.value.code == "HTTP_404"


def test_transport_errors_are_retried_with_doubling_backoff_then_succeed() -> None:
    sleeps: list[float] = []
    answers: list[Exception | httpx.Response] = [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json={"ok": True}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert _client(handler, sleeps).get_json("/x") == {"ok": True}
    assert sleeps == [0.5, 1.0]


def test_a_body_that_is_not_json_is_could_not_check() -> None:
    client = _client(lambda r: httpx.Response(200, text="{not json"), [])
    with pytest.raises(RegistryError) as info:
        client.get_json("/x")
    assert info.value.code == "REGISTRY_BAD_RESPONSE"
    with pytest.raises(RegistryError):
        _client(lambda r: httpx.Response(200, json={"blocks": "no"}), []).blocks(0, 1)
    with pytest.raises(RegistryError):
        _client(lambda r: httpx.Response(200, json={}), []).next_seq("a")


def test_a_malformed_checkpoint_is_hostile_data_not_an_outage() -> None:
    client = _client(lambda r: httpx.Response(200, json={"chain_id": "x"}), [])
    with pytest.raises(MalformedError) as info:
        client.checkpoint()
    assert info.value.code == "MALFORMED_CHECKPOINT"


def test_the_replica_source_treats_any_error_answer_as_could_not_check() -> None:
    source = HttpSource("http://node.test", client=_client(lambda r: _problem(404, "NOPE"), []))
    with pytest.raises(RegistryError) as info:
        source.blocks(0, 10)
    assert info.value.code == "NOPE"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's stack
        b'{"n": 1' + b"0" * 5000 + b"}",  # a number of any length
        b'{"s": "\\ud800"}',  # a lone surrogate
        b"\xef\xbb\xbf{}",  # a byte order mark
    ],
    ids=["deep", "long-number", "surrogate", "bom"],
)
def test_a_hostile_body_is_could_not_check_not_a_crash(body: bytes) -> None:
    # A node is not trusted: whatever it sends is parsed as bounded I-JSON.
    client = _client(lambda r: httpx.Response(200, content=body), [])
    with pytest.raises(RegistryError) as info:
        client.get_json("/x")
    assert info.value.code == "REGISTRY_BAD_RESPONSE"
    # The same body as an error answer still gives a typed error, named by its status.
    failing = _client(lambda r: httpx.Response(404, content=body), [])
    with pytest.raises(NotFoundError):
        failing.get_json("/x")
