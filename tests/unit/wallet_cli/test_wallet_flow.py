"""The wallet as a holder uses it, through its entry point: init, import, list, show, verify
offline with every socket blocked, present (the presentation verifies), export, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.wallet_cli.chain import ChainFiles
from tests.unit.wallet_cli.conftest import Run
from vc_core.anchoring import OfflineBundle, credential_digest
from vc_core.dataintegrity import Expectations, ProofCode, verify_proofs
from vc_core.errors import ProofError
from vc_core.verification import FreshnessPolicy, Verdict, check_bundle


def _ids(wallet: Run) -> list[str]:
    listed = wallet("list", "--json")
    assert listed.exit_code == 0, listed.stderr
    return [row["id"] for row in json.loads(listed.stdout)]


def _import(wallet: Run, path: Path) -> str:
    result = wallet("import", str(path))
    assert result.exit_code == 0, result.stderr
    document = json.loads(path.read_text(encoding="utf-8"))
    return credential_digest(document.get("credential") or document)[:12]


def test_init_prints_the_holder_and_refuses_a_second_init(wallet: Run, home: Path) -> None:
    first = wallet("init")
    assert first.exit_code == 0, first.stderr
    assert "holder: did:key:z6Mk" in first.stdout
    before = (home / "wallet.sealed").read_bytes()
    again = wallet("init")
    assert again.exit_code == 2
    assert again.stderr.count("\n") == 1 and "WALLET_EXISTS" in again.stderr
    assert (home / "wallet.sealed").read_bytes() == before
    assert (home / "wallet.sealed").stat().st_mode & 0o777 == 0o600


def test_a_command_before_init_says_what_to_do(wallet: Run) -> None:
    result = wallet("list")
    assert result.exit_code == 2
    assert "WALLET_NOT_FOUND" in result.stderr and "ecert-wallet init" in result.stderr


def test_import_list_verify_offline_present(
    wallet: Run, chain: ChainFiles, no_network: list[object]
) -> None:
    assert wallet("init").exit_code == 0
    valid = _import(wallet, chain.bundle[0])
    revoked = _import(wallet, chain.bundle[1])
    assert _ids(wallet) == [valid, revoked]

    table = wallet("list", env={"COLUMNS": "250"})
    assert "PropertyDeedCredential" in table.stdout and "not checked" in table.stdout

    ok = wallet("verify", valid, "--genesis", chain.genesis, "--now", chain.now)
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    for step in ("parse", "proof", "issuer key", "accreditation", "anchor", "status"):
        assert step in ok.stdout
    assert "verdict: valid" in ok.stdout
    bad = wallet("verify", revoked, "--genesis", chain.genesis, "--now", chain.now, "--json")
    assert bad.exit_code == 1
    failed = [s["code"] for s in json.loads(bad.stdout)["steps"] if s["status"] == "failed"]
    assert failed == ["REVOKED"]
    assert no_network == []

    rows = {r["id"]: r for r in json.loads(wallet("list", "--json").stdout)}
    assert rows[valid]["lastCheck"]["verdict"] == "valid"
    assert rows[revoked]["lastCheck"]["verdict"] == "invalid"
    assert rows[revoked]["lastCheck"]["codes"] == ["REVOKED"]

    presented = wallet("present", valid, "--challenge", "n-0S6_WzA2Mj", "--domain", "bank.example")
    assert presented.exit_code == 0, presented.stderr
    vp = json.loads(presented.stdout)
    expect = Expectations(challenge="n-0S6_WzA2Mj", domain="bank.example")
    verify_proofs(vp, now=datetime.now(UTC), expect=expect)
    assert vp["verifiableCredential"] == [chain.deeds[0]]
    assert vp["proof"]["proofPurpose"] == "authentication"
    assert vp["holder"] == vp["proof"]["verificationMethod"].split("#")[0]


def test_a_presentation_for_another_session_or_verifier_is_refused(
    wallet: Run, chain: ChainFiles
) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        out = wallet(
            "present", ref, "--challenge", "c-1", "--domain", "a.example", "--cryptosuite", suite
        )
        vp = json.loads(out.stdout)
        now = datetime.now(UTC)
        verify_proofs(vp, now=now, expect=Expectations(challenge="c-1", domain="a.example"))
        with pytest.raises(ProofError) as wrong_challenge:
            verify_proofs(vp, now=now, expect=Expectations(challenge="c-2", domain="a.example"))
        assert wrong_challenge.value.code == ProofCode.INVALID_CHALLENGE_ERROR
        with pytest.raises(ProofError) as wrong_domain:
            verify_proofs(vp, now=now, expect=Expectations(challenge="c-1", domain="b.example"))
        assert wrong_domain.value.code == ProofCode.INVALID_DOMAIN_ERROR
        # The credential inside is covered by the holder's signature.
        vp["verifiableCredential"][0]["credentialSubject"]["area"] = "999.00"
        with pytest.raises(ProofError):
            verify_proofs(vp, now=now, expect=Expectations(challenge="c-1", domain="a.example"))


def test_present_needs_a_challenge_and_domain(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    result = wallet("present", ref, "--challenge", "", "--domain", "bank.example")
    assert result.exit_code == 2 and "BAD_OPTION" in result.stderr


def test_a_credential_without_bundle_verifies_against_a_replica(
    wallet: Run, chain: ChainFiles, no_network: list[object]
) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    alone = wallet("verify", ref, "--genesis", chain.genesis, "--now", chain.now)
    assert alone.exit_code == 2 and "NO_CHAIN_FACTS" in alone.stderr
    on_replica = wallet(
        "verify",
        ref,
        "--genesis",
        chain.genesis,
        "--now",
        chain.now,
        "--replica",
        str(chain.replica),
    )
    assert on_replica.exit_code == 0, on_replica.stdout + on_replica.stderr
    wrong_genesis = wallet(
        "verify", ref, "--genesis", "00" * 32, "--now", chain.now, "--replica", str(chain.replica)
    )
    assert wrong_genesis.exit_code == 3, wrong_genesis.stdout + wrong_genesis.stderr
    assert no_network == []


def test_verify_could_not_check_when_the_bundle_is_too_old(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    ref = _import(wallet, chain.bundle[0])
    late = wallet("verify", ref, "--genesis", chain.genesis, "--now", "2025-04-01")
    assert late.exit_code == 3, late.stdout
    assert "REPLICA_TOO_OLD" in late.stdout
    as_of = wallet(
        "verify", ref, "--genesis", chain.genesis, "--now", "2025-04-01", "--max-age", "60d"
    )
    assert as_of.exit_code == 0, as_of.stdout


def test_a_bundle_from_another_chain_could_not_be_checked(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    ref = _import(wallet, chain.bundle[0])
    other = wallet("verify", ref, "--genesis", "ab" * 32, "--now", chain.now)
    assert other.exit_code == 3, other.stdout


def test_import_twice_and_a_bundle_after_its_credential(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    again = wallet("import", str(chain.credential[0]))
    assert again.exit_code == 0 and "already held" in again.stdout
    assert _import(wallet, chain.bundle[0]) == ref
    assert _ids(wallet) == [ref]
    shown = json.loads(wallet("show", ref).stdout)
    assert shown["bundle"] is True and shown["credential"] == chain.deeds[0]
    assert "anchoredAt" in shown


def test_export_gives_back_the_bundle_bytes_and_they_verify_offline(
    wallet: Run, chain: ChainFiles, tmp_path: Path, no_network: list[object]
) -> None:
    wallet("init")
    with_bundle = _import(wallet, chain.bundle[0])
    alone = _import(wallet, chain.credential[1])
    out = tmp_path / "exported.json"
    assert wallet("export", with_bundle, "--out", str(out)).exit_code == 0
    assert out.read_bytes() == chain.bundle[0].read_bytes()
    report = check_bundle(
        out.read_bytes(),
        genesis_hash=chain.genesis,
        now=datetime.fromisoformat(chain.now),
        policy=FreshnessPolicy(),
    )
    assert report.verdict is Verdict.VALID
    OfflineBundle.from_json(out.read_bytes())
    printed = wallet("export", alone)
    assert json.loads(printed.stdout) == chain.deeds[1]
    assert no_network == []


def test_delete_removes_only_that_credential(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    keep = _import(wallet, chain.bundle[0])
    drop = _import(wallet, chain.bundle[1])
    refused = wallet("delete", drop, input="n\n")
    assert refused.exit_code == 0 and _ids(wallet) == [keep, drop]
    assert wallet("delete", drop[:6], "--yes").exit_code == 0
    assert _ids(wallet) == [keep]
    gone = wallet("show", drop)
    assert gone.exit_code == 2 and "CREDENTIAL_NOT_FOUND" in gone.stderr


def test_list_shows_issuer_and_subject(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    _import(wallet, chain.bundle[0])
    row = json.loads(wallet("list", "--json").stdout)[0]
    assert row["type"] == "PropertyDeedCredential"
    issuer = chain.deeds[0]["issuer"]
    assert row["issuer"] == (
        issuer.get("name", issuer.get("id")) if isinstance(issuer, dict) else issuer
    )
    assert "address=成都市锦江区" in row["subject"] and len(row["subject"]) <= 48
    assert row["validUntil"] == chain.deeds[0].get("validUntil", "—")


def test_as_of_before_the_revocation_is_valid(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    revoked = _import(wallet, chain.bundle[1])
    before = (chain.head_time - timedelta(milliseconds=500)).isoformat()
    then = wallet(
        "verify", revoked, "--genesis", chain.genesis, "--now", chain.now, "--as-of", before
    )
    assert then.exit_code == 0, then.stdout
    bad = wallet("verify", revoked, "--genesis", chain.genesis, "--as-of", "yesterday")
    assert bad.exit_code == 2 and "BAD_OPTION" in bad.stderr
    age = wallet("verify", revoked, "--genesis", chain.genesis, "--max-age", "forever")
    assert age.exit_code == 2 and "--max-age" in age.stderr


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "NOT_JSON"),
        (b"[1, 2]", "NOT_AN_OBJECT"),
        (b'{"a": 1, "a": 2}', "DUPLICATE_KEY"),
        (b'{"format": "ecert-offline-bundle/1"}', "MALFORMED_OFFLINEBUNDLE"),
        (
            b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "X"}',
            "MALFORMED_CREDENTIAL",
        ),
    ],
)
def test_a_bad_import_is_one_line_exit_2_and_changes_nothing(
    wallet: Run, chain: ChainFiles, home: Path, tmp_path: Path, content: bytes, code: str
) -> None:
    wallet("init")
    held = _import(wallet, chain.bundle[0])
    before = (home / "wallet.sealed").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = wallet("import", str(bad))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.count("\n") == 1 and code in result.stderr
    assert (home / "wallet.sealed").read_bytes() == before
    assert _ids(wallet) == [held]


def test_a_credential_without_proof_is_refused(
    wallet: Run, chain: ChainFiles, tmp_path: Path
) -> None:
    wallet("init")
    unsigned = {k: v for k, v in chain.deeds[0].items() if k != "proof"}
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(unsigned), encoding="utf-8")
    result = wallet("import", str(path))
    assert result.exit_code == 2 and "CREDENTIAL_UNSECURED" in result.stderr
    missing = wallet("import", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "FILE_NOT_FOUND" in missing.stderr


def test_import_from_stdin(wallet: Run, chain: ChainFiles) -> None:
    wallet("init")
    result = wallet("import", "-", input=chain.bundle[0].read_bytes())
    assert result.exit_code == 0, result.stderr
    assert "with its offline bundle" in result.stdout
