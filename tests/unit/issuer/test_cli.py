"""``ecert issuer …`` as an operator runs it: real processes, exit codes, no secret in output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.vc_core.test_keystore import _secret_forms
from vc_core.keystore import SealedKey

Run = Callable[..., subprocess.CompletedProcess[str]]
PASSPHRASE = "a long office passphrase"
DID = "did:ecert:unit:market-bureau"


@pytest.fixture
def ecert(tmp_path: Path) -> Run:
    def run(*args: str, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISSUER_")}
        if passphrase is not None:
            env["ISSUER_PASSPHRASE"] = passphrase
        return subprocess.run(
            [sys.executable, "-m", "ecert", "issuer", *args],
            check=False,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    return run


def _init(ecert: Run, data: Path) -> subprocess.CompletedProcess[str]:
    return ecert(
        "init", "--did", DID, "--name", "Market", "--data-dir", str(data), "--kdf", "interactive"
    )


def test_init_serve_with_a_wrong_passphrase_and_operators(ecert: Run, tmp_path: Path) -> None:
    data = tmp_path / "office"
    made = _init(ecert, data)
    assert made.returncode == 0, made.stderr
    assert DID in made.stdout and PASSPHRASE not in made.stdout + made.stderr

    wrong = ecert("serve", "--data-dir", str(data), passphrase="not the right one")
    assert wrong.returncode == 2
    assert "KEYSTORE_UNLOCK_FAILED" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "not the right one" not in wrong.stderr

    added = ecert(
        "operator", "add", "--name", "clerk", "--role", "issuer",
        "--type", "BusinessLicenceCredential", "--data-dir", str(data),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1].split()[-1]
    operator_id = token.split(".")[1]
    assert token.startswith("ecert-op.")

    listed = ecert("operator", "list", "--data-dir", str(data))
    assert operator_id in listed.stdout and "active" in listed.stdout
    assert token.split(".")[2] not in listed.stdout

    assert ecert("operator", "revoke", operator_id, "--data-dir", str(data)).returncode == 0
    assert "revoked" in ecert("operator", "list", "--data-dir", str(data)).stdout
    unknown = ecert("operator", "revoke", "0" * 16, "--data-dir", str(data))
    assert unknown.returncode == 2 and "OPERATOR_NOT_FOUND" in unknown.stderr

    stored = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert PASSPHRASE.encode() not in stored and token.split(".")[2].encode() not in stored


def test_refusals_are_one_line_and_exit_2(ecert: Run, tmp_path: Path) -> None:
    data = tmp_path / "office"
    short = ecert("init", "--did", DID, "--name", "M", "--data-dir", str(data), passphrase="short")
    assert short.returncode == 2 and "PASSPHRASE_TOO_SHORT" in short.stderr
    none = ecert("init", "--did", DID, "--name", "M", "--data-dir", str(data), passphrase=None)
    assert none.returncode == 2 and "PASSPHRASE_MISSING" in none.stderr
    assert not data.exists()
    assert _init(ecert, data).returncode == 0
    again = _init(ecert, data)
    assert again.returncode == 2 and "OFFICE_EXISTS" in again.stderr
    elsewhere = ecert("operator", "list", "--data-dir", str(tmp_path / "typo"))
    assert elsewhere.returncode == 2 and "OFFICE_NOT_INITIALIZED" in elsewhere.stderr
    assert not (tmp_path / "typo").exists()
    bad_role = ecert(
        "operator", "add", "--name", "x", "--role", "root",
        "--type", "BusinessLicenceCredential", "--data-dir", str(data),
    )  # fmt: skip
    assert bad_role.returncode == 2 and "OPERATOR_INVALID" in bad_role.stderr
    for result in (short, none, again, elsewhere, bad_role):
        assert "Traceback" not in result.stderr


def test_rotate_key_refusals_are_one_line_and_change_nothing_on_chain(
    ecert: Run, tmp_path: Path
) -> None:
    data = tmp_path / "office"
    assert _init(ecert, data).returncode == 0
    before = (data / "office.json").read_text(encoding="utf-8")
    keys_before = sorted(p.name for p in (data / "keys").iterdir())

    no_registry = ecert("rotate-key", "--data-dir", str(data))
    assert no_registry.returncode == 2 and "REGISTRY_URL_MISSING" in no_registry.stderr
    wrong = ecert(
        "rotate-key", "--data-dir", str(data), "--registry", "http://127.0.0.1:9",
        passphrase="not the right one",
    )  # fmt: skip
    assert wrong.returncode == 2 and "KEYSTORE_UNLOCK_FAILED" in wrong.stderr
    for answer in (no_registry, wrong):
        assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
        assert "Traceback" not in answer.stderr and "not the right one" not in answer.stderr
    # Refused before anything was made: the office still signs with its one key.
    assert (data / "office.json").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in (data / "keys").iterdir()) == keys_before

    # A registry that cannot be reached: "could not check", not bad input. The new key is
    # sealed and listed as next (a later run reuses it), never current, and nothing leaks.
    down = ecert(
        "rotate-key", "--data-dir", str(data), "--registry", "http://127.0.0.1:9",
        "--kdf", "interactive", "--wait", "2",
    )  # fmt: skip
    assert down.returncode == 3, down.stderr
    assert "Traceback" not in down.stderr and PASSPHRASE not in down.stdout + down.stderr
    after = json.loads((data / "office.json").read_text(encoding="utf-8"))
    assert after["current"] == json.loads(before)["current"]
    assert after["next"] != after["current"]
    sealed_path = data / "keys" / f"{after['next']}.json"
    sealed = sealed_path.read_bytes()
    pair = SealedKey.read(sealed_path).unseal(PASSPHRASE)
    assert pair.public_multibase == after["next"]
    for form in _secret_forms(pair):  # no spelling of the new key's secret in clear
        assert form not in sealed
