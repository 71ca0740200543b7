"""A backend's remembered answers equal what its committed state builds afresh.

``StateQueries`` keeps the accreditation, leaf anchor and credential status records it built
for one committed state. These tests ask a ``MemoryLedger`` the same questions twice, before and
after new blocks, with one instant in several time zones, unknown offices, long ids and a naive
time, and require each answer to be exactly (``repr``, time zone included) what
``ledger.state`` builds directly, or the same error. A cache keyed without the time zone, or
kept across a new block, fails here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    IssuerSuspendBody,
    LedgerState,
    MemoryLedger,
    RevokeEvent,
    Scope,
    StatusBody,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.transparency import MerkleTree

CHAIN = "remember"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COUNCIL, PRODUCER = KeyPair.from_seed(b"\x31" * 32), KeyPair.from_seed(b"\x32" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x33" * 32)
OFFICE = office_did(CHAIN, "tp")
LEAF = hashlib.sha256(b"credential").hexdigest()
CID = "urn:remember:1"
EAST = timezone(timedelta(hours=8))


def _ledger() -> MemoryLedger:
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    t = T0 + timedelta(seconds=1)
    body = AccreditBody(
        office=OFFICE, name="Office", uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="DriverLicenceCredential", division_prefixes=("51",)),),
        valid_from=T0, initial_key=OFFICE_KEY.public_multibase,
    )  # fmt: skip
    ledger.submit(council_tx(CHAIN, "issuer.accredit", body, proposer=COUNCIL, seq=2, time=t), t)
    ledger.produce_block(t)
    t += timedelta(seconds=1)
    root = MerkleTree([bytes.fromhex(LEAF)]).root.hex()
    anchor = AnchorBody(batch_id="b1", batch_root=root, leaf_count=1, leaves=(LEAF,))
    ledger.submit(
        office_tx(CHAIN, "anchor", anchor, office=OFFICE, seq=1, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)
    return ledger


def _outcome(ask: Callable[[], Any]) -> str:
    try:
        return repr(ask())
    except Exception as exc:  # the same error either way is what counts
        return f"raised {type(exc).__name__}"


def _questions(ledger: MemoryLedger, state: LedgerState) -> list[tuple[str, str]]:
    times = [
        T0 - timedelta(days=1), T0, T0 + timedelta(seconds=2), T0 + timedelta(days=3),
        (T0 + timedelta(days=3)).astimezone(EAST), datetime(2025, 3, 4, 9, 0),  # naive
    ]  # fmt: skip
    pairs: list[tuple[Callable[[], Any], Callable[[], Any]]] = []
    for at in times:
        for office in (OFFICE, office_did(CHAIN, "other"), "x" * 300):
            pairs.append(
                (lambda o=office, a=at: ledger.accreditation(o, a),
                 lambda o=office, a=at: state.accreditation(o, a))
            )  # fmt: skip
        for cid in (CID, None, "urn:" + "y" * 300):
            for index in (None, 7):
                if cid is None and index is None:
                    continue
                pairs.append(
                    (lambda c=cid, i=index, a=at: ledger.credential_status(
                        OFFICE, credential_id=c, status_index=i, as_of=a),
                     lambda c=cid, i=index, a=at: state.credential_status(
                        OFFICE, credential_id=c, status_index=i, as_of=a))
                )  # fmt: skip
    for leaf in (LEAF, "0" * 64, "z" * 300):
        pairs.append((lambda x=leaf: ledger.leaf_anchor(x), lambda x=leaf: state.leaf_anchor(x)))
    # Each question twice over (the second time from memory), against the state built afresh.
    return [(_outcome(ask), _outcome(direct)) for ask, direct in pairs + pairs]


def test_remembered_answers_equal_fresh_ones_across_blocks() -> None:
    ledger = _ledger()
    for remembered, fresh in _questions(ledger, ledger.state):
        assert remembered == fresh
    # A new block that changes every answer: the office suspended, the credential revoked.
    t = T0 + timedelta(days=2)
    suspend = IssuerSuspendBody(office=OFFICE, reason="audit")
    ledger.submit(council_tx(CHAIN, "issuer.suspend", suspend, proposer=COUNCIL, seq=3, time=t), t)
    status = StatusBody(credential_id=CID, status_index=7, event=RevokeEvent(reason="void"))
    ledger.submit(
        office_tx(CHAIN, "status", status, office=OFFICE, seq=2, time=t, key=OFFICE_KEY), t
    )
    ledger.produce_block(t)
    after = _questions(ledger, ledger.state)
    for remembered, fresh in after:
        assert remembered == fresh
    assert any("suspended" in fresh for _, fresh in after)
    assert any("revoked=True" in fresh for _, fresh in after)


def test_one_instant_in_two_zones_gets_each_its_own_record() -> None:
    ledger = _ledger()
    at = T0 + timedelta(days=1)
    utc, east = ledger.accreditation(OFFICE, at), ledger.accreditation(OFFICE, at.astimezone(EAST))
    assert utc is not None and east is not None
    assert utc.as_of.utcoffset() == timedelta(0)
    assert repr(east) == repr(ledger.state.accreditation(OFFICE, at.astimezone(EAST)))
