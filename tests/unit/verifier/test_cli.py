"""``ecert verifier serve``: a bad setting is one line and exit 2, never a traceback; the
environment configures what the options do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecert.cli import run
from verifier.app import app_from_env
from verifier.config import get_settings


def test_a_bad_genesis_hash_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["verifier", "serve", "--genesis", "not-a-hash"]) == 2
    err = capsys.readouterr().err
    assert "BAD_OPTION" in err and "genesis_hash" in err and "Traceback" not in err


def test_the_environment_configures_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VERIFIER_GENESIS_HASH", "ab" * 32)
    monkeypatch.setenv("VERIFIER_REGISTRY_URLS", json.dumps(["http://127.0.0.1:1"]))
    monkeypatch.setenv("VERIFIER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VERIFIER_FRESHNESS_MAX_AGE_S", "60")
    monkeypatch.setenv("VERIFIER_PASSPHRASE", "a unit test's receipt key passphrase")
    monkeypatch.setenv("VERIFIER_KEY_KDF", "interactive")
    get_settings.cache_clear()
    try:
        app = app_from_env()
        settings = app.state.settings
        assert settings.registry_urls == ["http://127.0.0.1:1"]
        assert settings.policy.max_age.total_seconds() == 60
        assert settings.replica_file == tmp_path / "replica.sqlite"
    finally:
        get_settings.cache_clear()
