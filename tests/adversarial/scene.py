"""The three real services on 127.0.0.1 for the adversarial sweep: a registry node, an issuing
office (SQLite files in a temp dir) and a verifier syncing from the node, each a child process
whose output goes to a log file that the sweep greps for the secrets it used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from issuer.testing import IssuerProcess, start_issuer
from tests.integration.live_registry import LiveChain, live_chain
from tests.integration.offices import PASSPHRASE, LiveOffice, issuer_env, make_office
from vc_core.credential_types import CREDENTIAL_TYPES
from verifier.oid4vp.auth import new_api_key
from verifier.testing import TEST_PASSPHRASE, VerifierProcess, start_verifier

API_KEY, API_HASH = new_api_key()
REQUEST_KEY_PASSPHRASE = "verifier request key passphrase, never logged"


@dataclass
class Scene:
    chain: LiveChain
    office: LiveOffice
    issuer: IssuerProcess
    verifier: VerifierProcess
    # What the tests handed out or sent besides the scene's own secrets: tx_codes, codes,
    # access tokens, nonces and claim values. None may be logged either.
    sent: list[str] = field(default_factory=list)

    @property
    def registry_url(self) -> str:
        return self.chain.url

    def urls(self) -> dict[str, str]:
        return {
            "registry": self.chain.url,
            "issuer": self.issuer.url,
            "verifier": self.verifier.url,
        }

    def auth(self, service: str) -> dict[str, str]:
        """A valid bearer credential for ``service`` (the registry takes none)."""
        if service == "issuer":
            return self.office.headers("issuer")
        if service == "verifier":
            return {"Authorization": f"Bearer {API_KEY}"}
        return {}

    def secrets(self) -> list[str]:
        """Every secret the scene handed out: none may appear in any log line."""
        return [
            PASSPHRASE,
            TEST_PASSPHRASE,
            REQUEST_KEY_PASSPHRASE,
            API_KEY,
            *self.office.tokens.values(),
            *self.sent,
        ]

    def logs(self) -> dict[str, str]:
        node_logs = sorted(self.chain.data_dir.glob("node-*.log"))
        return {
            "registry": "".join(p.read_text("utf-8", errors="replace") for p in node_logs),
            "issuer": self.issuer.log(),
            "verifier": self.verifier.log(),
        }


@contextmanager
def scene(tmp: Path) -> Iterator[Scene]:
    """Registry, issuer (accredited for every type nationwide) and verifier, all running."""
    with live_chain(tmp, chain_id="hostile") as chain:
        office = make_office(
            tmp,
            chain,
            name="tp",
            types=list(CREDENTIAL_TYPES),
            prefixes=("",),
            roles=("issuer", "approver"),
        )
        env = issuer_env(chain, office)
        verifier_env = {
            "VERIFIER_GENESIS_HASH": chain.genesis_hash,
            "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
            "VERIFIER_SYNC_INTERVAL_S": "0.5",
            "VERIFIER_SYNC_TIMEOUT_S": "2",
            "VERIFIER_REQUESTER_KEY_HASHES": json.dumps([API_HASH]),
            "VERIFIER_REQUEST_KEY_PASSPHRASE": REQUEST_KEY_PASSPHRASE,
        }
        # Started side by side: each spends seconds importing before it answers.
        with ThreadPoolExecutor(2) as pool:
            issuer_started = pool.submit(start_issuer, office.data, env=env)
            verifier_started = pool.submit(start_verifier, tmp / "verifier", env=verifier_env)
        started = [f.result() for f in (issuer_started, verifier_started) if not f.exception()]
        try:
            issuer, verifier = issuer_started.result(), verifier_started.result()
            yield Scene(chain, office, issuer, verifier)
        finally:
            for process in started:
                process.stop()
