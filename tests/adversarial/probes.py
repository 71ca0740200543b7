"""What every answer of a service to hostile input must look like, and the hostile inputs.

An error is an RFC 9457 problem (``application/problem+json`` with a ``type`` URI and the same
``status``), except on the OAuth endpoints of OpenID4VCI and OpenID4VP, whose error answers
those texts fix (``{"error": …}``, RFC 6749 §5.2). No answer is a 5xx other than 503, and no
status is outside the stable set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

ALLOWED = frozenset({200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503})
# OpenID4VCI 1.0 §6.3 and §8.3.1, OpenID4VP 1.0 §8.2: errors in the OAuth form.
OAUTH_PATHS = frozenset({"/token", "/credential", "/nonce", "/oid4vp/response"})
# VC-API: a verification that ran answers with its report (200 valid, 422 invalid).
REPORT_PATHS = frozenset({"/credentials/verify", "/presentations/verify"})
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
PATH_VALUES = (
    "x",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "%00",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded (invalid UTF-8)
    "%FF%FE",
    "-1",
    "9" * 40,
    "a" * 8000,
    "did:key:z6Mk",
    "%0d%0aSet-Cookie:%20x=1",
)

DEEP = b"[" * 100_000 + b"]" * 100_000
BODIES: dict[str, tuple[bytes | None, str | None]] = {
    "json-scalar": (b"1", "application/json"),
    "json-string": (b'"x"', "application/json"),
    "json-array": (b"[]", "application/json"),
    "json-null": (b"null", "application/json"),
    "empty": (b"", "application/json"),
    "no-body": (None, None),
    "text-plain": (b'{"a": 1}', "text/plain"),
    "form": (b"a=1&a=2&b=%FF", "application/x-www-form-urlencoded"),
    "multipart": (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    "duplicate-keys": (b'{"a": 1, "a": 2}', "application/json"),
    "nan-infinity": (b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e999}', "application/json"),
    "huge-number": (b'{"a": ' + b"9" * 5000 + b"}", "application/json"),
    "invalid-utf8": (b'{"a": "\xff\xfe\xc3"}', "application/json"),
    "lone-surrogate": (b'{"\\ud800": "\\udfff"}', "application/json"),
    "nul": (b'{"a": "\\u0000", "b\\u0000": 1}\x00', "application/json"),
    "deep-array": (DEEP, "application/json"),
    "deep-object": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    "ten-megabytes": (b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}', "application/json"),
    "garbage": (b"\x00\x01\x02\xff garbage", "application/json"),
    "bom-utf16": ('{"a": 1}'.encode("utf-16"), "application/json"),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the OpenAPI template, e.g. /credentials/{credential_id}
    query: tuple[str, ...]

    def url(self, value: str = "x") -> str:
        return re.sub(r"\{[^}]+\}", value, self.path)


def operations(client: httpx.Client, base: str) -> list[Operation]:
    """Every operation of a running service, from its own OpenAPI document."""
    spec = client.get(base + "/openapi.json").json()
    found = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            query = tuple(p["name"] for p in op.get("parameters", ()) if p.get("in") == "query")
            found.append(Operation(method.upper(), path, query))
    return found


def judge(answer: httpx.Response, *, path: str, method: str) -> str | None:
    """Why ``answer`` breaks the bar, or ``None`` when it keeps it."""
    status = answer.status_code
    if status not in ALLOWED:
        return f"status {status}"
    if status < 400 or method == "HEAD":
        return None
    media = answer.headers.get("content-type", "")
    if "Traceback" in answer.text:
        return "a traceback in the body"
    try:
        body: Any = answer.json()
    except json.JSONDecodeError:
        return f"{status} with a body that is not JSON ({media})"
    if not isinstance(body, dict):
        return f"{status} with a JSON {type(body).__name__}"
    template = _template(path)
    if template in OAUTH_PATHS and "type" not in body:
        return None if isinstance(body.get("error"), str) else f"{status} OAuth error without error"
    if template in REPORT_PATHS and status == 422 and "verified" in body:
        return None if body["verified"] is False else "422 with verified true"
    if not media.startswith("application/problem+json"):
        return f"{status} as {media}, not problem+json"
    if not isinstance(body.get("type"), str) or body.get("status") != status:
        return f"{status} problem without type or with another status: {body}"
    return None


def _template(path: str) -> str:
    return path.split("?", 1)[0]


def sweep(
    client: httpx.Client, base: str, requests: Iterator[tuple[str, str, str, dict[str, Any]]]
) -> list[str]:
    """Send each ``(label, method, path, httpx kwargs)``; the answers that broke the bar."""
    broken = []
    for label, method, path, kwargs in requests:
        try:
            answer = client.request(method, base + path, **kwargs)
        except httpx.HTTPError as exc:
            broken.append(f"{method} {path[:80]}: {type(exc).__name__} {exc}")
            continue
        why = judge(answer, path=path, method=method)
        if why:
            broken.append(f"{method} {path[:80]} {label}: {why}: {answer.text[:200]}")
    return broken
