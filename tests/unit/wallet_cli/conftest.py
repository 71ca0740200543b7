"""Fixtures for the wallet tests: the chain files (built once per module) and a wallet home
driven in-process through the CLI's entry point (Typer's CliRunner)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.unit.wallet_cli.chain import ChainFiles, build_chain
from wallet_cli.cli import app

PASSPHRASE = "correct horse battery staple"
Run = Callable[..., Result]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> ChainFiles:
    return build_chain(tmp_path_factory.mktemp("wallet-chain"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh wallet home; the passphrase comes from the environment, the KDF at test cost."""
    folder = tmp_path / "home"
    monkeypatch.setenv("ECERT_WALLET_HOME", str(folder))
    monkeypatch.setenv("ECERT_WALLET_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("ECERT_WALLET_TEST_KDF_MINIMUM", "1")
    monkeypatch.delenv("ECERT_GENESIS", raising=False)
    return folder


@pytest.fixture
def wallet(home: Path) -> Run:
    """Run ``ecert-wallet ARGS`` in-process; stderr is kept apart from stdout."""
    runner = CliRunner()

    def run(*args: str, **kwargs: Any) -> Result:
        result = runner.invoke(app, list(args), **kwargs)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        assert "Traceback" not in result.stderr
        return result

    return run


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every new socket connection and name lookup fails (and is recorded)."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
