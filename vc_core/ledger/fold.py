"""The fold: ``apply(state, tx, now) -> LedgerState``, a pure function (DESIGN §2, §3).

Applying a transaction runs, in order: (1) the chain id; (2) the time window around ``now``;
(3) genesis first, exactly once; (4) the author's sequence number; (5) every signature; (6) the
type's own rules (:mod:`vc_core.ledger.rules`); then (7) returns a new state. Any failure raises
:class:`~vc_core.ledger.errors.LedgerRuleError` before anything is built, so a transaction is
applied whole or not at all, and the input state is never changed.

``now`` is read by one rule only, :func:`~vc_core.ledger.rules.check_time`; every other rule
judges at the transaction's own ``time``. So a state folded when a transaction was submitted is
the state the block will produce, provided each transaction still passes ``check_time`` at the
block time (the registry relies on this to fold once). The one exception is a council
transaction with ``expires``: it takes effect at the block time
(:func:`~vc_core.ledger.rules.effective_time`), so a block holding one is folded again at its
time.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.builders import genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2024, 1, 1, tzinfo=UTC)
    >>> s = apply(LedgerState.empty("demo"), genesis_tx("demo", [k], 1, k.public, t), t)
    >>> s.council.threshold
    1
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vc_core.ledger import rules
from vc_core.ledger.bodies import (
    AccreditBody,
    CouncilUpdateBody,
    GenesisBody,
    IssuerSuspendBody,
    IssuerWithdrawBody,
)
from vc_core.ledger.errors import LedgerRuleError, RuleCode
from vc_core.ledger.office_fold import OFFICE_HANDLERS, add_key, typed_body
from vc_core.ledger.records import AccreditationEntry, Council
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.state import LedgerState
from vc_core.ledger.tx import Transaction, verify_signatures

Handler = Callable[[LedgerState, Transaction, datetime], LedgerState]


def apply(
    state: LedgerState, tx: Transaction, now: datetime, params: LedgerParams = DEFAULT_PARAMS
) -> LedgerState:
    """The state after ``tx``, checked against every rule at time ``now`` (the block time).

    Raises:
        LedgerRuleError: the first rule ``tx`` breaks; ``state`` is unchanged.
    """
    rules.check_chain_id(state, tx)
    rules.check_time(tx, now, params)
    if tx.type == "genesis":
        if state.council is not None:
            raise LedgerRuleError(
                "this chain already has its genesis", code=RuleCode.GENESIS_ALREADY_APPLIED
            )
    elif state.council is None:
        raise LedgerRuleError(
            "the first transaction must be genesis", code=RuleCode.GENESIS_REQUIRED
        )
    rules.check_sequence(state, tx)
    verify_signatures(tx)
    new = HANDLERS[tx.type](state, tx, rules.effective_time(tx, now))
    return new.evolve(seqs=new.seqs.insert(tx.author, tx.seq), tx_count=new.tx_count + 1)


def _council(state: LedgerState) -> Council:
    if state.council is None:
        raise LedgerRuleError(
            "the first transaction must be genesis", code=RuleCode.GENESIS_REQUIRED
        )
    return state.council


def _check_council(state: LedgerState, tx: Transaction) -> Council:
    council = _council(state)
    rules.check_council_signatures(council.members, council.threshold, tx)
    return council


def _genesis(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``genesis``: the first council must itself sign (M of its N)."""
    body = typed_body(tx, GenesisBody)
    rules.check_council_shape(body.council, body.threshold)
    rules.check_council_signatures(body.council, body.threshold, tx)
    council = Council(
        members=body.council,
        threshold=body.threshold,
        producer=body.producer,
        changed_at=at,
        tx_hash=tx.hash,
    )
    return state.evolve(council=council)


def _council_update(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``council.update``: M-of-N of the CURRENT council; removed members no longer count."""
    body = typed_body(tx, CouncilUpdateBody)
    current = _check_council(state, tx)
    rules.check_council_shape(body.council, body.threshold)
    council = Council(
        members=body.council,
        threshold=body.threshold,
        producer=body.producer or current.producer,
        changed_at=at,
        tx_hash=tx.hash,
    )
    return state.evolve(council=council)


def _accredit(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``issuer.accredit``: new terms for an office; its first key comes with the first one."""
    body = typed_body(tx, AccreditBody)
    _check_council(state, tx)
    rules.check_office_chain(state, body.office)
    first = not state.accreditation_history(body.office)
    if first and body.initial_key is None:
        raise LedgerRuleError(
            "the first accreditation of an office carries its first key",
            code=RuleCode.INITIAL_KEY_REQUIRED,
        )
    entry = AccreditationEntry(kind="accredit", time=at, tx_hash=tx.hash, terms=body)
    new = _append_entry(state, body.office, entry)
    if body.initial_key is not None:
        rules.check_key_unused(state, body.initial_key)
        new = add_key(new, body.office, body.initial_key, tx, at)
    return new


def _suspend_or_withdraw(state: LedgerState, tx: Transaction, at: datetime) -> LedgerState:
    """``issuer.suspend`` / ``issuer.withdraw``: only an office accredited (not withdrawn) now."""
    body: IssuerSuspendBody | IssuerWithdrawBody
    if tx.type == "issuer.suspend":
        body = typed_body(tx, IssuerSuspendBody)
    else:
        body = typed_body(tx, IssuerWithdrawBody)
    _check_council(state, tx)
    rules.check_office_chain(state, body.office)
    current = state.accreditation(body.office, at)
    if current is None or current.state == "withdrawn":
        raise LedgerRuleError(
            f"{body.office} is not accredited", code=RuleCode.ISSUER_NOT_ACCREDITED
        )
    kind = "suspend" if isinstance(body, IssuerSuspendBody) else "withdraw"
    entry = AccreditationEntry(kind=kind, time=at, tx_hash=tx.hash, reason=body.reason)
    return _append_entry(state, body.office, entry)


def _append_entry(state: LedgerState, office: str, entry: AccreditationEntry) -> LedgerState:
    history = state.offices.get(office, ())
    return state.evolve(offices=state.offices.insert(office, (*history, entry)))


HANDLERS: dict[str, Handler] = {
    "genesis": _genesis,
    "council.update": _council_update,
    "issuer.accredit": _accredit,
    "issuer.suspend": _suspend_or_withdraw,
    "issuer.withdraw": _suspend_or_withdraw,
    **OFFICE_HANDLERS,
}
"""Transaction type → its handler (rules, then the new state)."""
