"""Every ``ecert`` and ``ecert-wallet`` command that reads (or writes) a file, given what a
careless or hostile user gives it in its place: a missing file, a directory, invalid UTF-8, an
JSON scalar, 200 000 brackets, a file that claims to be SQLite and is not, a byte order mark
with CRLF (the JSON parser's own hostile inputs, NUL bytes and lone surrogates among them, are
tests/unit/ecert/test_hostile_input.py's). The bar: an exit code the CLI
documents (1 invalid, 2 malformed input or usage, 3 could not check; never 70, a bug), at most
one line on stderr, never a traceback.

The commands run in-process through their entry points (:func:`ecert.cli.run`,
:func:`wallet_cli.cli.run`), where the error mapping lives, so the answer is the installed
command's; one also runs as a real process. Last, the wallet's two network flows (``present``
with an ``openid4vp://`` link, ``receive`` with an offer) against a server that answers badly:
an unsigned or HMAC request object, invalid UTF-8, deep JSON, a redirect to itself, a 500, an
empty body and an endless one.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest

from ecert.cli import run as ecert_run
from vc_core.credential_types import example_credential
from vc_core.dataintegrity import add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair
from wallet_cli.cli import run as wallet_run

KEY = KeyPair.from_seed(bytes(range(32)))
GENESIS = "0" * 64
PASSPHRASE = "the hostile sweep's wallet passphrase"
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
DOCUMENTED = (1, 2, 3)

KINDS: dict[str, bytes | None] = {
    "missing": None,
    "directory": b"",
    "invalid-utf8": b'{"a": "\xff\xfe\xc3"}',
    "json-scalar": b"1",
    "deep": b"[" * 200_000 + b"]" * 200_000,
    "not-sqlite": b"SQLite format 3\x00" + b"\xff" * 200,
    "bom-crlf": b'\xef\xbb\xbf{"a": 1}\r\n\r\n',
}


@dataclass(frozen=True)
class Files:
    folder: Path
    key: Path
    credential: Path
    wallet: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("cli-files")
    key = folder / "key.json"
    key.write_text(KEY.to_json(), encoding="utf-8")
    doc = example_credential("DriverLicenceCredential")
    doc["issuer"] = did_key(KEY.public)
    vm = verification_method_id(KEY.public)
    signed = add_proof(doc, KEY, cryptosuite="eddsa-rdfc-2022", verification_method=vm)
    credential = folder / "credential.json"
    credential.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    wallet = folder / "wallet"
    with pytest.MonkeyPatch.context() as env:
        _wallet_env(env)
        assert wallet_run(["--home", str(wallet), "init"]) == 0
        assert wallet_run(["--home", str(wallet), "import", str(credential)]) == 0
    return Files(folder, key, credential, wallet)


def _wallet_env(env: pytest.MonkeyPatch) -> None:
    env.setenv("ECERT_WALLET_PASSPHRASE", PASSPHRASE)
    env.setenv("ECERT_WALLET_TEST_KDF_MINIMUM", "1")
    env.delenv("ECERT_WALLET_HOME", raising=False)
    env.delenv("ECERT_GENESIS", raising=False)


# {F} is the hostile path, {K} a good key file, {C} a good signed credential, {W} a wallet
# holding it, {T} a fresh folder of the case.
ECERT: dict[str, list[str]] = {
    "verify": ["verify", "{F}", "--genesis", GENESIS, "--replica", "{T}/replica.sqlite"],
    "verify --replica": ["verify", "{C}", "--genesis", GENESIS, "--replica", "{F}"],
    "verify --bundle": ["verify", "{F}", "--genesis", GENESIS, "--bundle"],
    "key show": ["key", "show", "{F}"],
    "credential sign": ["credential", "sign", "{F}", "--key", "{K}"],
    "credential sign --key": ["credential", "sign", "{C}", "--key", "{F}"],
    "credential sign --context": ["credential", "sign", "{C}", "--key", "{K}", "--context", "{F}"],
    "credential verify-proof": ["credential", "verify-proof", "{F}"],
    "registry audit": ["registry", "audit", "--data-dir", "{F}", "--genesis-hash", GENESIS],
    "registry import": [
        "registry",
        "import",
        "{F}",
        "--genesis-hash",
        GENESIS,
        "--replica",
        "{T}/r",
    ],
    "council sign": ["council", "sign", "{F}", "--key", "{K}"],
    "council sign --key": ["council", "sign", "{C}", "--key", "{F}"],
    "council submit": ["council", "submit", "{F}", "--registry", NOWHERE],
    "office anchor": [
        *("office", "anchor", "{F}", "--office", "did:ecert:x:y", "--key", "{K}"),
        *("--chain-id", "x", "--seq", "1", "--out", "{T}/tx.json"),
    ],
    "office submit": ["office", "submit", "{F}", "--registry", NOWHERE],
    "replica sync --snapshot": [
        *("replica", "sync", "--replica", "{T}/r.sqlite", "--genesis-hash", GENESIS),
        *("--snapshot", "{F}"),
    ],
    "replica show leaf": [
        "replica",
        "show",
        "leaf",
        "ab" * 32,
        "--replica",
        "{F}",
        "--genesis-hash",
        GENESIS,
    ],
    "replica show office": [
        *("replica", "show", "office", "did:ecert:x:y", "--replica", "{F}"),
        *("--genesis-hash", GENESIS),
    ],
    "issuer batch": [
        *("issuer", "batch", "{F}", "--type", "DriverLicenceCredential", "--url", NOWHERE),
        *("--token-file", "{K}"),
    ],
    "issuer batch --token-file": [
        *("issuer", "batch", "{C}", "--type", "DriverLicenceCredential", "--url", NOWHERE),
        *("--token-file", "{F}"),
    ],
    "issuer operator list": ["issuer", "operator", "list", "--data-dir", "{F}"],
    "issuer operator add": [
        *("issuer", "operator", "add", "--name", "x", "--role", "issuer"),
        *("--type", "DriverLicenceCredential", "--data-dir", "{F}"),
    ],
    "receipt verify": ["receipt", "verify", "{F}"],
}
WALLET: dict[str, list[str]] = {
    "--passphrase-file": ["--home", "{W}", "--passphrase-file", "{F}", "list"],
    "--home list": ["--home", "{F}", "list"],
    "--home init": ["--home", "{F}", "init"],
    "import": ["--home", "{W}", "import", "{F}"],
    "restore": ["--home", "{W}", "restore", "{F}"],
    "receive --qr-image": ["--home", "{W}", "receive", "--qr-image", "{F}"],
    "verify --replica": ["--home", "{W}", "verify", "1", "--genesis", GENESIS, "--replica", "{F}"],
    "sync --replica": ["--home", "{W}", "sync", "--replica", "{F}", "--genesis", GENESIS],
}
# Commands that write {F}: only a path that cannot be written is hostile there.
WALLET_WRITES: dict[str, list[str]] = {
    "backup": ["--home", "{W}", "backup", "{F}"],
    "export --out": ["--home", "{W}", "export", "1", "--out", "{F}"],
}
ECERT_WRITES: dict[str, list[str]] = {
    "key new --out": ["key", "new", "--out", "{F}"],
}
UNWRITABLE = ("directory", "file-as-folder")


def _hostile(folder: Path, kind: str) -> Path:
    if kind == "file-as-folder":
        (folder / "a-file").write_bytes(b"x")
        return folder / "a-file" / "below"
    path = folder / f"hostile-{kind}"
    if kind == "directory":
        path.mkdir()
    elif KINDS[kind] is not None:
        path.write_bytes(KINDS[kind] or b"")
    return path


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def _run(entry: Callable[[list[str]], int], args: list[str]) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = entry(args)
    return Outcome(code, out.getvalue(), err.getvalue())


def _case(
    files: Files, tmp_path: Path, template: list[str], kind: str, entry: Callable[[list[str]], int]
) -> Outcome:
    wallet = tmp_path / "wallet"
    if "{W}" in template:
        shutil.copytree(files.wallet, wallet)
    hostile = _hostile(tmp_path, kind)
    places = {
        "{F}": str(hostile),
        "{K}": str(files.key),
        "{C}": str(files.credential),
        "{W}": str(wallet),
        "{T}": str(tmp_path),
    }
    args = []
    for arg in template:
        filled = arg
        for mark, value in places.items():
            filled = filled.replace(mark, value)
        args.append(filled)
    return _run(entry, args)


def _assert_kept_the_bar(outcome: Outcome, *, may_succeed: bool = False) -> None:
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert "Traceback" not in outcome.stderr + outcome.stdout, outcome.stderr
    assert "INTERNAL_ERROR" not in outcome.stderr, outcome.stderr
    allowed = (0, *DOCUMENTED) if may_succeed else DOCUMENTED
    assert outcome.code in allowed, (outcome.code, outcome.stderr, outcome.stdout[-500:])
    assert len(lines) <= 1, outcome.stderr


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("name", list(ECERT))
def test_ecert_reads_hostile_files(files: Files, tmp_path: Path, name: str, kind: str) -> None:
    _assert_kept_the_bar(_case(files, tmp_path, ECERT[name], kind, ecert_run))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("name", list(WALLET))
def test_wallet_reads_hostile_files(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, kind: str
) -> None:
    _wallet_env(monkeypatch)
    # ``--home`` on a folder that does not exist yet is a new wallet, which ``init`` makes; SQLite
    # reads a file too short for a header as an empty database, a replica with no chain, and
    # ``sync`` reports each credential as could_not_check (exit 0: the sync itself ran).
    may_succeed = (name == "--home init" and kind in ("missing", "directory")) or (
        name == "sync --replica" and kind == "json-scalar"
    )
    outcome = _case(files, tmp_path, WALLET[name], kind, wallet_run)
    _assert_kept_the_bar(outcome, may_succeed=may_succeed)


@pytest.mark.parametrize("kind", UNWRITABLE)
@pytest.mark.parametrize("name", [*WALLET_WRITES, *ECERT_WRITES])
def test_unwritable_targets(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, kind: str
) -> None:
    _wallet_env(monkeypatch)
    if name in WALLET_WRITES:
        outcome = _case(files, tmp_path, WALLET_WRITES[name], kind, wallet_run)
    else:
        outcome = _case(files, tmp_path, ECERT_WRITES[name], kind, ecert_run)
    _assert_kept_the_bar(outcome)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("ecert", ["replica", "show", "leaf", "ab" * 32, "--genesis-hash", GENESIS, "--replica"]),
    ],
)
def test_real_processes_answer_one_line(
    files: Files, tmp_path: Path, command: str, args: list[str]
) -> None:
    """The same as an installed command: a real process, a file that is not what it should be."""
    hostile = _hostile(tmp_path, "not-sqlite")
    tail = [str(hostile)]
    env = {"ECERT_WALLET_PASSPHRASE": PASSPHRASE, "ECERT_WALLET_TEST_KDF_MINIMUM": "1"}
    done = subprocess.run(
        [sys.executable, "-m", command, *args, *tail],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_base_env(), **env},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ECERT_")}


class _Hostile(BaseHTTPRequestHandler):
    """A verifier or an office that answers badly: the path names how."""

    sent: ClassVar[dict[str, int]] = {}
    ENDLESS_LIMIT = 64 * 1024 * 1024  # the server's own bound, so a broken client cannot OOM

    def do_GET(self) -> None:
        kind = self.path.strip("/").split("/")[0].split("?")[0]
        if kind == "endless":
            self._endless()
            return
        status, body = _HOSTILE_ANSWERS.get(kind, (404, b"{}"))
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", self.path)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"[" * 65536
        self.sent[self.path] = 0
        # Counted as it goes, so the test reads what the wallet took before it hung up.
        with contextlib.suppress(OSError):
            while self.sent[self.path] < self.ENDLESS_LIMIT:
                self.wfile.write(chunk)
                self.sent[self.path] += len(chunk)

    def log_message(self, *args: Any) -> None:
        pass


def _jwt(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> bytes:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return (signing_input + "." + part(signature)).encode()


_HOSTILE_ANSWERS: dict[str, tuple[int, bytes]] = {
    "alg-none": (200, _jwt({"alg": "none"}, {"response_type": "vp_token"})),
    "alg-hs256": (200, _jwt({"alg": "HS256"}, {"response_type": "vp_token"}, b"\0" * 32)),
    "invalid-utf8": (200, b"\xff\xfe\xc3 not text"),
    "deep": (200, b"[" * 100_000 + b"]" * 100_000),
    "json-array": (200, b"[1, 2]"),
    "redirect": (302, b""),
    "server-error": (500, b"<html>Internal Server Error</html>"),
    "empty": (200, b""),
}
SERVER_KINDS = sorted([*_HOSTILE_ANSWERS, "endless"])


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("kind", SERVER_KINDS)
@pytest.mark.parametrize("flow", ["present", "receive"])
def test_hostile_servers_get_one_line(
    files: Files,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hostile_server: str,
    flow: str,
    kind: str,
) -> None:
    """A request link or an offer that names a hostile server: one line and exit 1, 2 or 3;
    an endless answer is read no further than the wallet's bound (it used to be read whole)."""
    _wallet_env(monkeypatch)
    url = f"{hostile_server}/{kind}/{flow}"
    if flow == "present":
        client_id = "decentralized_identifier:" + did_key(KEY.public)
        link = "openid4vp://?" + urlencode({"client_id": client_id, "request_uri": url})
        template = ["--home", "{W}", "present", link, "--yes"]
    else:
        link = "openid-credential-offer://?" + urlencode({"credential_offer_uri": url})
        template = ["--home", "{W}", "receive", link, "--tx-code-file", "{K}"]
    _assert_kept_the_bar(_case(files, tmp_path, template, "missing", wallet_run))
    if kind == "endless":
        assert _Hostile.sent[f"/{kind}/{flow}"] < 16 * 1024 * 1024, _Hostile.sent
