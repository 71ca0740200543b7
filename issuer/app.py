"""The issuer's HTTP API: ``create_app(settings, office)`` builds it; nothing happens at import.

The office arrives already unlocked (:func:`issuer.office.unlock_office`), so a wrong passphrase
is reported by the command that starts the service, before any server runs. The lifespan opens
the database, starts the chain worker (:mod:`issuer.worker`) when a registry is configured, and
stops both on shutdown.

Example:
    >>> from issuer.config import Settings
    >>> from issuer.office import Office
    >>> from vc_core.keys import KeyPair
    >>> office = Office(did="did:ecert:demo:tp", name="TP", signer=KeyPair.generate())
    >>> create_app(Settings(data_dir="/nonexistent"), office).title
    'ecert issuer'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from issuer import problems
from issuer.config import PASSPHRASE_ENV, Settings, get_settings
from issuer.db import make_engine
from issuer.office import Office, unlock_office
from issuer.routers import credentials, health, status
from issuer.worker import WorkerThread
from vc_core.canon import default_contexts
from vc_core.keystore import read_passphrase


def create_app(settings: Settings, office: Office) -> FastAPI:
    """The issuer's FastAPI app for ``settings``, signing as ``office``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db_url)
        app.state.engine = engine
        worker = None
        if settings.registry_url and settings.anchor_worker:
            worker = WorkerThread(engine=engine, office=office, settings=settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(title="ecert issuer", lifespan=lifespan)
    app.state.settings = settings
    app.state.office = office
    app.state.contexts = default_contexts()
    problems.install(app)
    app.include_router(status.router)
    app.include_router(credentials.router)
    app.include_router(health.router)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """``uvicorn issuer.app:app_from_env --factory``: settings from ``ISSUER_*``.

    The passphrase comes from ``ISSUER_PASSPHRASE_FILE`` or ``ISSUER_PASSPHRASE``.
    """
    settings = get_settings()
    passphrase = read_passphrase(env_var=PASSPHRASE_ENV, file=settings.passphrase_file)
    return create_app(settings, unlock_office(settings=settings, passphrase=passphrase))
