"""FastAPI dependencies as ``Annotated`` aliases: the node, its ledger, settings and the clock;
and :func:`require_json`, the media-type check of every write route.

The clock is a dependency so tests can pin time with ``app.dependency_overrides[get_now]``.
They are ``async`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool, and the
thread hops (and GIL hand-offs) cost more than the work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from registry.config import Settings
from registry.ledger import EmbeddedLedger
from registry.node import Node
from vc_core.errors import UnsupportedMediaTypeError

JSON_MEDIA_TYPE = "application/json"
HEX64_PATTERN = r"^[0-9a-f]{64}$"


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def get_ledger(request: Request) -> EmbeddedLedger:
    node: Node = request.app.state.node
    return node.ledger


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_now() -> datetime:
    """The request's time: the one place the API reads the clock."""
    return datetime.now(UTC)


def require_json(content_type: str | None) -> None:
    """Refuse a request body that is not ``application/json`` in UTF-8 (HTTP 415).

    Called inline by write routes rather than as a dependency, because each dependency costs a
    measurable share of a submission. Parameters other than ``charset`` are ignored; a charset
    other than UTF-8 is refused, since the body parser reads UTF-8 only (see
    :mod:`vc_core.jsonio`).

    Raises:
        UnsupportedMediaTypeError: ``UNSUPPORTED_MEDIA_TYPE``.
    """
    media, *params = (content_type or "").split(";")
    if media.strip().lower() != JSON_MEDIA_TYPE:
        raise UnsupportedMediaTypeError(
            f"the body must be sent as Content-Type: {JSON_MEDIA_TYPE}, "
            f"not {content_type or 'nothing'}",
            field="Content-Type",
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise UnsupportedMediaTypeError(
                f"the body must be UTF-8, not {value.strip()}", field="Content-Type"
            )


NodeDep = Annotated[Node, Depends(get_node)]
LedgerDep = Annotated[EmbeddedLedger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
NowDep = Annotated[datetime, Depends(get_now)]

# Path parameters that name a SHA-256 value: the pattern is checked (422 otherwise) and declared
# in the OpenAPI document.
HashPath = Annotated[
    str, Path(pattern=HEX64_PATTERN, description="A SHA-256 hash: 64 lower-case hex digits.")
]
DigestPath = Annotated[
    str,
    Path(
        pattern=HEX64_PATTERN,
        description="A credential digest (SHA-256): 64 lower-case hex digits.",
    ),
]
