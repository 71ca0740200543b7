"""Every office and council subcommand meets a missing input file and an unwritable output path
with one line on stderr and exit 2 — before it reaches the network (the registry URL given here
refuses connections, so a command that tried would exit 3 instead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecert.cli import run
from vc_core.keys import KeyPair

DEAD = "http://127.0.0.1:9"
MK = KeyPair.from_seed(b"\x07" * 32).public_multibase
T = "2025-03-01T09:00:00Z"
OFFLINE = ["--chain-id", "demo", "--seq", "1"]
TARGET = ["--index", "3"]

# Each office command after ``ecert office``, with the key file as KEY (and any other input).
OFFICE = {
    "anchor": ["anchor", "DIGESTS"],
    "revoke": ["status", "revoke", *TARGET, "--reason", "r"],
    "suspend": ["status", "suspend", *TARGET, "--reason", "r", "--until", "2099-01-01T00:00:00Z"],
    "reinstate": ["status", "reinstate", *TARGET],
    "supersede": ["status", "supersede", *TARGET, "--by", "urn:x:2"],
    "encumbrance-add": ["status", "encumbrance", "add", *TARGET, "--id", "m1", "--kind", "lien"],
    "encumbrance-release": ["status", "encumbrance", "release", *TARGET, "--id", "m1"],
    "key-add": ["key", "add", "--new-key", "NEWKEY"],
    "key-retire": ["key", "retire", "--retire", MK],
    "key-compromised": ["key", "compromised", "--compromised", MK, "--since", T],
}
COUNCIL = {
    "accredit": [
        "accredit",
        "--office",
        "o",
        "--name",
        "O",
        "--uscc",
        "91350100M000100Y43",
        "--scope",
        "DrivingLicenceCredential=5101",
    ],
    "suspend": ["suspend", "--office", "o", "--reason", "r"],
    "withdraw": ["withdraw", "--office", "o", "--reason", "r"],
    "change": ["change", "--member", MK, "--threshold", "1"],
    "key-compromised": ["key-compromised", "--office", "o", "--compromised", MK, "--since", T],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    key = tmp_path / "key.json"
    key.write_text(KeyPair.generate().to_json())
    digests = tmp_path / "digests.txt"
    digests.write_text("ab" * 32 + "\n")
    return {"KEY": key, "NEWKEY": key, "DIGESTS": digests, "missing": tmp_path / "nope.json"}


def _fill(args: list[str], files: dict[str, Path], missing: str | None = None) -> list[str]:
    return [str(files["missing"] if a == missing else files.get(a, a)) for a in args]


def _one_line_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = run(args)
    err = capsys.readouterr().err
    assert code == 2, (args, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("name", sorted(OFFICE))
def test_office_missing_key_file(
    name: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "office",
        *_fill(OFFICE[name], files),
        "--office",
        "o",
        "--key",
        str(files["missing"]),
        "--registry",
        DEAD,
    ]
    assert "nope.json" in _one_line_exit_2(args, capsys)


@pytest.mark.parametrize("name", ["anchor", "key-add"])
def test_office_missing_other_input(
    name: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "DIGESTS" if name == "anchor" else "NEWKEY"
    args = [
        "office",
        *_fill(OFFICE[name], files, missing),
        "--office",
        "o",
        "--key",
        str(files["KEY"]),
        "--registry",
        DEAD,
    ]
    assert "nope.json" in _one_line_exit_2(args, capsys)


@pytest.mark.parametrize("name", sorted(OFFICE))
def test_office_unwritable_out(
    name: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-folder" / "tx.json"
    args = [
        "office",
        *_fill(OFFICE[name], files),
        "--office",
        "o",
        "--key",
        str(files["KEY"]),
        "--out",
        str(out),
        *OFFLINE,
    ]
    assert "UNWRITABLE" in _one_line_exit_2(args, capsys)
    assert not out.parent.exists()


@pytest.mark.parametrize("name", sorted(COUNCIL))
def test_council_missing_key_and_unwritable_out(
    name: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tx.json"
    base = ["council", *COUNCIL[name], "--registry", DEAD]
    _one_line_exit_2([*base, "--key", str(files["missing"]), "--out", str(out)], capsys)
    bad = tmp_path / "no-such-folder" / "tx.json"
    err = _one_line_exit_2([*base, "--key", str(files["KEY"]), "--out", str(bad)], capsys)
    assert "UNWRITABLE" in err


@pytest.mark.parametrize(
    "args",
    [
        ["office", "submit", "MISSING", "--registry", DEAD],
        ["council", "submit", "MISSING", "--registry", DEAD],
        ["council", "sign", "MISSING", "--key", "KEY", "--registry", DEAD],
    ],
)
def test_a_missing_transaction_file(
    args: list[str], files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files = {**files, "MISSING": files["missing"]}
    _one_line_exit_2(_fill(args, files), capsys)


def test_a_transaction_file_edited_after_signing_is_refused_before_sending(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tx.json"
    args = [
        "office",
        "status",
        "revoke",
        *TARGET,
        "--reason",
        "r",
        "--office",
        "o",
        "--key",
        str(files["KEY"]),
        "--out",
        str(out),
        *OFFLINE,
    ]
    assert run(args) == 0
    tx = json.loads(out.read_text())
    tx["body"]["event"]["reason"] = "something else"
    out.write_text(json.dumps(tx))
    capsys.readouterr()
    code = run(["office", "submit", str(out), "--registry", DEAD])
    err = capsys.readouterr().err
    assert code == 1 and "BAD_SIGNATURE" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not-a-digest\n", "MALFORMED_DIGEST"),
        ("ab" * 32 + "\n" + "ab" * 32 + "\n", "DUPLICATE_DIGEST"),
        ("# only a comment\n", "EMPTY_BATCH"),
        ('[{"id": "urn:x:1"}]', "UNSIGNED_CREDENTIAL"),
        ('{"id": "urn:x:1", "proof": {}}\nnot json\n', "NOT_JSON"),
        ('[{"id": "urn:x:1", "proof": {}, "n": 1' + "9" * 5000 + "}]", "NUMBER_OUT_OF_RANGE"),
        ("[1, 2]", "MALFORMED_CREDENTIAL"),
    ],
)
def test_a_malformed_digest_file_names_its_rule(
    text: str,
    code: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    digests = tmp_path / "bad.txt"
    digests.write_text(text)
    out = tmp_path / "tx.json"
    args = [
        "office",
        "anchor",
        str(digests),
        "--office",
        "o",
        "--key",
        str(files["KEY"]),
        "--out",
        str(out),
        *OFFLINE,
    ]
    assert code in _one_line_exit_2(args, capsys)
    assert not out.exists()


def test_council_sign_refuses_an_expired_proposal_and_leaves_the_file(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from vc_core.ledger import IssuerSuspendBody, add_signature, unsigned_tx

    proposer = KeyPair.generate()
    proposed = datetime(2026, 1, 1, tzinfo=UTC)
    tx = unsigned_tx(
        chain_id="demo",
        tx_type="issuer.suspend",
        author=proposer.public_multibase,
        seq=1,
        time=proposed,
        body=IssuerSuspendBody(office="did:ecert:demo:o", reason="audit"),
        expires=proposed + timedelta(days=7),
    )
    proposal = tmp_path / "proposal.json"
    proposal.write_text(add_signature(tx, proposer).to_json())
    before = proposal.read_bytes()
    late = (proposed + timedelta(days=7, seconds=1)).isoformat()
    args = [
        "council",
        "sign",
        str(proposal),
        "--key",
        str(files["KEY"]),
        "--registry",
        DEAD,
        "--at",
        late,
    ]
    code = run(args)
    err = capsys.readouterr().err
    assert code == 1 and "PROPOSAL_EXPIRED" in err and len(err.strip().splitlines()) == 1
    assert proposal.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["replica", "show", "office", "did:ecert:demo:o", "--replica", "MISSING"],
        ["replica", "show", "leaf", "ab" * 32, "--replica", "MISSING"],
        ["replica", "show", "status", "did:ecert:demo:o", "--index", "1", "--replica", "MISSING"],
        ["replica", "sync", "--snapshot", "MISSING", "--replica", "OUT"],
        ["replica", "sync", "--registry", DEAD, "--replica", "UNWRITABLE"],
    ],
)
def test_replica_commands_missing_and_unwritable(
    args: list[str], files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        **files,
        "MISSING": files["missing"],
        "OUT": tmp_path / "r.sqlite",
        "UNWRITABLE": tmp_path / "no-such-folder" / "r.sqlite",
    }
    _one_line_exit_2([*_fill(args, files), "--genesis-hash", "0" * 64], capsys)
    assert not (tmp_path / "r.sqlite").exists()
