"""EmbeddedLedger beyond the contract suite: drops at block time, atomic batches, reopening."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from registry.service import transaction_status
from registry.setup import read_key
from vc_core.keys import KeyPair
from vc_core.ledger import LedgerRuleError

if TYPE_CHECKING:
    from .conftest import Chain


def _open(chain: Chain) -> EmbeddedLedger:
    engine = make_engine(chain.settings.db_path)
    return EmbeddedLedger.open(engine, read_key(chain.settings.node_key_path))


def test_a_tx_too_old_at_block_time_is_rejected_and_the_rest_refolded(chain: Chain) -> None:
    ledger = _open(chain)
    key = KeyPair.generate()
    ledger.submit(chain.accredit_tx("tp", key), chain.now)
    ledger.produce_block(chain.now)
    office = "did:ecert:unit:tp"
    late = chain.now + timedelta(minutes=20)
    old = chain.anchor_tx(office, key, [chain.digest("old")])  # time = chain.now
    ledger.submit(old, chain.now + timedelta(minutes=14))
    chain.now = late
    fresh = chain.anchor_tx(office, key, [chain.digest("fresh")])  # seq 2 builds on seq 1
    ledger.submit(fresh, late)
    assert ledger.produce_block(late) is None, "seq 1 is dropped, so seq 2 no longer follows"
    status = transaction_status(ledger=ledger, engine=ledger.engine, tx_hash=old.hash)
    assert status.state == "rejected" and status.problem is not None
    assert status.problem["code"] == "TIME_TOO_OLD"
    assert ledger.rejection(fresh.hash) is not None
    assert ledger.next_seq(office) == 1 and ledger.pending_count == 0


def test_a_batch_is_all_or_nothing(chain: Chain) -> None:
    ledger = _open(chain)
    key = KeyPair.generate()
    accredit = chain.accredit_tx("tp", key)
    office = "did:ecert:unit:tp"
    good = chain.anchor_tx(office, key, [chain.digest("a")])
    stranger = chain.anchor_tx(office, KeyPair.generate(), [chain.digest("b")])
    with pytest.raises(LedgerRuleError) as info:
        ledger.submit_many([accredit, good, stranger], chain.now)
    assert info.value.details["index"] == 2
    assert ledger.pending_count == 0 and ledger.next_seq(office) == 1
    assert ledger.submit_many([accredit, good], chain.now) == [accredit.hash, good.hash]
    block = ledger.produce_block(chain.now)
    assert block is not None and [tx.hash for tx in block.transactions] == [
        accredit.hash,
        good.hash,
    ]


def test_reopening_reverifies_and_continues(chain: Chain) -> None:
    ledger = _open(chain)
    key = KeyPair.generate()
    ledger.submit(chain.accredit_tx("tp", key), chain.now)
    head = ledger.produce_block(chain.now)
    assert ledger.produce_block(chain.now) is None
    ledger.engine.dispose()
    again = _open(chain)
    assert head is not None and again.head().hash == head.hash
    assert again.transaction(head.transactions[0].hash)[1] == 1
    assert again.office_keys("did:ecert:unit:tp")[0].key == key.public_multibase
