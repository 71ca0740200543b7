"""The registry's HTTP API: ``create_app(settings)`` builds it; nothing happens at import.

The lifespan opens the chain (re-verifying it from genesis), starts the one block writer, and on
shutdown seals what is pending before closing the database.

Example:
    >>> from registry.config import Settings
    >>> create_app(Settings(data_dir="/nonexistent")).title
    'ecert registry'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from registry import problems
from registry.config import Settings, get_settings
from registry.ledger import EmbeddedLedger
from registry.node import Node
from registry.routers import anchors, chain, offices, receipts, status_lists, transactions
from registry.setup import open_ledger, read_key


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, *, opened: EmbeddedLedger | None = None) -> FastAPI:
    """The registry node's FastAPI app for ``settings`` (``opened``: a ledger ``serve`` already
    opened and verified, so a bad chain is reported before the server starts)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = opened if opened is not None else open_ledger(settings)
        node_class = Node
        if settings.backend == "evm":
            from registry.evm.node import EvmNode

            node_class = EvmNode
        node = node_class(
            ledger,
            signer=read_key(settings.node_key_path),
            interval_s=settings.block_interval_ms / 1000,
            max_txs=settings.max_block_txs,
            clock=_now,
            max_wait_s=settings.max_wait_s,
        )
        app.state.node = node
        await node.start()
        try:
            yield
        finally:
            await node.stop()
            ledger.engine.dispose()

    app = FastAPI(title="ecert registry", lifespan=lifespan)
    app.state.settings = settings
    problems.install(app)
    for module in (transactions, chain, offices, anchors, receipts, status_lists):
        app.include_router(module.router)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """``uvicorn registry.app:app_from_env --factory``: settings from ``REGISTRY_*``."""
    return create_app(get_settings())
