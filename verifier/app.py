"""The verifier's HTTP API: ``create_app(settings)`` builds it; nothing happens at import.

The lifespan opens the challenge database and the replica (from its stored state, at once), and
starts the background sync (:mod:`verifier.sync`) when registry URLs are configured; on shutdown
it stops the sync, waits for a round in progress, and closes both. Requests never wait on the
network: they read the replica as it stands.

A test may pass its own ``replica`` (already open; the app then neither syncs nor closes it
unless registry URLs are set) and ``clock``.

Example:
    >>> from verifier.config import Settings
    >>> create_app(Settings(genesis_hash="ab" * 32, data_dir="/nonexistent")).title
    'ecert verifier'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI

from vc_core.replica import Replica
from verifier import problems
from verifier.config import Settings, get_settings
from verifier.db import make_engine
from verifier.routers import credentials, health, presentations
from verifier.service import Checker
from verifier.sync import ReplicaSync


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    replica: Replica | None = None,
    clock: Callable[[], datetime] = _now,
) -> FastAPI:
    """The verifier's FastAPI app for ``settings`` (see the module docstring)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db_url)
        opened = replica or Replica.open(settings.replica_file, genesis_hash=settings.genesis_hash)
        syncer = None
        if settings.registry_urls:
            syncer = ReplicaSync(
                opened, settings.registry_urls, clock=clock, timeout_s=settings.sync_timeout_s
            )
        app.state.engine, app.state.replica, app.state.syncer = engine, opened, syncer
        app.state.checker = Checker(opened, settings.genesis_hash, settings.policy)
        stop = asyncio.Event()
        task = None
        if syncer is not None:
            task = asyncio.create_task(syncer.run(settings.sync_interval_s, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with suppress(asyncio.CancelledError):
                    await task
                syncer.close()  # type: ignore[union-attr]
            if replica is None:
                opened.close()
            engine.dispose()

    app = FastAPI(title="ecert verifier", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    problems.install(app)
    app.include_router(credentials.router)
    app.include_router(presentations.router)
    app.include_router(health.router)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """``uvicorn verifier.app:app_from_env --factory``: settings from ``VERIFIER_*``."""
    return create_app(get_settings())
