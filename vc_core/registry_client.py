"""The one HTTP client of a registry node: timeouts, retries, typed errors.

Every service that talks to a registry (the replica's block source, the council CLI, and later
the issuer and the wallet) goes through :class:`RegistryClient`; nothing else builds registry
URLs or reads registry responses by hand.

How it fails, by who is at fault (STYLE §4):

- The node cannot be reached (refused, reset, timed out): retried ``retries`` times with
  exponential backoff, then :class:`~vc_core.errors.RegistryError` — "could not check", never
  "invalid". Only transport errors are retried: an answer, even a 5xx, is final.
- The node answers 5xx, or answers something that is not JSON of the expected shape:
  :class:`~vc_core.errors.RegistryError` as well (the infrastructure failed, not the data).
- The node answers 4xx with RFC 9457 problem details: the typed error for its status (404 →
  :class:`~vc_core.errors.NotFoundError`, 413 → :class:`~vc_core.errors.PayloadTooLargeError`,
  422 → :class:`~vc_core.errors.VerificationError` or, for a request the endpoint could not
  read, :class:`~vc_core.errors.ValidationFailedError`, 403 →
  :class:`~vc_core.errors.TrustError`, any other 4xx → :class:`~vc_core.errors.MalformedError`),
  carrying the server's ``code``, ``detail`` and ``field``; ``details["problem"]`` keeps the
  whole report. A 4xx is never retried.

Example (not run here: it needs a node)::

    with RegistryClient("http://127.0.0.1:8700") as registry:
        checkpoint = registry.checkpoint()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from vc_core.anchoring import AnchorReceipt
from vc_core.bounded_http import bounded_request
from vc_core.errors import (
    MalformedError,
    NotFoundError,
    PayloadTooLargeError,
    RegistryError,
    TrustError,
    ValidationFailedError,
    VCError,
    VerificationError,
)
from vc_core.jsonio import parse_json
from vc_core.ledger import Block, BlockPage, Checkpoint, Transaction

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_S = 0.2
# A page of blocks can be large (anchors publish their leaves); past this an answer is refused.
RESPONSE_MAX_BYTES = 256 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)


class ClientCode(StrEnum):
    """Codes of the errors the client raises itself (server codes pass through unchanged)."""

    REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE"
    REGISTRY_BAD_RESPONSE = "REGISTRY_BAD_RESPONSE"


_BY_STATUS: dict[int, type[VCError]] = {
    403: TrustError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    422: VerificationError,
}


class TxStatus(BaseModel):
    """A transaction's state on the node: ``pending``, ``included`` (with its block height) or
    ``rejected`` (with the node's problem report)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    hash: str
    state: Literal["pending", "included", "rejected"]
    height: int | None = None
    problem: dict[str, Any] | None = None


class RegistryClient:
    """A registry node's HTTP API, with typed answers and typed errors.

    Args:
        url: the node's base URL, e.g. ``http://127.0.0.1:8700``.
        timeout_s: the connect/read/write timeout of each attempt.
        retries: how many times a transport failure is retried (0 = one attempt).
        backoff_s: the wait before the first retry; it doubles for each next one.
        transport: an ``httpx`` transport (tests); the default opens real connections.
        sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = RESPONSE_MAX_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self._max_bytes = max_response_bytes
        self._retries = max(0, retries)
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Typed endpoints.

    def checkpoint(self) -> Checkpoint:
        """``GET /checkpoint``: the node's head, signed by its producer (not yet checked).

        Raises:
            MalformedError: ``MALFORMED_CHECKPOINT`` — signed data that does not parse is
                hostile data, not an outage.
        """
        return _signed(Checkpoint, self.get_json("/checkpoint"), "MALFORMED_CHECKPOINT")

    def blocks(self, start: int, limit: int) -> BlockPage:
        """``GET /blocks?from=start&limit=limit``: blocks as the producer signed them.

        Raises:
            MalformedError: ``MALFORMED_BLOCK`` for a block that does not parse.
        """
        data = self.get_json("/blocks", params={"from": start, "limit": limit})
        if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
            raise self._bad("/blocks", "no list of blocks")
        head = data.get("head")
        if not isinstance(head, int) or isinstance(head, bool):
            raise self._bad("/blocks", "no head height")
        blocks = [_signed(Block, b, "MALFORMED_BLOCK") for b in data["blocks"]]
        return BlockPage(head=head, blocks=blocks)

    def iter_blocks(self, start: int = 0, stop: int | None = None) -> Iterator[Block]:
        """Blocks ``start…stop`` (inclusive; default: to the node's head), page by page."""
        height = start
        while stop is None or height <= stop:
            page = self.blocks(height, 100 if stop is None else min(100, stop - height + 1))
            yield from page.blocks
            if not page.blocks or page.blocks[-1].height >= page.head:
                return
            height = page.blocks[-1].height + 1

    def next_seq(self, author: str) -> int:
        """``GET /accounts/{author}``: the seq the author's next transaction must carry."""
        data = self.get_json(f"/accounts/{author}")
        seq = data.get("next_seq") if isinstance(data, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise self._bad(f"/accounts/{author}", "no next_seq")
        return seq

    def receipt(self, leaf: str) -> AnchorReceipt:
        """``GET /receipts/{leaf}``: the anchor receipt of a credential digest (hex).

        The receipt is not checked here; :func:`vc_core.anchoring.verify_receipt` does that.

        Raises:
            NotFoundError: ``ANCHOR_NOT_FOUND`` — no anchored batch publishes this leaf.
            MalformedError: the receipt does not parse or is not canonical (hostile data).
        """
        return AnchorReceipt.from_json(self._send("GET", f"/receipts/{leaf}").content)

    def submit(self, tx: Transaction, *, wait_s: float = 0.0) -> TxStatus:
        """``POST /transactions``, waiting up to ``wait_s`` for the block (``Prefer: wait``).

        Resubmitting is safe (the node answers a known transaction's state), so transport
        failures are retried like any other request.
        """
        headers = {"Content-Type": "application/json"}
        if wait_s > 0:
            headers["Prefer"] = f"wait={wait_s:g}"
        data = self.post_json("/transactions", tx.to_json().encode("utf-8"), headers=headers)
        if isinstance(data, dict) and isinstance(data.get("block"), dict):
            data = {**data, "height": data["block"].get("height")}
        return self._model(TxStatus, data, "/transactions")

    # The transport, for endpoints without a typed method yet.

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """``GET path`` → its JSON body. Raises as the module docstring says."""
        return self._json(self._send("GET", path, params=params), path)

    def post_json(
        self, path: str, content: bytes, *, headers: Mapping[str, str] | None = None
    ) -> Any:
        """``POST path`` with ``content`` → its JSON body. Raises as the module docstring says."""
        return self._json(self._send("POST", path, content=content, headers=headers), path)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._bounded(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise RegistryError(
                        f"{self.url} could not be reached ({type(exc).__name__}) after "
                        f"{attempt + 1} attempt(s)",
                        code=ClientCode.REGISTRY_UNAVAILABLE,
                    ) from exc
                self._sleep(self._backoff_s * 2**attempt)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise _problem_error(self.url + path, response)
            return response

    def _bounded(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # A node is not trusted to stop talking: past the limit it is "could not check", and the
        # rest is never read into memory (vc_core/bounded_http.py).
        return bounded_request(
            self._http,
            method,
            self.url + path,
            max_bytes=self._max_bytes,
            too_large=lambda: self._bad(
                path, f"more than {self._max_bytes} bytes; stopped reading"
            ),
            **kwargs,
        )

    def _json(self, response: httpx.Response, path: str) -> Any:
        # A node is not trusted to send sane JSON: a deep or huge answer is "could not check".
        try:
            return parse_json(response.content, max_bytes=RESPONSE_MAX_BYTES)
        except MalformedError as exc:
            raise self._bad(path, f"not I-JSON ({exc.code})") from exc

    def _model(self, model: type[M], data: Any, path: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self._bad(path, f"not a {model.__name__}") from exc

    def _bad(self, path: str, what: str) -> RegistryError:
        return RegistryError(
            f"{self.url}{path} answered {what}", code=ClientCode.REGISTRY_BAD_RESPONSE
        )


def _signed(model: type[M], data: Any, code: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MalformedError(f"a registry sent a malformed {model.__name__}", code=code) from exc


def answered_status(error: VCError) -> int | None:
    """The HTTP status of the node's answer that ``error`` stands for (``None``: no answer)."""
    status = error.details.get("status")
    return status if isinstance(status, int) else None


def _problem_error(where: str, response: httpx.Response) -> VCError:
    """The typed error for an HTTP error answer, from its problem details when it has them."""
    status = response.status_code
    try:
        problem = parse_json(response.content)
    except MalformedError:
        problem = None
    if not isinstance(problem, dict):
        problem = {}
    code = problem.get("code") if isinstance(problem.get("code"), str) else f"HTTP_{status}"
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    field = problem.get("field") if isinstance(problem.get("field"), str) else None
    message = f"{where} answered {status}" + (f": {detail}" if detail else "")
    details = {"status": status, "problem": problem}
    if status >= 500:
        return RegistryError(message, code=code, field=field, details=details)
    cls = _BY_STATUS.get(status, MalformedError)
    if status == 422 and code == ValidationFailedError.default_code:
        cls = ValidationFailedError
    return cls(message, code=code, field=field, details=details)
