"""Issuer test fixtures: an office folder, operators with real tokens, an app on them.

Fixtures return factories, so a test says which operator it wants. Every piece is the real one
(sealed key store, SQLite file, token hashing, the FastAPI app through ``TestClient``); the only
thing pinned is the clock, through the app's ``get_now`` dependency.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.app import create_app
from issuer.auth import NewToken, add_operator
from issuer.config import Settings
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.office import Office, init_office, unlock_office
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.keystore import KdfLimits

OFFICE_DID = "did:ecert:unit:traffic-police"
PASSPHRASE = "unit-test passphrase, long enough"
# Before every example's validUntil (the earliest ends 2024-06-01), so each can be issued.
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
ALL_TYPES = tuple(CREDENTIAL_TYPES)


def _example(type_name: str) -> dict[str, Any]:
    name = CREDENTIAL_TYPES[type_name].example_file
    text = resources.files("schemas").joinpath("examples", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    data.pop("id", None)
    return data


@pytest.fixture
def draft() -> Callable[[str], dict[str, Any]]:
    """``draft(type)``: the type's unsigned example without its id (the issuer assigns one)."""
    return _example


@pytest.fixture
def office_passphrase() -> str:
    """The passphrase the ``office_dir`` fixture sealed its key under."""
    return PASSPHRASE


@pytest.fixture
def now() -> datetime:
    """The pinned time of every request the ``client`` fixture makes."""
    return NOW


@dataclass
class OfficeDir:
    settings: Settings
    office: Office


@pytest.fixture
def office_dir(tmp_path: Path) -> OfficeDir:
    # Dual control off, so one operator issues any type here; tests/unit/issuer/test_approvals.py
    # and the authorization matrix run with the default policy (deeds need two operators).
    settings = Settings(data_dir=tmp_path / "office", approvals_by_type={})
    init_office(
        settings=settings,
        did=OFFICE_DID,
        name="Traffic police",
        passphrase=PASSPHRASE,
        limits=KdfLimits.minimum(),
        now=NOW,
    )
    return OfficeDir(settings, unlock_office(settings=settings, passphrase=PASSPHRASE))


MakeOperator = Callable[..., NewToken]


@pytest.fixture
def make_operator(office_dir: OfficeDir) -> Iterator[MakeOperator]:
    engine = make_engine(office_dir.settings.db_url)

    def make(
        *,
        roles: tuple[str, ...] = ("issuer",),
        types: tuple[str, ...] = ALL_TYPES,
        lifetime: timedelta = timedelta(days=30),
        now: datetime = NOW,
        name: str = "clerk",
    ) -> NewToken:
        with Session(engine) as session:
            return add_operator(
                session,
                name=name,
                roles=roles,
                credential_types=types,
                lifetime=lifetime,
                now=now,
            )

    yield make
    engine.dispose()


@pytest.fixture
def client(office_dir: OfficeDir) -> Iterator[TestClient]:
    app = create_app(office_dir.settings, office_dir.office)

    async def pinned() -> datetime:
        return NOW

    app.dependency_overrides[get_now] = pinned
    with TestClient(app) as test_client:
        yield test_client
