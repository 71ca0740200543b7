"""The verifier's OpenID4VP keys: requester API keys (only hashes kept) and the sealed key that
signs request objects (the same client_id across restarts; a wrong passphrase stops the start
with one line and exit 2; no passphrase, a key in memory only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecert.cli import run
from verifier.config import Settings
from verifier.oid4vp.auth import authorize, key_hash
from verifier.oid4vp.signer import PASSPHRASE_ENV, load_signer

GENESIS = "ab" * 32


def test_api_key_prints_a_key_and_the_hash_to_configure(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["verifier", "api-key"]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    key, digest = lines["key"].strip(), lines["hash"].strip()
    assert key.startswith("ecert-vr.") and digest == key_hash(key)
    assert authorize(f"Bearer {key}", [digest]) == digest
    assert key not in digest


def test_the_sealed_request_key_gives_one_client_id_across_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "request key passphrase")
    settings = Settings(genesis_hash=GENESIS, data_dir=tmp_path)
    first, second = load_signer(settings), load_signer(settings)
    assert first.persistent and first.client_id == second.client_id
    sealed = (tmp_path / "request-key.sealed").read_text("utf-8")
    assert first.key.secret_multibase not in sealed and json.loads(sealed)["format"]
    monkeypatch.delenv(PASSPHRASE_ENV)
    ephemeral = load_signer(settings)
    assert not ephemeral.persistent and ephemeral.client_id != first.client_id


def test_a_wrong_request_key_passphrase_stops_serve_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "the right one")
    load_signer(Settings(genesis_hash=GENESIS, data_dir=tmp_path))
    monkeypatch.setenv(PASSPHRASE_ENV, "a wrong one")
    code = run(["verifier", "serve", "--genesis", GENESIS, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "KEYSTORE_UNLOCK_FAILED" in err and err.count("\n") == 1
    assert "the right one" not in err and "a wrong one" not in err
