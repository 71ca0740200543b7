"""The Digital Bazaar peer: one long-lived ``node tools/node/interop.mjs`` process per test session.

The peer signs, verifies and canonicalizes with jsonld.js, rdf-canonize, @digitalbazaar/vc,
data-integrity and the eddsa-rdfc-2022 / eddsa-jcs-2022 cryptosuites (pinned in
``tools/node/package-lock.json``, installed by ``tools/setup/30-anvil.sh``). Its document loader
serves only the context files listed here, by path: the ones ecert ships (pyld's frozen bundle and
``schemas/context.jsonld``, as :func:`vc_core.canon.default_contexts` loads them) and the W3C
files from ``../shared/conformance/contexts``, which replace pyld's whitespace-different copy of
``credentials/v2`` so the peer reads the published bytes. Any other URL is refused.

A missing node, or missing packages, fails the test that needs the peer: interop is not optional.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pyld.documentloader.frozen import BUNDLED_CONTEXTS

from vc_core.canon import ECERT_CONTEXT_URL

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tools" / "node"
SCRIPT = NODE_DIR / "interop.mjs"
PACKAGES = ("@digitalbazaar/vc", "@digitalbazaar/eddsa-rdfc-2022-cryptosuite", "jsonld")
# A context of these tests alone (tests/interop/documents.py), defining the JSON-LD forms that no
# shipped context does: @json, typed literals, lists, language and direction defaults.
INTEROP_CONTEXT_URL = "https://ecert.example/interop-test/v1"
INTEROP_CONTEXT_FILE = Path(__file__).with_name("interop-context.jsonld")
W3C_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
}


def context_files(conformance: Path) -> dict[str, str]:
    """URL → file path of every context the peer may load."""
    files = {url: str(path) for url, path in BUNDLED_CONTEXTS.items()}
    files[ECERT_CONTEXT_URL] = str(resources.files("schemas").joinpath("context.jsonld"))
    for url, name in W3C_CONTEXTS.items():
        files[url] = str(conformance / "contexts" / name)
    files[INTEROP_CONTEXT_URL] = str(INTEROP_CONTEXT_FILE)
    return files


class PeerError(RuntimeError):
    """The peer process died or answered something that is not a JSON line."""


class Peer:
    """A JSON-lines conversation with the node process (one job, one answer)."""

    def __init__(self, conformance: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not installed; tools/setup/30-anvil.sh installs it")
        missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / p).is_dir()]
        if missing:
            pytest.fail(
                f"{', '.join(missing)} not installed in tools/node; run tools/setup/30-anvil.sh"
            )
        self._proc = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=NODE_DIR,
            text=True,
            encoding="utf-8",
        )
        answer = self.ask({"op": "init", "contexts": context_files(conformance)})
        if not answer.get("ok"):
            raise PeerError(f"the peer did not start: {answer}")

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        # ensure_ascii keeps lone surrogates expressible; the peer's JSON.parse reads them as the
        # same UTF-16 code units a JavaScript verifier would.
        self._proc.stdin.write(json.dumps(job, ensure_ascii=True, allow_nan=False) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise PeerError(f"the peer exited with {self._proc.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
