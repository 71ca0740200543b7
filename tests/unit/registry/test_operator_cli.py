"""Operator polish (issue 7 item 6): the registry commands answer a missing file, an unwritable
path and a tampered database with one line and an exit code; a refused import leaves no file;
``serve`` says where it listens."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ecert.cli import run
from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from registry.setup import read_key
from registry.testing import running_node
from vc_core.keys import KeyPair

if TYPE_CHECKING:
    from .conftest import Chain


def _one_line(args: list[str], capsys: pytest.CaptureFixture[str], exit_code: int = 2) -> str:
    code = run(args)
    err = capsys.readouterr().err
    assert code == exit_code, (args, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def _with_block(chain: Chain) -> None:
    engine = make_engine(chain.settings.db_path)
    ledger = EmbeddedLedger.open(engine, read_key(chain.settings.node_key_path))
    ledger.submit(chain.accredit_tx("tp", KeyPair.generate()), chain.now)
    ledger.produce_block(chain.now)
    engine.dispose()


def test_missing_and_unwritable_paths(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(chain.settings.data_dir)
    gone = tmp_path / "no-such-folder"
    assert "UNWRITABLE" in _one_line(
        ["registry", "export", "--data-dir", data, "--out", str(gone / "s.jsonl")], capsys
    )
    assert not gone.exists()
    assert "NO_GENESIS" in _one_line(
        ["registry", "export", "--data-dir", str(gone), "--out", str(tmp_path / "s.jsonl")],
        capsys,
    )
    assert "FILE_NOT_FOUND" in _one_line(
        [
            "registry",
            "import",
            str(gone / "s.jsonl"),
            "--genesis-hash",
            chain.genesis_hash,
            "--replica",
            str(tmp_path / "r.sqlite"),
        ],
        capsys,
    )
    snapshot = tmp_path / "s.jsonl"
    assert run(["registry", "export", "--data-dir", data, "--out", str(snapshot)]) == 0
    assert "UNWRITABLE" in _one_line(
        [
            "registry",
            "import",
            str(snapshot),
            "--genesis-hash",
            chain.genesis_hash,
            "--replica",
            str(gone / "r.sqlite"),
        ],
        capsys,
    )
    assert "UNWRITABLE" in _one_line(
        [
            "registry",
            "init",
            "--council",
            "1",
            "--threshold",
            "1",
            "--data-dir",
            "/proc/ecert-cannot-be-here",
        ],
        capsys,
    )
    assert "NO_GENESIS" in _one_line(["registry", "audit", "--data-dir", str(gone)], capsys)


def test_a_refused_import_leaves_no_file_behind(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_block(chain)
    snapshot = tmp_path / "s.jsonl"
    assert (
        run(
            [
                "registry",
                "export",
                "--data-dir",
                str(chain.settings.data_dir),
                "--out",
                str(snapshot),
            ]
        )
        == 0
    )
    lines = snapshot.read_text().splitlines()
    block = json.loads(lines[2])
    block["transactions"][0]["body"]["name"] = "Someone else"  # block 1, after signing
    lines[2] = json.dumps(block)
    snapshot.write_text("\n".join(lines) + "\n")
    folder = tmp_path / "replicas"
    folder.mkdir()
    code = run(
        [
            "registry",
            "import",
            str(snapshot),
            "--genesis-hash",
            chain.genesis_hash,
            "--replica",
            str(folder / "r.sqlite"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert list(folder.iterdir()) == [], "nothing of the refused replica is left"


def test_serve_refuses_a_tampered_database_in_one_line(chain: Chain) -> None:
    _with_block(chain)
    with sqlite3.connect(chain.settings.db_path) as conn:
        (body,) = conn.execute("SELECT body FROM tx WHERE height = 1").fetchone()
        conn.execute(
            "UPDATE tx SET body = ? WHERE height = 1",
            (bytes(body).replace(b"Office tp", b"Office TP"),),
        )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecert",
            "registry",
            "serve",
            "--data-dir",
            str(chain.settings.data_dir),
            "--port",
            "9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "height 1" in done.stderr or "STORED_BLOCK_INVALID" in done.stderr, done.stderr


def test_serve_says_where_it_listens(chain: Chain) -> None:
    with running_node(chain.settings.data_dir) as node:
        log = node.log_path.read_text()
    assert f"listening on {node.url}" in log and "head 0" in log


def test_audit_with_a_bad_block_0_prints_a_sensible_head(
    chain: Chain, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(chain.settings.db_path) as conn:
        (body,) = conn.execute("SELECT body FROM tx WHERE height = 0").fetchone()
        conn.execute(
            "UPDATE tx SET body = ? WHERE height = 0", (bytes(body).replace(b"1", b"2", 1),)
        )
    code = run(["registry", "audit", "--data-dir", str(chain.settings.data_dir)])
    out = capsys.readouterr().out
    assert code == 1
    assert "head: none verified" in out and "None" not in out
    assert "audit: FAILED at height 0" in out
