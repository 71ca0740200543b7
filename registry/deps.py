"""FastAPI dependencies as ``Annotated`` aliases: the node, its ledger, settings and the clock.

The clock is a dependency so tests can pin time with ``app.dependency_overrides[get_now]``.
They are ``async`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool, and the
thread hops (and GIL hand-offs) cost more than the work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from registry.config import Settings
from registry.ledger import EmbeddedLedger
from registry.node import Node


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


NodeDep = Annotated[Node, Depends(get_node)]
LedgerDep = Annotated[EmbeddedLedger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
