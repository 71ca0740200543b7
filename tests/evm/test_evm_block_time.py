"""QBFT-like block timing: anvil mining a block every 2 s on its own (``--block-time 2``).

Anchoring is asynchronous: ``submit`` returns as soon as the node has the signed transaction
(pending), so an office keeps issuing while its anchor waits for its block and confirmation;
the anchor then lands without anyone mining by hand. Durations are printed, never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from registry.evm import EvmLedger
from tests.evm.anvil import Anvil, account
from tests.evm.chains import story_genesis, story_office, wall
from vc_core.canon import default_contexts
from vc_core.verification import check_credential
from vc_core.verification.codes import Verdict


@pytest.fixture
def slow_anvil() -> Iterator[Anvil]:
    node = Anvil("--block-time", "2")
    node.rpc("anvil_setTime", [int(time.time())])
    yield node
    node.stop()


def test_issuance_goes_on_while_anchors_wait_for_two_second_blocks(slow_anvil: Anvil) -> None:
    tx, producer = story_genesis()
    # The council's and the office's setup need no confirmations here (they are not the
    # point and would cost two blocks each); the anchor waits for one.
    ledger = EvmLedger.deploy(
        slow_anvil.chain(), account(1), tx, confirmations=0, producer_key=producer
    )
    ledger.wait_for_genesis(timeout_s=30)
    registry, office, first = story_office(ledger)
    ledger.follower.confirmations = 1

    started = time.monotonic()
    anchor = ledger.submit(office.anchor(registry, [first], "b1", wall()), wall())
    submitted_s = time.monotonic() - started
    assert ledger.is_pending(anchor) and ledger.inclusion(anchor) is None  # did not wait
    more = [office.issue("eddsa-jcs-2022", wall(), default_contexts()) for _ in range(5)]
    issued_s = time.monotonic() - started
    assert ledger.inclusion(anchor) is None or issued_s > 2  # issued while it was pending
    found = ledger.wait_included(anchor, timeout_s=30)
    included_s = time.monotonic() - started
    assert found is not None
    print(
        f"\nsubmit returned in {submitted_s * 1000:.1f} ms; 5 more credentials issued by "
        f"{issued_s * 1000:.0f} ms; anchor confirmed after {included_s:.1f} s"
    )
    assert check_credential(first, reader=ledger, now=wall()).verdict is Verdict.VALID
    assert len(more) == 5
