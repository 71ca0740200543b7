"""The registry client against a real node: typed answers, the node's problem reports as typed
errors (never retried), and "could not check" for a node that is down (retried with backoff)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from registry.testing import free_port
from tests.integration.live_registry import live_chain
from vc_core.errors import (
    MalformedError,
    NotFoundError,
    RegistryError,
    ValidationFailedError,
    VerificationError,
)
from vc_core.keys import KeyPair
from vc_core.ledger import AccreditBody, Scope, council_tx, verify_checkpoint
from vc_core.registry_client import RegistryClient, answered_status
from vc_core.replica import HttpSource

pytestmark = pytest.mark.integration


class Sleeps(list[float]):
    """Records the backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_typed_answers_and_problem_reports(tmp_path: Path) -> None:
    with live_chain(tmp_path) as chain:
        sleeps = Sleeps()
        client = RegistryClient(chain.url, sleep=sleeps)
        checkpoint = client.checkpoint()
        verify_checkpoint(checkpoint, chain.producer.public)
        assert checkpoint.chain_id == "live" and checkpoint.height == 0
        page = client.blocks(0, 10)
        assert page.head == 0 and page.blocks[0].hash == chain.genesis_hash
        assert client.next_seq(chain.council.public_multibase) == 2

        with pytest.raises(NotFoundError) as missing:
            client.get_json("/transactions/" + "0" * 64)
        assert missing.value.code == "TX_NOT_FOUND" and answered_status(missing.value) == 404
        assert missing.value.details["problem"]["type"].endswith("/tx-not-found")
        with pytest.raises(MalformedError) as bad_hash:
            client.get_json("/transactions/not-a-hash")
        assert bad_hash.value.field == "hash" and answered_status(bad_hash.value) == 400
        with pytest.raises(ValidationFailedError):
            client.get_json("/blocks", params={"from": -1})

        # A council transaction nobody on the council signed: the node's rule code comes back.
        stranger = KeyPair.generate()
        body = AccreditBody(
            office="did:ecert:live:tp",
            name="Traffic police",
            uscc="91350100M000100Y43",
            scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            initial_key=stranger.public_multibase,
        )
        tx = council_tx(
            "live", "issuer.accredit", body, proposer=stranger, seq=1, time=datetime.now(UTC)
        )
        with pytest.raises(VerificationError) as refused:
            client.submit(tx)
        assert refused.value.code == "NOT_A_COUNCIL_MEMBER"
        assert refused.value.exit_code == 1 and answered_status(refused.value) == 422
        assert sleeps == [], "an answer, even an error, is never retried"

        tx = council_tx(
            "live", "issuer.accredit", body, proposer=chain.council, seq=2, time=datetime.now(UTC)
        )
        status = client.submit(tx, wait_s=10)
        assert status.state == "included" and status.height == 1
        assert client.submit(tx).state == "included", "resubmitting answers the known state"
        client.close()


def test_a_node_that_is_down_is_could_not_check(tmp_path: Path) -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{free_port()}"
    client = RegistryClient(url, timeout_s=1, retries=3, backoff_s=0.01, sleep=sleeps)
    with client, pytest.raises(RegistryError) as down:
        client.checkpoint()
    assert down.value.code == "REGISTRY_UNAVAILABLE" and down.value.exit_code == 3
    assert answered_status(down.value) is None
    assert sleeps == [0.01, 0.02, 0.04], "three retries, each waiting twice as long"

    with live_chain(tmp_path) as chain:
        node_url = chain.url
        assert HttpSource(node_url).checkpoint().height == 0
    # The node was stopped with the context: the same client code now says "could not check".
    with pytest.raises(RegistryError) as stopped:
        RegistryClient(node_url, retries=0).checkpoint()
    assert stopped.value.code == "REGISTRY_UNAVAILABLE"


def test_the_council_cli_says_could_not_check_for_a_node_that_is_down(tmp_path: Path) -> None:
    member = KeyPair.generate()
    body = AccreditBody(
        office="did:ecert:live:tp",
        name="Traffic police",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="DrivingLicenceCredential", division_prefixes=("51",)),),
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        initial_key=member.public_multibase,
    )
    tx = council_tx("live", "issuer.accredit", body, proposer=member, seq=1, time=datetime.now(UTC))
    (tmp_path / "tx.json").write_text(tx.to_json(), encoding="utf-8")
    down = f"http://127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-m", "registry", "council", "submit", str(tmp_path / "tx.json")]
    done = subprocess.run([*cmd, "--registry", down], capture_output=True, text=True, check=False)
    assert done.returncode == 3, done.stderr
    assert "REGISTRY_UNAVAILABLE" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
