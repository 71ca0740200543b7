"""Ledger contract: every backend gives the same ``LedgerReader`` answers for the same chain.

One history — two offices, key rotation and compromise, anchors with and without published
leaves, every kind of status event by id and by index, an issuer suspension and a withdrawal —
is written to the memory chain, the embedded SQLite chain and a replica (then reopened from
the state it stored). Their blocks must be identical, and so must every answer on a grid of
times: accreditation at T, keys and each key's state at T, status as of T, anchors of leaves
and roots, the DID document at T.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from vc_core.errors import NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    IssuerSuspendBody,
    IssuerWithdrawBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    LedgerReader,
    ReinstateEvent,
    RevokeEvent,
    StatusBody,
    SupersedeEvent,
    SuspendEvent,
    did_document,
)
from vc_core.ledger.bodies import StatusEvent

if TYPE_CHECKING:
    from conftest import Harness  # annotations only: helpers come through the fixture

CRED = "urn:uuid:0d1e2f30-0000-4000-8000-0000000000"


def _status(chain: Harness, office: str, key: KeyPair, event: StatusEvent, **ids: Any) -> None:
    body = StatusBody.model_validate({**ids, "event": event})
    chain.submit(chain.office(office, "status", body, key))
    chain.commit()


def _history(chain: Harness) -> dict[str, Any]:
    """Write the same history on ``chain``; return what to ask about."""
    k1, k2, k3 = chain.key(20), chain.key(21), chain.key(30)
    tp = chain.accredit("traffic-police", k1)
    edu = chain.accredit("education", k3, valid_until=chain.now + timedelta(days=3))
    leaves = [chain.digest(f"leaf-{i}") for i in range(5)]
    chain.submit(chain.anchor_tx(tp, k1, leaves[:3], batch_id="b1"))
    chain.submit(chain.anchor_tx(edu, k3, leaves[3:], batch_id="e1", publish=False))
    chain.commit()
    chain.tick(60)
    chain.submit(chain.office(tp, "key.add", KeyAddBody(key=k2.public_multibase), k1))
    chain.commit()
    chain.submit(chain.office(tp, "key.retire", KeyRetireBody(key=k1.public_multibase), k2))
    chain.commit()
    until = chain.now + timedelta(hours=2)
    suspend = SuspendEvent.model_validate({"from": chain.now, "until": until, "reason": "x"})
    _status(chain, tp, k2, suspend, credential_id=CRED + "01", status_index=7)
    chain.tick(600)
    _status(chain, tp, k2, ReinstateEvent(reason="ok"), credential_id=CRED + "01")
    _status(chain, tp, k2, RevokeEvent(reason="lost"), status_index=131_080)
    _status(chain, tp, k2, SupersedeEvent(by=CRED + "03"), credential_id=CRED + "02")
    _status(chain, edu, k3, RevokeEvent(reason="fraud"), credential_id=CRED + "04", status_index=1)
    chain.tick(60)
    since = chain.now - timedelta(seconds=30)
    body = KeyCompromisedBody(office=tp, key=k2.public_multibase, since=since)
    chain.submit(chain.council("key.compromised", body))
    chain.commit()
    chain.submit(chain.council("issuer.suspend", IssuerSuspendBody(office=edu, reason="audit")))
    chain.commit()
    chain.tick(60)
    chain.submit(chain.council("issuer.withdraw", IssuerWithdrawBody(office=edu, reason="gone")))
    chain.commit()
    return {
        "offices": [tp, edu, "did:ecert:test-chain:nobody"],
        "keys": [k.public_multibase for k in (k1, k2, k3, chain.key(99))],
        "leaves": [*leaves, chain.digest("never")],
        "roots": [chain.batch_root(leaves[:3]), chain.batch_root(leaves[3:]), "0" * 64],
        "batch_ids": [(tp, "b1"), (edu, "e1"), (tp, "e1")],
        "credentials": [
            {"credential_id": CRED + "01"},
            {"credential_id": CRED + "02"},
            {"credential_id": CRED + "04"},
            {"status_index": 7},
            {"status_index": 1},
            {"status_index": 131_080},
            {"credential_id": CRED + "99", "status_index": 8},
        ],
    }


def _answers(reader: LedgerReader, facts: dict[str, Any], times: list[datetime]) -> list[Any]:
    """Everything the reader says about ``facts`` at ``times``, as plain data."""
    out: list[Any] = [
        reader.chain_id,
        reader.chain_head(),
        reader.council(),
        reader.offices(),
        [reader.key(k) for k in facts["keys"]],
        [reader.leaf_anchor(leaf) for leaf in facts["leaves"]],
        [reader.batch(root) for root in facts["roots"]],
        [reader.batch_by_id(office, batch_id) for office, batch_id in facts["batch_ids"]],
    ]
    for office in facts["offices"]:
        out.append(reader.office_keys(office))
        out.append(reader.status_indexes(office, 0, 2 * 131_072))
        out.append(reader.status_indexes(office, 8, 131_072))
        for t in times:
            out.append(reader.accreditation(office, t))
            out.append([(k.key, k.state_at(t)) for k in reader.office_keys(office)])
            try:
                out.append(did_document(reader, office, t))
            except NotFoundError as exc:
                out.append(exc.code)
            for ids in facts["credentials"]:
                out.append(reader.credential_status(office, **ids, as_of=t))
    return out


def test_every_backend_answers_the_same_for_the_same_chain(
    every_backend: dict[str, Harness],
) -> None:
    facts = {name: _history(chain) for name, chain in every_backend.items()}
    memory = every_backend["memory"]
    heads = {name: chain.ledger.chain_head() for name, chain in every_backend.items()}
    assert len(set(heads.values())) == 1, heads
    step = (memory.now - memory.t0) / 40
    times = [memory.t0 - timedelta(days=1)]
    times += [memory.t0 + step * i for i in range(41)]
    times += [memory.now + timedelta(days=10)]
    expected = _answers(memory.ledger, facts["memory"], times)
    for name, chain in every_backend.items():
        assert _answers(chain.ledger, facts[name], times) == expected, name
    # A replica reopened from the state it stored answers the same too.
    reopened = every_backend["replica"].ledger.reopened()  # type: ignore[attr-defined]
    assert reopened.opened_from == "stored state"
    assert _answers(reopened, facts["replica"], times) == expected
    # The grid is not trivial: the history shows through it.
    assert any(a is not None and getattr(a, "state", "") == "suspended" for a in expected)
    assert any(getattr(a, "revoked", False) for a in expected)
    assert any(getattr(a, "suspended", False) for a in expected)
    assert any(getattr(a, "state", "") == "withdrawn" for a in expected)
    key_states = {
        pair[1] for a in expected if isinstance(a, list) for pair in a if isinstance(pair, tuple)
    }
    assert {"not_yet", "active", "retired", "compromised"} <= key_states
    assert (7, 131_080) in expected and memory.ledger.head().height == 13  # nothing was dropped


def test_every_backend_is_a_ledger_reader(every_backend: dict[str, Harness]) -> None:
    for chain in every_backend.values():
        assert isinstance(chain.ledger, LedgerReader)
