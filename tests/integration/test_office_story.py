"""The whole office story through the ``ecert`` command line only, each step its own process,
against a real node on 127.0.0.1 (SQLite in tmp), then a replica asked about every fact as of
several times (issue 7, "Must show").

Accredit (2 of 3: the proposer, then a second member in a separate process signing with a
clock five hours later), anchor a file of 1,000 digests, suspend one credential until a date,
revoke another, rotate the office key (the new key proves possession), retire the old key and
declare it compromised since a time.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registry.setup import read_genesis
from registry.testing import running_node
from vc_core.replica import HttpSource, Replica

pytestmark = pytest.mark.integration
OFFICE = "traffic-police"


def ecert(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m ecert ARGS`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-m", "ecert", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _public(key_file: Path) -> str:
    return str(json.loads(key_file.read_text())["publicKeyMultibase"])


def _now() -> datetime:
    return datetime.now(UTC)


def test_the_office_story_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "node"
    ecert(
        "registry",
        "init",
        "--council",
        "3",
        "--threshold",
        "2",
        "--chain-id",
        "story",
        "--data-dir",
        str(data),
    )
    genesis = read_genesis(data / "genesis.json").hash
    member = [data / "council" / f"member-{i}.json" for i in (1, 2, 3)]
    key1, key2 = tmp_path / "office-1.json", tmp_path / "office-2.json"
    ecert("key", "new", "--out", str(key1))
    ecert("key", "new", "--out", str(key2))
    digests = [secrets.token_hex(32) for _ in range(1000)]
    digest_file = tmp_path / "digests.txt"
    digest_file.write_text("\n".join(digests) + "\n")
    proposal = tmp_path / "accredit.json"

    with running_node(data) as node:
        url = node.url
        t_start = _now()
        ecert(
            "council",
            "accredit",
            "--office",
            OFFICE,
            "--name",
            "Traffic police",
            "--uscc",
            "91350100M000100Y43",
            "--scope",
            "DrivingLicenceCredential=5101",
            "--initial-key",
            _public(key1),
            "--key",
            str(member[0]),
            "--registry",
            url,
            "--out",
            str(proposal),
        )
        before = proposal.read_bytes()
        stranger = ecert(
            "council", "sign", str(proposal), "--key", str(key1), "--registry", url, ok=False
        )
        assert stranger.returncode == 1
        assert "NOT_A_COUNCIL_MEMBER" in stranger.stderr
        assert len(stranger.stderr.strip().splitlines()) == 1, stranger.stderr
        assert "Traceback" not in stranger.stderr
        assert proposal.read_bytes() == before, "a refused signature leaves the file unchanged"
        later = (_now() + timedelta(hours=5)).isoformat()
        ecert(
            "council",
            "sign",
            str(proposal),
            "--key",
            str(member[2]),
            "--registry",
            url,
            "--at",
            later,
        )
        assert (
            "included in block"
            in ecert("council", "submit", str(proposal), "--registry", url).stdout
        )
        t_accredited = _now()

        wrong = ecert(
            "office",
            "status",
            "revoke",
            "--office",
            OFFICE,
            "--key",
            str(member[0]),
            "--index",
            "1",
            "--reason",
            "x",
            "--registry",
            url,
            ok=False,
        )
        assert wrong.returncode == 1 and "NOT_AN_OFFICE_KEY" in wrong.stderr, wrong.stderr
        assert len(wrong.stderr.strip().splitlines()) == 1, "a council key is not an office key"

        anchored = ecert(
            "office",
            "anchor",
            str(digest_file),
            "--office",
            OFFICE,
            "--key",
            str(key1),
            "--registry",
            url,
        )
        assert "1000 leaves" in anchored.stdout and "included in block" in anchored.stdout
        t_anchored = _now()

        until = _now() + timedelta(hours=2)
        ecert(
            "office",
            "status",
            "suspend",
            "--office",
            OFFICE,
            "--key",
            str(key1),
            "--index",
            "5",
            "--until",
            until.isoformat(),
            "--reason",
            "inquiry",
            "--registry",
            url,
        )
        t_suspended = _now()
        ecert(
            "office",
            "status",
            "revoke",
            "--office",
            OFFICE,
            "--key",
            str(key1),
            "--index",
            "7",
            "--reason",
            "issued in error",
            "--registry",
            url,
        )
        t_revoked = _now()

        ecert(
            "office",
            "key",
            "add",
            "--office",
            OFFICE,
            "--key",
            str(key1),
            "--new-key",
            str(key2),
            "--registry",
            url,
        )
        t_added = _now()
        ecert(
            "office",
            "key",
            "retire",
            "--office",
            OFFICE,
            "--key",
            str(key2),
            "--retire",
            _public(key1),
            "--registry",
            url,
        )
        t_retired = _now()
        since = t_revoked
        ecert(
            "office",
            "key",
            "compromised",
            "--office",
            OFFICE,
            "--key",
            str(key2),
            "--compromised",
            _public(key1),
            "--since",
            since.isoformat(),
            "--reason",
            "laptop stolen",
            "--registry",
            url,
        )

        replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=genesis)
        replica.sync([HttpSource(url)], now=_now())
        cli_replica = str(tmp_path / "cli-replica.sqlite")
        ecert(
            "replica",
            "sync",
            "--replica",
            cli_replica,
            "--genesis-hash",
            genesis,
            "--registry",
            url,
        )

    # The same facts through `ecert replica show`, offline, as of several times.
    pin = ["--replica", cli_replica, "--genesis-hash", genesis]
    did = f"did:ecert:story:{OFFICE}"

    def show(*args: str) -> dict[str, object]:
        return dict(json.loads(ecert("replica", "show", *args, *pin).stdout))

    assert show("office", did, "--at", t_start.isoformat())["accreditation"] is None
    assert show("office", did, "--at", t_accredited.isoformat())["accreditation"] is not None
    assert show("leaf", digests[123])["anchor"] is not None
    assert ecert("replica", "show", "leaf", secrets.token_hex(32), *pin, ok=False).returncode == 1
    for index, at, suspended, revoked in [
        ("5", t_anchored, False, False),
        ("5", t_suspended, True, False),
        ("7", t_revoked, False, True),
    ]:
        answer = show("status", did, "--index", index, "--at", at.isoformat())["status"]
        assert isinstance(answer, dict)
        assert (answer["suspended"], answer["revoked"]) == (suspended, revoked)

    # Accreditation: absent before the council's block, active after it.
    assert replica.accreditation(did, t_start) is None
    active = replica.accreditation(did, t_accredited)
    assert active is not None and active.state == "active"
    # Every one of the 1,000 leaves is anchored by the office.
    for leaf in (digests[0], digests[499], digests[999]):
        found = replica.leaf_anchor(leaf)
        assert found is not None and found.batch.office == did and found.batch.leaf_count == 1000
    assert replica.leaf_anchor(secrets.token_hex(32)) is None

    # Index 5: valid, then suspended, then valid again once its suspension ended.
    def status(index: int, at: datetime) -> tuple[bool, bool]:
        s = replica.credential_status(did, status_index=index, as_of=at)
        return s.suspended, s.revoked

    assert status(5, t_anchored) == (False, False)
    assert status(5, t_suspended) == (True, False)
    assert status(5, until + timedelta(seconds=1)) == (False, False)
    # Index 7: valid until its revocation, revoked for good after.
    assert status(7, t_suspended) == (False, False)
    assert status(7, t_revoked) == (False, True)
    assert status(7, t_revoked + timedelta(days=365)) == (False, True)
    # Keys: the old one active, then compromised from `since` on; the new one from its block.
    old, new = replica.key(_public(key1)), replica.key(_public(key2))
    assert old is not None and new is not None
    assert old.state_at(t_anchored) == "active"
    assert old.state_at(since) == "compromised"
    assert old.state_at(t_retired) == "compromised"
    assert new.state_at(t_revoked) == "not_yet"
    assert new.state_at(t_added) == "active"
