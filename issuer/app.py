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

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from issuer import problems
from issuer.accreditation import AccreditationGate
from issuer.batch_runner import start_runner
from issuer.commits import GroupWriter
from issuer.config import PASSPHRASE_ENV, Settings, get_settings
from issuer.db import make_engine, make_writer_engine
from issuer.keyring import KeyWatcher, unsealer
from issuer.office import Office, unlock_office
from issuer.oid4vci import routes as oid4vci
from issuer.routers import batches, credentials, deeds, health, requests, status
from issuer.worker import WorkerThread
from vc_core.canon import default_contexts
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.keystore import read_passphrase


def create_app(
    settings: Settings, office: Office, *, unseal: Callable[[str], KeyPair] | None = None
) -> FastAPI:
    """The issuer's FastAPI app for ``settings``, signing as ``office``.

    With ``unseal`` (:func:`issuer.keyring.unsealer`), a :class:`~issuer.keyring.KeyWatcher`
    switches the office to a rotated key as soon as office.json names it current.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db_url)
        app.state.engine = engine
        writer = GroupWriter(make_writer_engine(settings.db_url))
        app.state.writer = writer
        gate = _open_gate(settings, office)
        app.state.gate = gate
        worker = None
        if settings.registry_url and settings.anchor_worker:
            worker = WorkerThread(engine=engine, office=office, settings=settings)
            worker.start()
        watcher = KeyWatcher(settings, office, unseal) if unseal is not None else None
        if watcher is not None:
            watcher.start()
        batch_thread = None
        if settings.batch_runner:
            batch_thread = start_runner(engine=engine, office=office, settings=settings, gate=gate)
            app.state.batch_runner = batch_thread.runner
        try:
            yield
        finally:
            if batch_thread is not None:
                batch_thread.stop()
            if watcher is not None:
                watcher.stop()
            if worker is not None:
                worker.stop()
            if gate is not None:
                gate.close()
            writer.close()
            engine.dispose()

    if settings.registry_url and settings.accreditation_check and not settings.genesis_hash:
        raise MalformedError(
            "ISSUER_GENESIS_HASH is needed to check accreditation against the registry "
            "(or set ISSUER_ACCREDITATION_CHECK=false)",
            code="GENESIS_HASH_MISSING",
        )
    app = FastAPI(title="ecert issuer", lifespan=lifespan)
    app.state.gate = None
    app.state.writer = None
    app.state.settings = settings
    app.state.office = office
    app.state.contexts = default_contexts()
    problems.install(app)
    app.include_router(status.router)
    app.include_router(credentials.router)
    app.include_router(health.router)
    app.include_router(deeds.router)
    app.include_router(requests.router)
    oid4vci.install(app)
    app.include_router(batches.router)
    app.add_middleware(
        problems.BodyLimit,
        max_bytes=settings.max_body_bytes,
        by_path={"/batches": settings.batch_max_body_bytes},
    )
    return app


def _open_gate(settings: Settings, office: Office) -> AccreditationGate | None:
    """The office's replica and accreditation rules, when a registry is configured."""
    if not (settings.registry_base and settings.accreditation_check and settings.genesis_hash):
        return None
    return AccreditationGate.open(
        settings.data_dir,
        registry_url=settings.registry_base,
        genesis_hash=settings.genesis_hash,
        office_did=office.did,
        max_age=timedelta(seconds=settings.replica_max_age_s),
        sync_every=timedelta(seconds=settings.replica_sync_s),
    )


def app_from_env() -> FastAPI:
    """``uvicorn issuer.app:app_from_env --factory``: settings from ``ISSUER_*``.

    The passphrase comes from ``ISSUER_PASSPHRASE_FILE`` or ``ISSUER_PASSPHRASE``.
    """
    settings = get_settings()
    passphrase = read_passphrase(env_var=PASSPHRASE_ENV, file=settings.passphrase_file)
    office = unlock_office(settings=settings, passphrase=passphrase)
    return create_app(settings, office, unseal=unsealer(settings, passphrase))
