"""The ledger's rules as small pure functions; each raises one :class:`LedgerRuleError`.

Every function takes the state (and the transaction, and a time where it matters) and either
returns what it found or raises with a stable :class:`~vc_core.ledger.errors.RuleCode` naming the
rule (DESIGN §3). :func:`vc_core.ledger.fold.apply` calls them in order; nothing here changes
state.

Example:
    >>> check_council_shape(("z6Mk…a", "z6Mk…b"), 3)
    Traceback (most recent call last):
    ...
    vc_core.ledger.errors.LedgerRuleError: a threshold of 3 needs at least 3 members, not 2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vc_core.ledger.bodies import (
    AnchorBody,
    EncumbranceAddEvent,
    EncumbranceReleaseEvent,
    ReinstateEvent,
    StatusBody,
    SupersedeEvent,
    SuspendEvent,
)
from vc_core.ledger.errors import LedgerRuleError, RuleCode
from vc_core.ledger.records import KeyRecord, StatusRecord
from vc_core.ledger.state import LedgerState
from vc_core.ledger.tx import Transaction
from vc_core.transparency.merkle import MerkleTree

OFFICE_DID_PREFIX = "did:ecert:"


@dataclass(frozen=True, slots=True)
class LedgerParams:
    """Tunable bounds of the rules; every node of a chain must use the same ones.

    Attributes:
        max_future_skew: a transaction's ``time`` may be at most this far after ``now``.
        max_age: …and at most this far before ``now``. This bounds backdating: an anchor signed
            with a stolen key cannot claim a time long before the compromise was declared.
        max_proposal_life: the longest ``expires - time`` a council transaction may carry
            (members sign over days, so ``max_age`` does not bind a transaction with
            ``expires``; its effect is dated at the block time instead, so nothing is backdated).
    """

    max_future_skew: timedelta = timedelta(minutes=2)
    max_age: timedelta = timedelta(minutes=15)
    max_proposal_life: timedelta = timedelta(days=30)


DEFAULT_PARAMS = LedgerParams()


def _err(code: RuleCode, message: str, **details: object) -> LedgerRuleError:
    return LedgerRuleError(message, code=code, details=dict(details) if details else None)


def check_chain_id(state: LedgerState, tx: Transaction) -> None:
    """``WRONG_CHAIN_ID``: the transaction was made for another chain."""
    if tx.chain_id != state.chain_id:
        raise _err(
            RuleCode.WRONG_CHAIN_ID,
            f"the transaction is for chain {tx.chain_id!r}, this is {state.chain_id!r}",
        )


def check_time(tx: Transaction, now: datetime, params: LedgerParams = DEFAULT_PARAMS) -> None:
    """``TIME_IN_FUTURE`` / ``TIME_TOO_OLD``: ``time`` must lie near ``now`` (the block time).

    A council transaction with ``expires`` instead needs ``time ≤ now ≤ expires`` (up to the
    skew) — ``INVALID_EXPIRY`` when an office carries one, or ``expires`` is not after ``time``
    or more than ``max_proposal_life`` after it; ``PROPOSAL_EXPIRED`` once ``now`` is past it.
    """
    if tx.time > now + params.max_future_skew:
        raise _err(RuleCode.TIME_IN_FUTURE, f"the transaction time {tx.time} is after {now}")
    if tx.expires is not None:
        check_expiry(tx, now, params)
        return
    if tx.time < now - params.max_age:
        raise _err(
            RuleCode.TIME_TOO_OLD, f"the transaction time {tx.time} is too long before {now}"
        )


def check_expiry(tx: Transaction, now: datetime, params: LedgerParams = DEFAULT_PARAMS) -> None:
    """The proposer's deadline of a council transaction (see :func:`check_time`)."""
    expires = tx.expires
    if expires is None:
        return
    if tx.author.startswith(OFFICE_DID_PREFIX) or tx.type == "genesis":
        raise _err(RuleCode.INVALID_EXPIRY, "only a council transaction carries an expiry")
    if not tx.time < expires <= tx.time + params.max_proposal_life:
        raise _err(
            RuleCode.INVALID_EXPIRY,
            f"expires {expires} must be after time {tx.time} and within "
            f"{params.max_proposal_life.days} days of it",
        )
    if now > expires:
        raise _err(RuleCode.PROPOSAL_EXPIRED, f"the proposal expired at {expires}, before {now}")


def effective_time(tx: Transaction, now: datetime) -> datetime:
    """When ``tx`` takes effect: its ``time``, or the block time ``now`` for a council
    transaction with ``expires`` (signed over days, it must not act in the past)."""
    return tx.time if tx.expires is None else now


def check_sequence(state: LedgerState, tx: Transaction) -> None:
    """``REPLAYED_TRANSACTION`` for a used ``seq``; ``BAD_SEQUENCE`` for one that skips ahead."""
    expected = state.next_seq(tx.author)
    if tx.seq < expected:
        raise _err(
            RuleCode.REPLAYED_TRANSACTION,
            f"seq {tx.seq} of {tx.author} was already applied (next is {expected})",
            expected=expected,
        )
    if tx.seq > expected:
        raise _err(
            RuleCode.BAD_SEQUENCE, f"seq must be {expected}, not {tx.seq}", expected=expected
        )


def check_council_shape(members: Sequence[str], threshold: int) -> None:
    """``INVALID_COUNCIL``: distinct members and ``1 ≤ M ≤ N``."""
    if len(set(members)) != len(members):
        raise _err(RuleCode.INVALID_COUNCIL, "a council member is listed twice")
    if not 1 <= threshold <= len(members):
        raise _err(
            RuleCode.INVALID_COUNCIL,
            f"a threshold of {threshold} needs at least {threshold} members, not {len(members)}",
        )


def check_council_signatures(members: Sequence[str], threshold: int, tx: Transaction) -> None:
    """M-of-N: the author and every signer are members, and at least M distinct members signed.

    Raises:
        LedgerRuleError: ``NOT_A_COUNCIL_MEMBER`` or ``INSUFFICIENT_COUNCIL_SIGNATURES``.
    """
    allowed = set(members)
    if tx.author not in allowed:
        raise _err(RuleCode.NOT_A_COUNCIL_MEMBER, f"the author {tx.author} is not on the council")
    strangers = [s for s in tx.signers if s not in allowed]
    if strangers:
        raise _err(
            RuleCode.NOT_A_COUNCIL_MEMBER,
            f"{strangers[0]} signed but is not on the council",
            signer=strangers[0],
        )
    if tx.author not in tx.signers or len(tx.signers) < threshold:
        raise _err(
            RuleCode.INSUFFICIENT_COUNCIL_SIGNATURES,
            f"{len(tx.signers)} council signatures (author included: {tx.author in tx.signers}); "
            f"{threshold} needed",
            have=len(tx.signers),
            need=threshold,
        )


def office_of(state: LedgerState, tx: Transaction) -> str:
    """The author office DID of an office-signed transaction, checked to be of this chain.

    Raises:
        LedgerRuleError: ``AUTHOR_MISMATCH`` (not an office DID) or ``WRONG_CHAIN_ID``.
    """
    if not tx.author.startswith(OFFICE_DID_PREFIX) or tx.author.count(":") != 3:
        raise _err(RuleCode.AUTHOR_MISMATCH, f"a {tx.type} is authored by an office DID")
    check_office_chain(state, tx.author)
    return tx.author


def check_office_chain(state: LedgerState, office: str) -> None:
    """``WRONG_CHAIN_ID``: ``did:ecert:<chain>:<office>`` must name this chain."""
    if office.split(":")[2] != state.chain_id:
        raise _err(RuleCode.WRONG_CHAIN_ID, f"{office} is not an office of {state.chain_id}")


def check_office_known(state: LedgerState, office: str) -> None:
    """``ISSUER_NOT_ACCREDITED``: the office was never accredited on this chain."""
    if not state.accreditation_history(office):
        raise _err(RuleCode.ISSUER_NOT_ACCREDITED, f"{office} was never accredited")


def check_accredited_at(state: LedgerState, office: str, at: datetime) -> None:
    """The office may issue at ``at``: accredited, not suspended or withdrawn, inside its window.

    (:meth:`LedgerState.accreditation` judged from its parts: this runs once per anchor.)

    Raises:
        LedgerRuleError: ``ISSUER_NOT_ACCREDITED``, ``ISSUER_SUSPENDED`` or
            ``OUTSIDE_ACCREDITATION_WINDOW``.
    """
    found = state.accreditation_entries(office, at)
    if found is None or found[1].kind == "withdraw":
        raise _err(RuleCode.ISSUER_NOT_ACCREDITED, f"{office} is not accredited at {at}")
    entry, last = found
    if last.kind == "suspend":
        raise _err(RuleCode.ISSUER_SUSPENDED, f"{office} is suspended: {last.reason}")
    terms = entry.terms
    assert terms is not None  # accreditation_entries returns accreditations only
    until = terms.valid_until
    if not (terms.valid_from <= at and (until is None or at < until)):
        raise _err(
            RuleCode.OUTSIDE_ACCREDITATION_WINDOW,
            f"{at} is outside {office}'s accreditation window",
        )


def office_key_state(state: LedgerState, office: str, key: str, at: datetime) -> KeyRecord:
    """The record of ``key``, which must be an active key of ``office`` at ``at``.

    Raises:
        LedgerRuleError: ``NOT_AN_OFFICE_KEY``, ``KEY_COMPROMISED`` (at or after its ``since``)
            or ``KEY_NOT_ACTIVE`` (not yet added, or retired).
    """
    record = state.key(key)
    if record is None or record.office != office:
        raise _err(RuleCode.NOT_AN_OFFICE_KEY, f"{key} is not a key of {office}", key=key)
    key_state = record.state_at(at)
    if key_state == "compromised":
        raise _err(
            RuleCode.KEY_COMPROMISED,
            f"{key} is compromised since {record.compromised_since}",
            key=key,
        )
    if key_state != "active":
        raise _err(RuleCode.KEY_NOT_ACTIVE, f"{key} is {key_state} at {at}", key=key)
    return record


def office_signer(state: LedgerState, office: str, tx: Transaction) -> KeyRecord:
    """The office key that signed ``tx``: every signer must be a key of ``office`` active at the
    transaction's time (signatures themselves are checked by ``verify_signatures``).
    """
    records = [office_key_state(state, office, signer, tx.time) for signer in tx.signers]
    if not records:
        raise _err(RuleCode.MISSING_SIGNATURE, "the transaction is not signed")
    return records[0]


def check_key_unused(state: LedgerState, key: str) -> None:
    """``KEY_IN_USE``: a key belongs to one office, once (retired keys are not reused)."""
    if state.key(key) is not None:
        raise _err(RuleCode.KEY_IN_USE, f"{key} is already registered", key=key)


def check_batch(state: LedgerState, office: str, body: AnchorBody) -> None:
    """An anchored batch is new, and its published leaves (if any) build its root.

    Raises:
        LedgerRuleError: ``BATCH_ALREADY_ANCHORED`` (same root anywhere, or same batch id for the
            office), ``LEAF_COUNT_MISMATCH``, ``BATCH_ROOT_MISMATCH`` (RFC 6962 root of the
            leaves differs) or ``LEAF_ALREADY_ANCHORED`` (a digest is already on chain, or twice
            in this batch).
    """
    if body.batch_root in state.batches or (office, body.batch_id) in state.batch_ids:
        raise _err(
            RuleCode.BATCH_ALREADY_ANCHORED,
            f"batch {body.batch_id} ({body.batch_root}) is already anchored",
        )
    if body.leaves is None:
        return
    if len(body.leaves) != body.leaf_count:
        raise _err(
            RuleCode.LEAF_COUNT_MISMATCH,
            f"{len(body.leaves)} leaves published, leaf_count says {body.leaf_count}",
        )
    computed = MerkleTree([bytes.fromhex(leaf) for leaf in body.leaves]).root.hex()
    if computed != body.batch_root:
        raise _err(
            RuleCode.BATCH_ROOT_MISMATCH,
            f"the leaves build root {computed}, not {body.batch_root}",
            computed=computed,
        )
    if len(set(body.leaves)) != len(body.leaves):
        raise _err(RuleCode.LEAF_ALREADY_ANCHORED, "a leaf appears twice in the batch")
    known = state.leaves
    for leaf in body.leaves:
        if leaf in known:
            raise _err(
                RuleCode.LEAF_ALREADY_ANCHORED, f"leaf {leaf} is already anchored", leaf=leaf
            )


def check_status_event(state: LedgerState, office: str, body: StatusBody, at: datetime) -> None:
    """An event may follow the credential's history so far.

    Raises:
        LedgerRuleError: ``CREDENTIAL_REVOKED`` (revocation is final; only releasing an
            encumbrance may follow), ``CREDENTIAL_SUPERSEDED`` (a second successor),
            ``NOT_SUSPENDED`` (reinstating what is not suspended at ``at``),
            ``DUPLICATE_ENCUMBRANCE`` or ``UNKNOWN_ENCUMBRANCE``.
    """
    event = body.event
    status = state.credential_status(
        office, credential_id=body.credential_id, status_index=body.status_index, as_of=at
    )
    if status.revoked and not isinstance(event, EncumbranceReleaseEvent):
        raise _err(
            RuleCode.CREDENTIAL_REVOKED, f"the credential was revoked: {status.revocation_reason}"
        )
    if isinstance(event, SupersedeEvent) and status.superseded_by is not None:
        raise _err(RuleCode.CREDENTIAL_SUPERSEDED, f"already superseded by {status.superseded_by}")
    if isinstance(event, ReinstateEvent) and not _suspension_pending(status.history, at):
        raise _err(RuleCode.NOT_SUSPENDED, "the credential is not suspended")
    held = {e.encumbrance_id for e in status.encumbrances}
    if isinstance(event, EncumbranceAddEvent) and event.encumbrance_id in held:
        raise _err(RuleCode.DUPLICATE_ENCUMBRANCE, f"encumbrance {event.encumbrance_id} exists")
    if isinstance(event, EncumbranceReleaseEvent) and event.encumbrance_id not in held:
        raise _err(RuleCode.UNKNOWN_ENCUMBRANCE, f"no encumbrance {event.encumbrance_id}")


def _suspension_pending(history: Sequence[StatusRecord], at: datetime) -> bool:
    """Whether the last suspend/reinstate is a suspend still in force or yet to start at ``at``."""
    for record in reversed(history):
        event = record.event
        if isinstance(event, ReinstateEvent):
            return False
        if isinstance(event, SuspendEvent):
            return event.until is None or at < event.until
    return False
