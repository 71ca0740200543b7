"""``ecert receipt verify FILE``: exit 0 good, 1 bad signature or key, 2 not a receipt.

In-process through typer's ``CliRunner`` (the error mapping lives in the root group, so this is
the installed command's answer), plus a fuzzer: hostile bytes, and receipts with one member
changed, never print "good" and never end in a traceback or an internal error.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecert.cli import app
from vc_core.did import did_key
from vc_core.did_web import did_web_document
from vc_core.keys import KeyPair
from vc_core.verification.receipt import Checkpoint, sign_receipt

KEY = KeyPair.from_seed(bytes(range(32)))
OTHER = KeyPair.from_seed(bytes(range(1, 33)))
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOLE = "@@HOSTILE@@"
POINT = Checkpoint("demo", "ab" * 32, 7, "cd" * 32, NOW - timedelta(minutes=1))


def _receipt(key: KeyPair = KEY, message: str = "revoked: court order") -> dict[str, Any]:
    report = {
        "verdict": "invalid",
        "steps": [{"step": 6, "status": "failed", "code": "REVOKED", "message": message}],
        "credential_id": "urn:uuid:deed-1",
        "credential_type": "PropertyDeedCredential",
    }
    return sign_receipt(
        report,
        key=key,
        checkpoint=POINT,
        as_of=datetime(2026, 6, 1, tzinfo=UTC),
        now=NOW,
        receipt_id="urn:uuid:receipt-1",
    )


def _run(tmp_path: Path, content: bytes | dict[str, Any], *extra: str) -> Any:
    path = tmp_path / "receipt.json"
    data = content if isinstance(content, bytes) else json.dumps(content).encode("utf-8")
    path.write_bytes(data)
    return CliRunner().invoke(app, ["receipt", "verify", str(path), *extra])


def test_a_good_receipt_exits_0_and_says_what_it_certifies(tmp_path: Path) -> None:
    result = _run(tmp_path, _receipt(), "--verifier", did_key(KEY.public))
    assert result.exit_code == 0, result.stderr
    assert f"receipt: good signature by {did_key(KEY.public)}" in result.stdout
    assert "verdict: invalid" in result.stdout
    assert "at height 7" in result.stdout and "chain demo" in result.stdout
    assert "as of: 2026-06-01T00:00:00Z" in result.stdout
    assert "type: PropertyDeedCredential" in result.stdout


def test_json_output_is_the_summary(tmp_path: Path) -> None:
    result = _run(tmp_path, _receipt(), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["checkpoint"]["headHash"] == "cd" * 32 and summary["verdict"] == "invalid"


def test_a_tampered_receipt_exits_1(tmp_path: Path) -> None:
    receipt = _receipt()
    receipt["credentialSubject"]["verdict"] = "valid"
    receipt["credentialSubject"]["report"]["verdict"] = "valid"
    result = _run(tmp_path, receipt)
    assert result.exit_code == 1
    assert "RECEIPT_SIGNATURE_INVALID" in result.stderr


def test_a_receipt_by_another_verifier_than_expected_exits_1(tmp_path: Path) -> None:
    result = _run(tmp_path, _receipt(key=OTHER), "--verifier", did_key(KEY.public))
    assert result.exit_code == 1
    assert "RECEIPT_WRONG_VERIFIER" in result.stderr


def test_a_receipt_whose_key_is_not_its_issuers_exits_1(tmp_path: Path) -> None:
    receipt = _receipt()
    receipt["issuer"] = did_key(OTHER.public)
    result = _run(tmp_path, receipt)
    assert result.exit_code == 1
    assert "RECEIPT_KEY_NOT_VERIFIERS" in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"a": 1}', b"[1, 2]", json.dumps({"proof": {}}).encode()],
)
def test_what_is_not_a_receipt_exits_2(tmp_path: Path, content: bytes) -> None:
    result = _run(tmp_path, content)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["receipt", "verify", str(tmp_path / "none.json")])
    assert result.exit_code == 2


def _check(result: Any) -> None:
    where = f"exit {result.exit_code}, stderr {result.stderr[-300:]!r}"
    assert result.exit_code in (1, 2), where
    assert "good signature" not in result.stdout, where
    assert "Traceback" not in result.stdout + result.stderr, where
    assert "INTERNAL_ERROR" not in result.stderr, where
    assert result.stderr.startswith("error: "), where


def test_hostile_bytes_are_refused_clearly(
    tmp_path: Path, hostile_json: Callable[[str | None], Any]
) -> None:
    # The hostile fragment replaces the step message, inside a receipt that was good.
    template = json.dumps(_receipt(message=HOLE))
    strategy = hostile_json(template)
    seen: list[int] = []

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def refused(data: st.DataObject) -> None:
        result = _run(tmp_path, data.draw(strategy))
        _check(result)
        seen.append(result.exit_code)

    refused()
    assert 2 in seen


MEMBERS = ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"]
VALUES = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12) | st.just([])


def test_a_receipt_with_one_member_changed_never_passes(tmp_path: Path) -> None:
    good = _receipt()

    @settings(max_examples=40, deadline=None, database=None)
    @given(
        member=st.sampled_from(MEMBERS),
        inner=st.sampled_from(["", "verdict", "checkpoint", "report", "proofValue", "created"]),
        value=VALUES,
    )
    def never_good(member: str, inner: str, value: Any) -> None:
        receipt = copy.deepcopy(good)
        target = receipt[member]
        if inner and isinstance(target, dict) and inner in target:
            if target[inner] == value:
                return
            target[inner] = value
        else:
            if receipt[member] == value:
                return
            receipt[member] = value
        _check(_run(tmp_path, receipt))

    never_good()


def test_a_banks_did_web_receipt_needs_the_document_it_is_checked_against(tmp_path: Path) -> None:
    bank = "did:web:bank.example"
    receipt = sign_receipt(
        {"verdict": "valid"},
        key=KEY,
        checkpoint=None,
        as_of=None,
        now=NOW,
        receipt_id="urn:r",
        issuer_did=bank,
    )
    document = tmp_path / "did.json"
    document.write_text(json.dumps(did_web_document(bank, KEY.public)), encoding="utf-8")
    good = _run(tmp_path, receipt, "--did-document", str(document), "--verifier", bank)
    assert good.exit_code == 0, good.stderr
    assert f"receipt: good signature by {bank}" in good.stdout
    # Never fetched: without the document the receipt could not be checked (exit 3).
    missing = _run(tmp_path, receipt)
    assert missing.exit_code == 3, missing.stderr
    assert "DID_DOCUMENT_MISSING" in missing.stderr
    # The document of another key: the receipt is not the bank's (exit 1).
    document.write_text(json.dumps(did_web_document(bank, OTHER.public)), encoding="utf-8")
    wrong = _run(tmp_path, receipt, "--did-document", str(document))
    assert wrong.exit_code == 1, wrong.stderr
    # A file that is no DID document: malformed input (exit 2), one line.
    document.write_text('{"name": "bank"}', encoding="utf-8")
    bad = _run(tmp_path, receipt, "--did-document", str(document))
    assert bad.exit_code == 2, bad.stderr
    assert "Traceback" not in bad.stderr
