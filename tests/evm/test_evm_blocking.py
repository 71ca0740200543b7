"""An EVM-backed registry node keeps answering while its EVM node is slow (issue 11 review).

``POST /transactions`` on an EVM-backed node sends the transaction over JSON-RPC. Run on the
event loop, that call stalled every other request of the node (``GET /checkpoint``, the blocks
replicas pull) for as long as the EVM node took to answer. Here a real registry node process
talks to anvil through a small JSON-RPC relay that holds ``eth_sendRawTransaction`` until the
test lets it go: while one submission is held, the node must still answer reads; once it is
let go, the submission completes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.evm import EvmLedger
from registry.testing import running_node
from tests.evm.anvil import Anvil, account
from tests.evm.chains import node_folder
from vc_core.keys import KeyPair
from vc_core.ledger import AccreditBody, Scope, council_tx, genesis_tx, office_did

pytestmark = pytest.mark.integration
CHAIN = "evm-blocking"
# Far longer than the reads below may take: a held submission outlasts them.
RPC_TIMEOUT_S = 120
READ_TIMEOUT_S = 20


class HoldingRelay:
    """Relays JSON-RPC to anvil; while ``hold`` is set, ``eth_sendRawTransaction`` waits for
    ``release`` (and ``held`` tells the test it has arrived)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if relay.hold.is_set() and b"eth_sendRawTransaction" in body:
                    relay.held.set()
                    relay.release.wait(RPC_TIMEOUT_S)
                answer = httpx.post(
                    relay.upstream,
                    content=body,
                    headers={"content-type": "application/json"},
                    timeout=30,
                )
                try:
                    self.send_response(answer.status_code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except OSError:
                    pass  # the node gave up on this request (its own timeout): nothing to tell

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HoldingRelay:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relay(anvil: Anvil) -> Iterator[HoldingRelay]:
    with HoldingRelay(anvil.url) as relay:
        yield relay


def _accredit_tx(council: KeyPair, seq: int) -> bytes:
    body = AccreditBody(
        office=office_did(CHAIN, "slow"),
        name="Office slow",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        initial_key=KeyPair.generate().public_multibase,
    )
    tx = council_tx(
        CHAIN, "issuer.accredit", body, proposer=council, seq=seq, time=datetime.now(UTC)
    )
    return tx.to_json().encode()


def test_reads_are_answered_while_a_submission_waits_on_a_hung_evm_node(
    anvil: Anvil, relay: HoldingRelay, tmp_path: Path
) -> None:
    council, producer = KeyPair.generate(), KeyPair.generate()
    genesis = genesis_tx(CHAIN, [council], 1, producer.public, datetime.now(UTC))
    deployed = EvmLedger.deploy(
        anvil.chain(), account(0), genesis, confirmations=0, producer_key=producer
    )
    deployed.wait_for_genesis(timeout_s=30)
    data = tmp_path / "node"
    env = node_folder(data, deployed, producer, confirmations=0)
    env["REGISTRY_EVM_RPC_URL"] = relay.url
    env["REGISTRY_EVM_TIMEOUT_S"] = str(RPC_TIMEOUT_S)
    with running_node(data, env=env) as node, httpx.Client(base_url=node.url) as http:
        author = council.public_multibase
        seq = http.get(f"/accounts/{author}", timeout=READ_TIMEOUT_S).json()["next_seq"]
        before = http.get("/checkpoint", timeout=READ_TIMEOUT_S).json()
        answers: list[httpx.Response] = []

        def submit() -> None:
            answers.append(
                httpx.post(
                    node.url + "/transactions",
                    content=_accredit_tx(council, seq),
                    headers={"content-type": "application/json"},
                    timeout=RPC_TIMEOUT_S + 30,
                )
            )

        relay.hold.set()
        submitter = threading.Thread(target=submit)
        submitter.start()
        assert relay.held.wait(60), "the submission never reached the EVM node"
        # The EVM node holds the submission: the registry node still answers reads.
        checkpoint = http.get("/checkpoint", timeout=READ_TIMEOUT_S)
        assert checkpoint.status_code == 200
        assert checkpoint.json()["height"] == before["height"]
        blocks = http.get("/blocks", params={"from": 0, "limit": 1}, timeout=READ_TIMEOUT_S)
        assert blocks.status_code == 200 and blocks.json()["blocks"][0]["header"]["height"] == 0
        assert not answers, "the submission was answered before the EVM node took it"
        relay.release.set()
        submitter.join(RPC_TIMEOUT_S + 60)
        assert answers and answers[0].status_code in (200, 202), answers
        assert answers[0].json()["state"] in ("pending", "included")
