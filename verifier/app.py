"""The verifier's HTTP API: ``create_app(settings)`` builds it; nothing happens at import.

The lifespan opens the challenge database and the replica (from its stored state, at once), and
starts the background sync (:mod:`verifier.sync`) when registry URLs are configured; on shutdown
it stops the sync, waits for a round in progress, and closes both. Requests never wait on the
network: they read the replica as it stands.

``ecert verifier serve`` opens the replica first (:func:`open_replica`, so a file that does not
verify from the trusted genesis is one line and an exit code, before any server runs) and hands
it over as ``opened``: the app closes it on shutdown. A test may lend its own ``replica``
instead (the app then never closes it; it syncs it only if registry URLs are set) and its own
``clock``. ``receipt_key`` signs the receipts (:mod:`verifier.receipts`); ``serve`` and
:func:`app_from_env` pass the sealed key from the data dir, and an app made without one (a
test's) signs with a key made for its lifetime.

Example:
    >>> from verifier.config import Settings
    >>> create_app(Settings(genesis_hash="ab" * 32, data_dir="/nonexistent")).title
    'ecert verifier'
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI

from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits
from vc_core.ledger import ChainError
from vc_core.replica import Replica
from verifier import problems
from verifier.config import Settings, get_settings
from verifier.db import make_engine
from verifier.oid4vp.signer import RequestSigner, load_signer
from verifier.receipts import ReceiptSigner, load_or_init_key, passphrase_from
from verifier.routers import credentials, health, oid4vp, presentations, web
from verifier.service import Checker
from verifier.sync import ReplicaSync


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    replica: Replica | None = None,
    opened: Replica | None = None,
    clock: Callable[[], datetime] = _now,
    signer: RequestSigner | None = None,
    receipt_key: KeyPair | None = None,
) -> FastAPI:
    """The verifier's FastAPI app for ``settings`` (see the module docstring)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db_url)
        owned: Replica | None = None
        if replica is not None:
            used = replica
        else:
            used = owned = opened if opened is not None else open_replica(settings)
        syncer = None
        if settings.registry_urls:
            syncer = ReplicaSync(
                used, settings.registry_urls, clock=clock, timeout_s=settings.sync_timeout_s
            )
        app.state.engine, app.state.replica, app.state.syncer = engine, used, syncer
        app.state.checker = Checker(used, settings.genesis_hash, settings.policy)
        app.state.request_signer = signer or load_signer(settings)
        app.state.receipts = ReceiptSigner(
            signing_key, settings.genesis_hash, used, issuer_did=settings.receipt_did
        )
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
            if owned is not None:
                owned.close()
            engine.dispose()

    signing_key = receipt_key or KeyPair.generate()
    app = FastAPI(title="ecert verifier", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    problems.install(app)
    app.include_router(credentials.router)
    app.include_router(presentations.router)
    app.include_router(health.router)
    app.include_router(oid4vp.router)
    app.include_router(web.router)
    # The last added is the outermost: the body limit applies to the fast path too.
    app.add_middleware(credentials.VerifyFastPath)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def open_replica(settings: Settings) -> Replica:
    """The replica file, opened and verified from the trusted genesis.

    Raises:
        MalformedError: ``REPLICA_NOT_OF_THIS_CHAIN``: the file holds blocks that do not verify
            from ``settings.genesis_hash`` (another chain's replica, or a damaged one);
            ``REPLICA_UNREADABLE``: the path cannot be created or is not a replica file.
    """
    path = settings.replica_file
    try:
        return Replica.open(path, genesis_hash=settings.genesis_hash)
    except (OSError, sqlite3.DatabaseError) as exc:
        # sqlite3's own text names the problem ("file is not a database") and no content.
        raise MalformedError(
            f"cannot open the replica {path}: {exc}", code="REPLICA_UNREADABLE"
        ) from None
    except ChainError as exc:
        raise MalformedError(
            f"the replica {settings.replica_file} does not verify from the trusted genesis "
            f"{settings.genesis_hash[:16]}…: {exc.message}; point --replica at this chain's "
            "replica, or move the file away to sync a new one",
            code="REPLICA_NOT_OF_THIS_CHAIN",
        ) from exc


def app_from_env() -> FastAPI:
    """``uvicorn verifier.app:app_from_env --factory``: settings from ``VERIFIER_*``."""
    settings = get_settings()
    return create_app(settings, receipt_key=receipt_key_of(settings))


def receipt_key_of(settings: Settings) -> KeyPair:
    """The sealed receipt key of the data dir, made at the first start (see
    :mod:`verifier.receipts`).

    Raises:
        MalformedError: no passphrase, a wrong one, an unknown KDF strength.
    """
    passphrase = passphrase_from(settings.passphrase_file)
    limits = KdfLimits.preset(settings.key_kdf)
    return load_or_init_key(settings.receipt_key_file, passphrase, limits)
