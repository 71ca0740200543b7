"""Handlers of the office-signed transactions: keys, anchors and status (DESIGN §3).

Each handler checks its rules (:mod:`vc_core.ledger.rules`) against the state and the
transaction, all at the transaction's ``time``, and returns a new state (``at``, when it takes
effect, equals ``time`` for an office transaction; a council ``key.compromised`` with ``expires``
is declared at the block time). They are called by
:func:`vc_core.ledger.fold.apply` after the envelope checks, never directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from vc_core.ledger import rules
from vc_core.ledger.bodies import (
    AnchorBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    StatusBody,
)
from vc_core.ledger.errors import LedgerRuleError, RuleCode
from vc_core.ledger.records import AnchorRecord, KeyRecord, StatusRecord
from vc_core.ledger.state import LedgerState, status_keys
from vc_core.ledger.tx import Transaction

Handler = Callable[[LedgerState, Transaction, datetime], LedgerState]
B = TypeVar("B")


def add_key(
    state: LedgerState, office: str, key: str, tx: Transaction, at: datetime
) -> LedgerState:
    """``state`` with ``key`` added to ``office``, active from ``at`` (when ``tx`` takes effect)."""
    record = KeyRecord(office=office, key=key, added_at=at, added_tx=tx.hash)
    ids = state.office_key_ids.get(office, ())
    return state.evolve(
        keys=state.keys.insert(key, record),
        office_key_ids=state.office_key_ids.insert(office, (*ids, key)),
    )


def _replace_key(state: LedgerState, record: KeyRecord) -> LedgerState:
    return state.evolve(keys=state.keys.insert(record.key, record))


def _key_add(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``key.add``: signed by a key of the office active now; the new key is unused.

    The new key may sign too: its signature over the same bytes is its proof of possession
    (the office commands always add it), so nobody registers a key they do not hold. It is not
    required, so chains written before this rule stay valid.
    """
    body = typed_body(tx, KeyAddBody)
    office = rules.office_of(state, tx)
    rules.check_office_known(state, office)
    rules.check_key_unused(state, body.key)
    current = [s for s in tx.signers if s != body.key]
    if not current:
        raise LedgerRuleError(
            "a new key is added by a key the office already holds",
            code=RuleCode.MISSING_SIGNATURE,
        )
    for signer in current:
        rules.office_key_state(state, office, signer, tx.time)
    return add_key(state, office, body.key, tx, at)


def _key_retire(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``key.retire``: an active key of the office stops being active at the tx time."""
    body = typed_body(tx, KeyRetireBody)
    office = rules.office_of(state, tx)
    rules.check_office_known(state, office)
    rules.office_signer(state, office, tx)
    record = rules.office_key_state(state, office, body.key, tx.time)
    return _replace_key(state, record.model_copy(update={"retired_at": tx.time}))


def _key_compromised(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``key.compromised(since=T)``: by the office (any active key, or the key itself) or by
    the council (M-of-N). An earlier ``since`` than one already declared wins.
    """
    body = typed_body(tx, KeyCompromisedBody)
    rules.check_office_chain(state, body.office)
    record = state.key(body.key)
    if record is None or record.office != body.office:
        raise LedgerRuleError(
            f"{body.key} is not a key of {body.office}", code=RuleCode.NOT_AN_OFFICE_KEY
        )
    if tx.author.startswith(rules.OFFICE_DID_PREFIX):
        if tx.author != body.office:
            raise LedgerRuleError(
                "an office declares only its own keys compromised", code=RuleCode.AUTHOR_MISMATCH
            )
        if tx.signers != (body.key,):
            rules.office_signer(state, body.office, tx)
    elif state.council is not None:
        rules.check_council_signatures(state.council.members, state.council.threshold, tx)
    since = body.since
    if record.compromised_since is not None:
        since = min(since, record.compromised_since)
    update = {
        "compromised_since": since,
        "compromise_declared_at": record.compromise_declared_at or at,
        "compromise_reason": body.reason,
    }
    return _replace_key(state, record.model_copy(update=update))


def _anchor(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``anchor``: an accredited office, inside its window, with a key active at the tx time,
    anchors a new batch; published leaves must build the root and be new chain-wide.
    """
    body = typed_body(tx, AnchorBody)
    office = rules.office_of(state, tx)
    rules.check_accredited_at(state, office, tx.time)
    signer = rules.office_signer(state, office, tx)
    rules.check_batch(state, office, body)
    # Every value comes from the parsed, validated transaction.
    record = AnchorRecord.trusted(
        office=office,
        batch_id=body.batch_id,
        batch_root=body.batch_root,
        leaf_count=body.leaf_count,
        time=tx.time,
        signer=signer.key,
        tx_hash=tx.hash,
        leaves_published=body.leaves is not None,
    )
    leaves = state.leaves
    if body.leaves is not None:
        root = body.batch_root
        leaves = leaves.update({leaf: (root, i) for i, leaf in enumerate(body.leaves)})
    return state.evolve(
        batches=state.batches.insert(body.batch_root, record),
        batch_ids=state.batch_ids.insert((office, body.batch_id), body.batch_root),
        leaves=leaves,
    )


def _status(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``status``: an event about one of the office's credentials, signed by an active key.

    A suspended or withdrawn office may still publish status events (it must be able to revoke).
    """
    body = typed_body(tx, StatusBody)
    office = rules.office_of(state, tx)
    rules.check_office_known(state, office)
    rules.office_signer(state, office, tx)
    rules.check_status_event(state, office, body, tx.time)
    record = StatusRecord.trusted(time=tx.time, tx_hash=tx.hash, event=body.event)
    statuses = state.statuses
    for key in status_keys(office, body.credential_id, body.status_index):
        statuses = statuses.insert(key, (*statuses.get(key, ()), record))
    return state.evolve(statuses=statuses)


def typed_body(tx: Transaction, model: type[B]) -> B:
    """``tx.body`` as ``model`` (the parser already tied each type to its body model)."""
    body = tx.body
    if not isinstance(body, model):
        # Unreachable for parsed transactions: Transaction ties each type to its body model.
        raise LedgerRuleError(
            f"a {tx.type} transaction with a {type(body).__name__} body",
            code=RuleCode.UNKNOWN_TRANSACTION_TYPE,
        )
    return body


OFFICE_HANDLERS: dict[str, Handler] = {
    "key.add": _key_add,
    "key.retire": _key_retire,
    "key.compromised": _key_compromised,
    "anchor": _anchor,
    "status": _status,
}
