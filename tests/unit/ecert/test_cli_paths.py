"""Every ``ecert`` subcommand meets a missing input file, or an output it cannot write, with one
line on stderr and exit 2: never a traceback, never a half-written file.

The office, council, replica and registry subcommands are covered in ``tests/unit/registry``
(``test_cli_inputs.py``, ``test_operator_cli.py``); this file covers the rest, and its last test
walks the whole command tree so that a new subcommand cannot be added without a place here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from ecert.cli import app, run
from vc_core.keys import KeyPair

GENESIS = "0" * 64

# Command → arguments; MISSING is a file that does not exist, UNWRITABLE a path below a regular
# file (no folder can be made there, even by root), KEY a real key file.
CASES: dict[str, list[str]] = {
    "key new": ["key", "new", "--out", "UNWRITABLE"],
    "key show": ["key", "show", "MISSING"],
    "credential sign (credential)": ["credential", "sign", "--key", "KEY", "MISSING"],
    "credential sign (key)": ["credential", "sign", "--key", "MISSING", "KEY"],
    "credential sign (context)": [
        "credential", "sign", "--key", "KEY", "--context", "https://x.example/c=MISSING", "KEY",
    ],
    "credential verify-proof": ["credential", "verify-proof", "MISSING"],
    "verify (credential)": ["verify", "MISSING", "--genesis", GENESIS, "--replica", "MISSING"],
    "verify (replica)": ["verify", "KEY", "--genesis", GENESIS, "--replica", "MISSING"],
    "verify (bundle)": ["verify", "--bundle", "MISSING", "--genesis", GENESIS],
    "issuer init": ["issuer", "init", "--did", "did:ecert:c:o", "--name", "O", "--data-dir",
                    "UNWRITABLE", "--passphrase-file", "MISSING"],
    "issuer serve": ["issuer", "serve", "--data-dir", "MISSING"],
    "issuer operator add": ["issuer", "operator", "add", "--name", "n", "--role", "issuer",
                            "--type", "DriverLicenceCredential", "--data-dir", "MISSING"],
    "issuer operator revoke": ["issuer", "operator", "revoke", "op-1", "--data-dir", "MISSING"],
    "issuer operator list": ["issuer", "operator", "list", "--data-dir", "MISSING"],
    "issuer rotate-key": ["issuer", "rotate-key", "--data-dir", "MISSING", "--registry",
                          "http://127.0.0.1:9", "--passphrase-file", "KEY"],
    "issuer batch": ["issuer", "batch", "MISSING", "--type", "DriverLicenceCredential",
                     "--url", "http://127.0.0.1:9", "--token-file", "KEY"],
    "verifier serve (replica)": ["verifier", "serve", "--genesis", GENESIS, "--replica", "KEY"],
    "verifier serve (data dir)": [
        "verifier", "serve", "--genesis", GENESIS, "--data-dir", "UNWRITABLE",
    ],
    "verifier init": ["verifier", "init", "--data-dir", "UNWRITABLE", "--passphrase-file",
                      "MISSING"],
    "receipt verify": ["receipt", "verify", "MISSING"],
}  # fmt: skip

# Subcommands whose paths are tested in tests/unit/registry, and those that read no file.
ELSEWHERE = ("office ", "council ", "replica ", "registry ")
NO_FILES = {"demo", "verifier api-key"}


def _fill(args: list[str], tmp_path: Path) -> list[str]:
    key = tmp_path / "key.json"
    key.write_text(KeyPair.generate().to_json(), encoding="utf-8")
    names = {
        "MISSING": str(tmp_path / "nope.json"),
        "UNWRITABLE": str(key / "deeper" / "out.json"),
        "KEY": str(key),
    }
    return [
        a.replace("MISSING", names["MISSING"]) if a.endswith("=MISSING") else names.get(a, a)
        for a in args
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_missing_or_unwritable_path_is_one_line_and_exit_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    code = run(_fill(CASES[name], tmp_path))
    err = capsys.readouterr().err
    assert code == 2, (name, code, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    # Nothing was left behind: no folder created on the way to an unwritable path, no file.
    assert {p.name for p in tmp_path.iterdir()} == {*before, "key.json"}


def _leaf_commands() -> list[str]:
    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(command: object, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):  # type: ignore[attr-defined]
                walk(command.get_command(None, name), [*path, name])  # type: ignore[attr-defined]
        else:
            found.append(" ".join(path))

    walk(root, [])
    return found


def test_every_subcommand_has_its_paths_tested() -> None:
    covered = {name.split(" (")[0] for name in CASES}
    untested = [
        c
        for c in _leaf_commands()
        if c not in covered and c not in NO_FILES and not c.startswith(ELSEWHERE)
    ]
    assert not untested, f"add these subcommands to CASES: {untested}"
