"""``ecert demo`` as a person runs it: a real process, every step of the story, no secret shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ecert.story import cast
from ecert.story.chain import Council, demo_key

STEPS = [f"[{n}]" for n in range(1, 10)]
# Connecting, resolving or listening anywhere but 127.0.0.1 is refused: the demo serves the
# issuer and verifier apps on loopback ports and needs no other network.
NO_NETWORK = """
import socket, sys
LOOPBACK = ("127.0.0.1",)
def only_loopback(original):
    def call(self, address, *args, **kwargs):
        if not (isinstance(address, tuple) and address[0] in LOOPBACK):
            raise OSError(f"the network is blocked in this test: {address!r}")
        return original(self, address, *args, **kwargs)
    return call
def resolve(original):
    def call(host, *args, **kwargs):
        if host not in LOOPBACK:
            raise OSError(f"name lookups are blocked in this test: {host!r}")
        return original(host, *args, **kwargs)
    return call
socket.socket.connect = only_loopback(socket.socket.connect)
socket.socket.connect_ex = only_loopback(socket.socket.connect_ex)
socket.socket.bind = only_loopback(socket.socket.bind)
socket.getaddrinfo = resolve(socket.getaddrinfo)
from ecert.cli import run
sys.exit(run(["demo"]))
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _run("-m", "ecert", "demo", cwd=tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def steps(demo_run: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """The output's lines grouped under the step that printed them (``[n]``, ``Not built``)."""
    groups: dict[str, list[str]] = {"head": []}
    current = "head"
    for line in demo_run.stdout.splitlines():
        if line.startswith("[") or line.startswith(("Not built", "Summary")):
            current = line.split(" ", 1)[0]
            groups[current] = []
        groups[current].append(line)
    return groups


def test_demo_exits_0_and_tells_every_step_in_order(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    assert demo_run.returncode == 0, demo_run.stderr
    assert demo_run.stderr == ""
    starts = [line.split(" ", 1)[0] for line in demo_run.stdout.splitlines()]
    assert [s for s in starts if s.startswith("[")] == STEPS
    assert starts[-1] == "Summary:"


def test_step_1_genesis_on_the_embedded_registry(steps: dict[str, list[str]]) -> None:
    text = "\n".join(steps["[1]"])
    assert "Council of 3 (any 2 sign)" in text
    assert "embedded registry node (SQLite" in text
    assert re.search(r"genesis hash [0-9a-f]{64} ", text)


def test_step_2_council_accredits_each_office_and_it_adds_its_key(
    steps: dict[str, list[str]],
) -> None:
    text = "\n".join(steps["[2]"])
    assert "member 1 proposes each issuer.accredit" in text
    assert "member 2 co-signs" in text
    assert "2 of 3 signatures, block 1" in text
    for spec in cast.OFFICES:
        line = next(line for line in steps["[2]"] if spec.did in line)
        assert spec.credential_type in line
        assert f"region {spec.prefix}*" in line
        assert spec.title in line
    assert "adds its signing key (key.add" in text
    assert "proof of possession), block 2" in text


def test_step_3_and_4_issue_both_suites_and_anchor(steps: dict[str, list[str]]) -> None:
    assert "= 10 signed documents" in steps["[3]"][0]
    assert "eddsa-rdfc-2022, eddsa-jcs-2022" in steps["[3]"][0]
    assert "5 anchor transactions in block 3" in steps["[4]"][0]
    assert re.search(r"root [0-9a-f]{64}, 2 leaves", steps["[4]"][1])


def test_step_5_receipts_and_bundles_verify_offline(steps: dict[str, list[str]]) -> None:
    text = "\n".join(steps["[5]"])
    assert "10 anchor receipts" in text
    assert re.search(
        r"leaf \d of 2 under root [0-9a-f]{16}\.\.\., anchor tx \d of 5 in block 3", text
    )
    assert "10 offline bundles" in text
    assert "key active, office active at the anchor time, not revoked" in text
    assert "from each bundle alone: 8 valid, 2 invalid NOT_YET_VALID." in text


def _verdicts(lines: list[str]) -> dict[str, tuple[str, str]]:
    """``label suite`` -> (verdict, what the steps said), from the bank's lines."""
    out = {}
    for line in lines:
        found = re.match(r"\s+(\S+)\s+(eddsa-\S+)\s+(VALID|INVALID|COULD_NOT_CHECK)\s+(.+)$", line)
        if found:
            out[f"{found[1]} {found[2]}"] = (found[3], found[4])
    return out


def test_step_6_bank_checks_every_credential_with_the_numbered_steps(
    steps: dict[str, list[str]],
) -> None:
    verdicts = _verdicts(steps["[6]"])
    assert len(verdicts) == 10
    # The professional licence's period starts after the bank's day; the rest are valid.
    for key, (verdict, said) in verdicts.items():
        if key.startswith("professional-licence"):
            assert verdict == "INVALID"
            assert said.startswith("step 7 validity period NOT_YET_VALID")
        else:
            assert (verdict, said) == ("VALID", "steps 0-8 ok")


def test_step_6_report_shows_key_and_accreditation_at_the_anchor_time(
    steps: dict[str, list[str]],
) -> None:
    start = next(i for i, line in enumerate(steps["[6]"]) if "The bank's report" in line)
    report = steps["[6]"][start + 1 : start + 10]
    assert [line.split()[0] for line in report] == [str(n) for n in range(9)]
    assert all(re.match(r"\s+\d [a-z ]+\s+ok\s", line) for line in report)
    assert "key of did:ecert:demo:traffic-police active at 2024-05-01T00:10" in report[3]
    assert "accredited for DriverLicenceCredential in region 510100 at the anchor time" in report[4]
    stale = steps["[6]"][start + 10]
    assert "COULD_NOT_CHECK (REPLICA_TOO_OLD)" in stale


def test_step_7_revocation_reaches_the_bank_and_the_status_list(
    steps: dict[str, list[str]],
) -> None:
    assert "revokes the driver licence" in steps["[7]"][0]
    verdicts = _verdicts(steps["[7]"])
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        verdict, said = verdicts[f"driver-licence {suite}"]
        assert verdict == "INVALID"
        assert said.startswith("step 6 status REVOKED: revoked: licence revoked for drunk driving")
    assert verdicts["business-licence eddsa-jcs-2022"] == ("VALID", "steps 0-8 ok")
    # Asked about a day before the revocation, the same licence was in force.
    earlier = next(line for line in steps["[7]"] if "Asked as of" in line)
    assert "before the revocation), the same driver licence: VALID (steps 0-8 ok" in earlier
    bits = {
        m[1]: m[2]
        for line in steps["[7]"]
        if (m := re.search(r"status-lists/([a-z-]+)/revocation/0 bit \d+ = (\d)", line))
    }
    assert bits == {
        spec.name: "1" if spec.name == "traffic-police" else "0" for spec in cast.OFFICES
    }


def test_step_8_tampered_copy_fails_with_stable_codes(steps: dict[str, list[str]]) -> None:
    lines = steps["[8]"][1:]
    assert len(lines) == 2
    for line in lines:
        assert "proof PROOF_VERIFICATION_ERROR" in line
        assert "receipt RECEIPT_LEAF_MISMATCH" in line
        assert "bank: invalid (ANCHOR_NOT_FOUND)" in line


def test_step_9_wallet_receives_by_oid4vci_and_presents_by_oid4vp(
    steps: dict[str, list[str]],
) -> None:
    text = "\n".join(steps["[9]"])
    assert "FastAPI apps on 127.0.0.1" in text
    assert "a clerk of did:ecert:demo:traffic-police makes an offer" in text
    assert "a 6-digit tx_code sent separately" in text
    assert "openid4vci-proof+jwt over a fresh c_nonce" in text
    assert "DriverLicenceCredential (issued to the holder DID)" in text
    assert re.search(r"The office anchors it \(block 5\); the bank's replica verifies 1 new", text)
    assert "verifier (decentralized_identifier:did:key:z6Mk" in text
    assert "credentialSubject.licenceNumber, credentialSubject.vehicleClasses" in text
    assert "the verdict: VALID, with the 2 claims it asked (equal to the credential's)" in text
    assert "refused: the verifier refused the presentation: PRESENTATION_REQUEST_ANSWERED" in text


def test_what_is_not_built_is_said(steps: dict[str, list[str]]) -> None:
    text = "\n".join(steps["Not"])
    for issue in ("issue 8", "issue 9", "issue 10"):
        assert issue in text
    assert "not yet OpenID4VCI" not in text and "not yet OpenID4VP" not in text
    summary = steps["Summary:"][0]
    assert "10 credentials issued" in summary
    assert "2 invalid REVOKED" in summary
    assert "presented it by OpenID4VP: valid" in summary


def test_no_secret_key_material_is_printed(demo_run: subprocess.CompletedProcess[str]) -> None:
    out = demo_run.stdout + demo_run.stderr
    assert "secretKeyMultibase" not in out
    assert "z3u2" not in out
    council = Council.of(cast.COUNCIL_SIZE, cast.THRESHOLD)
    labels = ["registry node"] + [
        f"{spec.name} {role}" for spec in cast.OFFICES for role in ("first", "signing")
    ]
    secrets = [k.secret_multibase for k in council.members]
    secrets += [demo_key(label).secret_multibase for label in labels]
    for secret in secrets:
        assert secret not in out
        assert secret[4:24] not in out  # nor a fragment of one


def test_demo_needs_no_network_and_prints_the_same_story(
    demo_run: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    blocked = _run("-c", NO_NETWORK, cwd=tmp_path)
    assert blocked.returncode == 0, blocked.stderr
    assert blocked.stdout == demo_run.stdout
