"""Hostile JSON at every CLI command that reads JSON: a clear error or a success, never a traceback.

A property test runs each command in-process through typer's ``CliRunner`` (the error mapping
lives in the root command group, so the in-process answer is the installed command's answer)
with hostile bytes from the shared ``hostile_json`` strategy, on stdin or in the file the command
reads: huge numbers, surrogate escapes, UTF-16/32, latin-1, a byte order mark, deep nesting and
garbage, alone or placed inside a real (signed) credential so they reach canonicalization. A few
fixed inputs of each kind then run through real ``python -m ecert`` processes, each asserting the
stable code that names what is wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecert.cli import app
from vc_core.dataintegrity import add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair
from vc_core.ledger import AnchorBody, office_tx
from vc_core.replica import Replica

KEY = KeyPair.from_seed(bytes(range(32)))
HOLE = '"@@HOSTILE@@"'
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EXAMPLES = 40
GENESIS = "0" * 64


def _example() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("examples", "driver-licence.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    doc["issuer"] = did_key(KEY.public)
    return doc


def _with_hole(doc: dict[str, Any]) -> str:
    doc["credentialSubject"]["name"] = HOLE.strip('"')
    return json.dumps(doc, ensure_ascii=False)


@dataclass(frozen=True)
class Files:
    """The good files the commands need besides the hostile one."""

    folder: Path
    key: Path
    unsigned: Path
    signed: Path
    tx: Path
    replica: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("hostile")
    key = folder / "key.json"
    key.write_text(KEY.to_json(), encoding="utf-8")
    unsigned = folder / "unsigned.json"
    unsigned.write_text(json.dumps(_example(), ensure_ascii=False), encoding="utf-8")
    signed = folder / "signed.json"
    vm = verification_method_id(KEY.public)
    doc = add_proof(_example(), KEY, cryptosuite="eddsa-rdfc-2022", verification_method=vm)
    signed.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    tx = folder / "tx.json"
    body = AnchorBody(batch_id="b", batch_root="ab" * 32, leaf_count=1)
    office = "did:ecert:unit:traffic-police"
    tx.write_text(
        office_tx("unit", "anchor", body, office=office, seq=1, time=NOW, key=KEY).to_json()
    )
    replica = folder / "replica.db"
    Replica.open(replica, genesis_hash=GENESIS).close()
    return Files(folder, key, unsigned, signed, tx, replica)


def _signed_template() -> str:
    vm = verification_method_id(KEY.public)
    doc = add_proof(_example(), KEY, cryptosuite="eddsa-rdfc-2022", verification_method=vm)
    return _with_hole(doc)


def _tx_template() -> str:
    body = AnchorBody(batch_id="b", batch_root="ab" * 32, leaf_count=1)
    tx = office_tx(
        "unit", "anchor", body, office="did:ecert:unit:x", seq=1, time=NOW, key=KEY
    ).to_dict()
    tx["body"]["batch_id"] = HOLE.strip('"')
    return json.dumps(tx)


# (id, arguments with HOSTILE where the hostile file goes or "-" for stdin, template)
COMMANDS: list[tuple[str, Callable[[Files], list[str]], Callable[[], str] | None]] = [
    ("verify-proof-stdin", lambda f: ["credential", "verify-proof", "-"], _signed_template),
    (
        "verify-proof-file",
        lambda f: ["credential", "verify-proof", "--allow-uncontrolled-key", "HOSTILE"],
        _signed_template,
    ),
    (
        "verify-proof-context",
        lambda f: [
            "credential",
            "verify-proof",
            "--context",
            "https://ecert.example/extra=HOSTILE",
            str(f.signed),
        ],
        None,
    ),
    (
        "sign-stdin",
        lambda f: ["credential", "sign", "--key", str(f.key), "--suite", "eddsa-rdfc-2022", "-"],
        lambda: _with_hole(_example()),
    ),
    (
        "sign-file",
        lambda f: [
            "credential",
            "sign",
            "--key",
            str(f.key),
            "--suite",
            "eddsa-jcs-2022",
            "HOSTILE",
        ],
        lambda: _with_hole(_example()),
    ),
    ("sign-key", lambda f: ["credential", "sign", "--key", "HOSTILE", str(f.unsigned)], None),
    ("key-show", lambda f: ["key", "show", "HOSTILE"], None),
    ("council-sign", lambda f: ["council", "sign", "HOSTILE", "--key", str(f.key)], _tx_template),
    ("council-sign-key", lambda f: ["council", "sign", str(f.tx), "--key", "HOSTILE"], None),
    (
        "verify-replica",
        lambda f: ["verify", "HOSTILE", "--genesis", GENESIS, "--replica", str(f.replica)],
        _signed_template,
    ),
    ("verify-bundle", lambda f: ["verify", "--bundle", "HOSTILE", "--genesis", GENESIS], None),
    (
        "council-submit",
        lambda f: ["council", "submit", "HOSTILE", "--registry", "http://127.0.0.1:9"],
        None,
    ),
    (
        "office-submit",
        lambda f: ["office", "submit", "HOSTILE", "--registry", "http://127.0.0.1:9"],
        _tx_template,
    ),
    (
        "office-key-add-new-key",
        lambda f: [
            "office",
            "key",
            "add",
            "--office",
            "o",
            "--key",
            str(f.key),
            "--new-key",
            "HOSTILE",
            "--chain-id",
            "unit",
            "--seq",
            "1",
            "--out",
            str(f.folder / "out-tx.json"),
        ],
        None,
    ),
    (
        "registry-import",
        lambda f: [
            "registry",
            "import",
            "HOSTILE",
            "--genesis-hash",
            GENESIS,
            "--replica",
            str(f.folder / "imported.sqlite"),
        ],
        None,
    ),
    (
        "replica-sync-snapshot",
        lambda f: [
            "replica",
            "sync",
            "--replica",
            str(f.folder / "synced.sqlite"),
            "--genesis-hash",
            GENESIS,
            "--snapshot",
            "HOSTILE",
        ],
        None,
    ),
]


def _check(result: Any, args: list[str]) -> None:
    where = f"{args}: exit {result.exit_code}, stderr {result.stderr[-400:]!r}"
    assert result.exit_code in (0, 1, 2, 3), where
    assert result.exception is None or isinstance(result.exception, SystemExit), where
    assert "Traceback" not in result.output + result.stderr, where
    assert "INTERNAL_ERROR" not in result.stderr, where
    if result.exit_code != 0:
        # A failure always says what is wrong: a message, or the report naming the failed step.
        assert result.stderr.strip() or result.stdout.strip(), where


@pytest.mark.parametrize(
    ("args", "template"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS]
)
def test_every_json_command_answers_hostile_input_clearly(
    files: Files,
    hostile_json: Callable[[str | None], Any],
    args: Callable[[Files], list[str]],
    template: Callable[[], str] | None,
) -> None:
    runner = CliRunner()
    strategy = hostile_json(template() if template else None)
    ran: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def answers_clearly(data: st.DataObject) -> None:
        hostile: bytes = data.draw(strategy)
        argv = args(files)
        stdin = hostile if "-" in argv else None
        if "HOSTILE" in " ".join(argv):
            path = files.folder / f"hostile-{len(ran)}.json"
            path.write_bytes(hostile)
            argv = [a.replace("HOSTILE", str(path)) for a in argv]
        result = runner.invoke(app, argv, input=stdin)
        _check(result, argv)
        ran.append(result.exit_code)

    answers_clearly()
    assert len(ran) >= EXAMPLES
    assert 2 in ran, "hostile input must have been refused as malformed at least once"


# Fixed inputs of each kind, through real processes: (id, bytes, the code that names it).
FIXED = [
    ("huge-integer", b'{"a": 1' + b"0" * 5000 + b"}", "NUMBER_OUT_OF_RANGE"),
    ("integer-past-2^53", b'{"a": 9007199254740993}', "NUMBER_OUT_OF_RANGE"),
    ("infinite-float", b'{"a": 1e999}', "NUMBER_OUT_OF_RANGE"),
    ("lone-surrogate", b'{"a": "\\ud800"}', "LONE_SURROGATE"),
    ("lone-surrogate-key", b'{"\\udfff": 1}', "LONE_SURROGATE"),
    ("utf-16-bom", '{"a": 1}'.encode("utf-16"), "NOT_UTF8"),
    ("utf-16-le", '{"a": 1}'.encode("utf-16-le"), "NOT_UTF8"),
    ("utf-32", '{"a": 1}'.encode("utf-32"), "NOT_UTF8"),
    ("latin-1", '{"a": "café"}'.encode("latin-1"), "NOT_UTF8"),
    ("utf-8-bom", b'\xef\xbb\xbf{"a": 1}', "BYTE_ORDER_MARK"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "TOO_DEEP"),
    ("not-json", b"{garbage\x01", "NOT_JSON"),
    ("invalid-utf-8", b'{"a": "\xc3\x28"}', "NOT_UTF8"),
]


@pytest.fixture
def ecert_process(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "ecert", *args],
            check=False,
            input=stdin,
            capture_output=True,
            cwd=tmp_path,
            timeout=120,
        )

    return run


@pytest.mark.parametrize(("data", "code"), [c[1:] for c in FIXED], ids=[c[0] for c in FIXED])
def test_real_processes_name_what_is_wrong(
    ecert_process: Callable[..., subprocess.CompletedProcess[bytes]],
    files: Files,
    tmp_path: Path,
    data: bytes,
    code: str,
) -> None:
    hostile = tmp_path / "hostile.json"
    hostile.write_bytes(data)
    runs = [
        ecert_process("credential", "verify-proof", "-", stdin=data),
        ecert_process("credential", "sign", "--key", str(files.key), str(hostile)),
        ecert_process("key", "show", str(hostile)),
        ecert_process("council", "sign", str(hostile), "--key", str(files.key)),
    ]
    for proc in runs:
        stderr = proc.stderr.decode("utf-8", errors="replace")
        assert proc.returncode == 2, (proc.args, stderr)
        assert code in stderr, (proc.args, stderr)
        assert "Traceback" not in stderr
