"""``uvicorn issuer.app:app_from_env --factory``: settings and the passphrase from ``ISSUER_*``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.app import app_from_env
from issuer.config import get_settings
from vc_core.errors import MalformedError
from vc_core.keystore import KeystoreUnlockError


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_from_the_environment(
    office_dir: Any,
    office_passphrase: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_settings: None,
) -> None:
    monkeypatch.setenv("ISSUER_DATA_DIR", str(office_dir.settings.data_dir))
    monkeypatch.setenv("ISSUER_SUITE_BY_TYPE", '{"PropertyDeedCredential": "eddsa-jcs-2022"}')
    secret = tmp_path / "passphrase"
    secret.write_text(office_passphrase + "\n", encoding="utf-8")
    monkeypatch.setenv("ISSUER_PASSPHRASE_FILE", str(secret))
    app = app_from_env()
    assert app.state.settings.suite_for("PropertyDeedCredential") == "eddsa-jcs-2022"
    with TestClient(app) as client:
        assert client.get("/health").json()["office"] == office_dir.office.did


def test_wrong_or_missing_passphrase(
    office_dir: Any, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("ISSUER_DATA_DIR", str(office_dir.settings.data_dir))
    monkeypatch.delenv("ISSUER_PASSPHRASE", raising=False)
    monkeypatch.delenv("ISSUER_PASSPHRASE_FILE", raising=False)
    with pytest.raises(MalformedError) as missing:
        app_from_env()
    assert missing.value.code == "PASSPHRASE_MISSING"
    monkeypatch.setenv("ISSUER_PASSPHRASE", "wrong")
    with pytest.raises(KeystoreUnlockError):
        app_from_env()


def test_unknown_suite_in_settings_is_refused(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("ISSUER_DEFAULT_SUITE", "rsa-2048")
    with pytest.raises(ValueError, match="unknown cryptosuite"):
        get_settings()
