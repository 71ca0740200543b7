"""``ecert-wallet`` in a real terminal: a person types at its prompts, against real services.

A registry node, an issuer (one office accredited for every type) and a verifier run as
processes on 127.0.0.1 with SQLite files in a temp dir. A bash shell runs in a tmux session of
its own (a real pty, private tmux socket); the test types into it with ``send-keys`` and reads
the screen with ``capture-pane``, and asserts what a person sees there:

- ``init``: the passphrase typed twice at a hidden prompt, the holder DID shown;
- ``receive <offer URI>`` for each of the five types: the passphrase and the office's
  transaction code typed at hidden prompts;
- ``list``: the table with five rows, one per type;
- ``present <openid4vp link>``: the consent prompt names the verifier and the claims; ``y``;
  the wallet says the verifier accepted it and the requester reads ``valid`` with the claims;
- a presentation signed for another challenge (``present ID --challenge …``) is refused by the
  verifier's ``POST /presentations/verify``;
- the store's bytes name no claim value, key or DID of what it received;
- an offer redeemed after it expired, and a wrong passphrase: one line on the screen and exit
  status 2; the store is unchanged.

No typed secret ever appears on the screen. The bad inputs of ``receive`` and ``present`` are
in ``test_oid4vci_live.py``, ``test_oid4vp_live.py`` and ``tests/unit/wallet_cli``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.live_registry import live_chain
from tests.integration.test_oid4vci_live import Office, _office
from tests.integration.test_oid4vp_live import _wait_valid
from vc_core.credential_types import CREDENTIAL_TYPES
from verifier.oid4vp.auth import new_api_key
from verifier.testing import VerifierProcess, running_verifier
from wallet_cli.store import Home

pytestmark = pytest.mark.integration

PASSPHRASE = "correct horse battery staple 42"
WRONG = "not the wallet passphrase"
API_KEY, API_HASH = new_api_key()
AUTH = {"Authorization": f"Bearer {API_KEY}"}
DRIVER = "DriverLicenceCredential"
CLAIMS = ["credentialSubject.licenceNumber", "credentialSubject.vehicleClasses"]
TMUX = shutil.which("tmux") or "/usr/bin/tmux"
WAIT_S = 90.0
OFFER_TTL_S = 30


class Terminal:
    """A bash shell in a detached tmux session on a private socket, 200 columns wide."""

    def __init__(self, socket: str, env: dict[str, str], cwd: Path) -> None:
        self.socket, self.count = socket, 0
        shell = "bash --norc --noprofile --noediting"
        self._tmux("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", shell, env=env, cwd=cwd)

    def _tmux(self, *args: str, **kwargs: Any) -> str:
        proc = subprocess.run(
            [TMUX, "-L", self.socket, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
            **kwargs,
        )
        return str(proc.stdout)

    def type(self, text: str) -> None:
        """Type ``text`` literally and press Enter."""
        self._tmux("send-keys", "-t", "t", "-l", text)
        self._tmux("send-keys", "-t", "t", "Enter")

    def screen(self) -> str:
        """Everything on the screen and in its scrollback, wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = WAIT_S) -> re.Match[str]:
        """The first match of ``pattern`` past offset ``after`` of the screen text."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            found = re.compile(pattern, re.MULTILINE).search(text, after)
            if found:
                return found
            assert time.monotonic() < deadline, f"never saw {pattern!r} on:\n{text[-3000:]}"
            time.sleep(0.05)

    def echo_off(self, *, timeout: float = WAIT_S) -> None:
        """Wait until the pty no longer echoes what is typed: a hidden prompt is reading (click
        prints the prompt's text first and turns echo off just after)."""
        tty = self._tmux("display-message", "-p", "-t", "t", "#{pane_tty}").strip()
        deadline = time.monotonic() + timeout
        while " -echo " not in f" {self._stty(tty)} ":
            assert time.monotonic() < deadline, "the prompt never hid its input"
            time.sleep(0.02)

    @staticmethod
    def _stty(tty: str) -> str:
        return subprocess.run(
            ["stty", "-F", tty, "-a"], check=True, capture_output=True, text=True, timeout=10
        ).stdout.replace("\n", " ")

    def run(self, command: str, *answers: tuple[str, str, bool]) -> tuple[int, str]:
        """Run ``command``, answer each ``(prompt pattern, text, hidden)`` when its prompt
        shows (and, for a hidden one, once the terminal stopped echoing), and return the exit
        status and what the command printed (as the person saw it)."""
        self.count += 1
        start = len(self.screen().rstrip("\n"))
        self.type(f'{command}; echo "[done {self.count} exit $?]"')
        at = start
        for prompt, text, hidden in answers:
            at = self.wait_for(prompt, after=at).end()
            if hidden:
                self.echo_off()
            self.type(text)
        done = self.wait_for(rf"^\[done {self.count} exit (\d+)\]$", after=at)
        return int(done.group(1)), self.screen()[start : done.start()]

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], check=False, timeout=30)


@dataclass
class Scene:
    office: Office
    verifier: VerifierProcess
    home: Path
    tmp: Path

    def ask(self) -> dict[str, Any]:
        body = {"credentialType": DRIVER, "claims": CLAIMS}
        url = self.verifier.url + "/presentation-requests"
        answer = httpx.post(url, json=body, headers=AUTH, timeout=30)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    # The shortest offer lifetime the issuer takes, so that one offer can expire in the test;
    # every other offer is redeemed within seconds of being made.
    monkeypatch.setenv("ISSUER_OFFER_TTL_S", str(OFFER_TTL_S))
    with live_chain(tmp_path) as chain, _office(tmp_path, chain, "tp") as office:
        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
            "VERIFIER_SYNC_INTERVAL_S": "0.2",
            "VERIFIER_REQUESTER_KEY_HASHES": json.dumps([API_HASH]),
            "VERIFIER_REQUEST_KEY_PASSPHRASE": "the verifier's request key passphrase",
        }
        with running_verifier(tmp_path / "verifier", env=verifier_env) as verifier:
            yield Scene(office, verifier, tmp_path / "home", tmp_path)
            assert "Traceback" not in verifier.log() + office.issuer.log()


@pytest.fixture
def terminal(scene: Scene) -> Iterator[Terminal]:
    if not Path(TMUX).exists():
        pytest.fail(f"tmux is needed for the terminal session test and is not at {TMUX}")
    entry = Path(sys.executable).parent / "ecert-wallet"
    assert entry.exists(), f"the ecert-wallet entry point is not installed at {entry}"
    env = {
        "PATH": f"{entry.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(scene.tmp),
        "TERM": "xterm-256color",
        "PS1": "$ ",
        "LANG": "C.UTF-8",
        "ECERT_WALLET_HOME": str(scene.home),
        # The wallet's test-only switch: libsodium's minimum Argon2id cost for this wallet.
        "ECERT_WALLET_TEST_KDF_MINIMUM": "1",
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    made = Terminal(f"ecert-wallet-test-{os.getpid()}", env, scene.tmp)
    try:
        yield made
    finally:
        made.close()


PASS_PROMPT = r"Wallet passphrase: ?$"
TX_PROMPT = r"Transaction code: ?$"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_a_person_receives_lists_and_presents_in_a_terminal(
    scene: Scene, terminal: Terminal
) -> None:
    # Made first and redeemed last, once expired (the test's own steps count towards it).
    expiring, made_at = scene.office.offer(DRIVER), time.monotonic()

    # init: the passphrase twice, hidden.
    code, seen = terminal.run(
        "ecert-wallet init",
        (PASS_PROMPT, PASSPHRASE, True),
        (r"Repeat for confirmation: ?$", PASSPHRASE, True),
    )
    assert code == 0, seen
    holder = re.search(r"holder: (did:key:z\w+)", seen)
    assert holder, seen

    # receive one credential of each type from the office's offer URI.
    offers: dict[str, dict[str, Any]] = {}
    for type_name in sorted(CREDENTIAL_TYPES):
        made = offers[type_name] = scene.office.offer(type_name)
        code, seen = terminal.run(
            f"ecert-wallet receive {shlex.quote(made['offer_uri'])}",
            (PASS_PROMPT, PASSPHRASE, True),
            (TX_PROMPT, made["tx_code"], True),
        )
        assert code == 0, seen
        assert f"({type_name}) from {scene.office.issuer.url}" in seen, seen

    # list: a table of five rows, one per type, each issued by the office.
    code, seen = terminal.run("ecert-wallet list", (PASS_PROMPT, PASSPHRASE, True))
    assert code == 0, seen
    assert "ecert-wallet (5 credentials)" in seen, seen
    office_did = f"did:ecert:{scene.office.chain.chain_id}:tp"
    rows = [line for line in _lines(seen) if re.match(r"^│ [0-9a-f]{12} ", line)]
    assert len(rows) == 5, seen
    for type_name in CREDENTIAL_TYPES:
        assert sum(type_name in row for row in rows) == 1, (type_name, seen)
    assert all(office_did in row or "Chengdu office" in row for row in rows), seen

    # present the driving licence once the verifier's replica holds its anchor.
    wallet = Home(scene.home).open(PASSPHRASE)
    licence = next(r for r in wallet.records if DRIVER in r.credential["type"])
    assert licence.credential["credentialSubject"]["id"] == holder.group(1)
    _wait_valid(scene.verifier, licence.credential)
    asked = scene.ask()
    code, seen = terminal.run(
        f"ecert-wallet present {shlex.quote(asked['uri'])}",
        (PASS_PROMPT, PASSPHRASE, True),
        (r"present it\? \[y/N\]: ?$", "y", False),
    )
    assert code == 0, seen
    assert f"verifier: {asked['clientId']}" in seen, seen
    assert "asks for: DriverLicenceCredential" in seen
    for claim in CLAIMS:
        assert f"  - {claim}" in seen, seen
    assert f"presented {licence.local_id}: the verifier accepted it" in seen, seen
    result = httpx.get(asked["resultUrl"], headers=AUTH, timeout=10).json()
    assert result["verdict"] == "valid", result
    subject = licence.credential["credentialSubject"]
    assert result["claims"]["credentialSubject.licenceNumber"] == subject["licenceNumber"]

    # A presentation signed for a challenge the verifier did not give: refused.
    given = httpx.post(scene.verifier.url + "/challenges", json={}, timeout=10).json()
    vp_file = scene.tmp / "vp.json"
    code, seen = terminal.run(
        f"ecert-wallet present {licence.local_id} --challenge not-the-verifiers-challenge "
        f"--domain {shlex.quote(given['domain'])} --out {vp_file}",
        (PASS_PROMPT, PASSPHRASE, True),
    )
    assert code == 0, seen
    body = {
        "verifiablePresentation": json.loads(vp_file.read_text("utf-8")),
        "options": {"challenge": given["challenge"], "domain": given["domain"]},
    }
    refused = httpx.post(scene.verifier.url + "/presentations/verify", json=body, timeout=30)
    assert refused.status_code == 422, refused.text
    assert refused.json()["verdict"] == "invalid", refused.text
    assert "INVALID_CHALLENGE_ERROR" in refused.text, refused.text

    # The store's bytes name no claim value, key or DID of what it received.
    store = scene.home / "wallet.sealed"
    before = store.read_bytes()
    named = [holder.group(1), holder.group(1).removeprefix("did:key:"), office_did]
    named += [wallet.holder.secret_multibase, subject["licenceNumber"], subject["name"]]
    for record in wallet.records:
        named += [record.credential["id"], record.credential["proof"]["proofValue"]]
    for text in named:
        assert text.encode("utf-8") not in before, f"{text!r} is readable in the store"
    assert b"did:" not in before and b"Credential" not in before

    # An expired offer: one line saying so and what to do, exit 2, the store unchanged.
    time.sleep(max(0.0, OFFER_TTL_S + 1 - (time.monotonic() - made_at)))
    code, seen = terminal.run(
        f"ecert-wallet receive {shlex.quote(expiring['offer_uri'])}",
        (PASS_PROMPT, PASSPHRASE, True),
    )
    assert code == 2, seen
    printed = _lines(seen.split("Wallet passphrase:", 1)[1])
    assert len(printed) == 1 and printed[0].startswith("error: OFFER_EXPIRED: "), seen
    assert "ask the office for a new offer" in printed[0], seen
    assert store.read_bytes() == before

    # A wrong passphrase: one line, exit 2, nothing changed.
    code, seen = terminal.run("ecert-wallet list", (PASS_PROMPT, WRONG, True))
    assert code == 2, seen
    printed = _lines(seen.split("Wallet passphrase:", 1)[1])
    assert len(printed) == 1 and printed[0].startswith("error: "), seen
    assert "Traceback" not in terminal.screen()
    assert store.read_bytes() == before

    # Nothing typed at a hidden prompt was ever shown.
    screen = terminal.screen()
    assert PASSPHRASE not in screen and WRONG not in screen
    for made in offers.values():
        assert f"Transaction code: {made['tx_code']}" not in screen
