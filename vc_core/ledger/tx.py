"""The transaction envelope: parse once, make the signed bytes in one place, sign, hash.

A transaction is ``{chain_id, type, author, seq, time, body, signatures}`` (DESIGN §3):

- ``author`` is an office DID (``did:ecert:<chain>:<office>``) or, for council transactions, the
  proposing council member's public Multikey (``z6Mk…``).
- ``seq`` is the author's sequence number: the first is 1 and each next one is exactly last + 1,
  so every transaction applies once only (replay protection).
- ``time`` is UTC; the ledger only accepts it within a window around the block time.
- ``expires`` (council transactions only, optional): the proposer's deadline. Members sign one
  at a time, for days if need be; the block that includes it must be no later than ``expires``,
  and the block time (not ``time``) is when the transaction takes effect.
- ``signatures`` are ``{signer, signature}`` pairs (``signature`` is multibase base64url, see
  :mod:`vc_core.ledger.sigs`), Ed25519 over :meth:`Transaction.signing_bytes`
  = RFC 8785 JCS of the envelope without ``signatures``. They are kept sorted by signer, so the
  order in which council members sign does not matter.

Hashes: :attr:`Transaction.hash` is the hex SHA-256 of the JCS of the whole signed transaction;
it is what blocks commit to (their ``tx_root``) and what ``submit`` returns. It is stable: the
model serializes one way only, Ed25519 signatures are deterministic, and signatures are sorted.
:attr:`Transaction.payload_hash` hashes only the signed bytes; replay protection itself rests on
``(author, seq)``, so the same payload with a different set of signatures is still applied once.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger.bodies import GenesisBody
    >>> k = KeyPair.generate()
    >>> body = GenesisBody(council=(k.public_multibase,), threshold=1, producer=k.public_multibase)
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> u = unsigned_tx(chain_id="demo", tx_type="genesis", author=k.public_multibase, seq=1,
    ...                 time=t, body=body)
    >>> tx = sign_tx(u, [k])
    >>> Transaction.from_json(tx.to_json()).hash == tx.hash
    True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, ProofError
from vc_core.jsonio import JsonCode
from vc_core.keys import KeyPair
from vc_core.ledger.base import LedgerModel
from vc_core.ledger.bodies import BODY_TYPES, TxBody, TxType
from vc_core.ledger.errors import LedgerFormCode, LedgerRuleError, RuleCode
from vc_core.ledger.fields import MAX_SAFE_INT, ChainId, Multikey, UtcTime
from vc_core.ledger.sigs import SIGNATURE_PATTERN, encode_signature, verify_signature

MAX_TX_BYTES = 64 * 1024 * 1024
_DUMP: dict[str, Any] = {"mode": "json", "by_alias": True, "exclude_none": True}


class TxSignature(LedgerModel):
    """One author signature: the signer's public Multikey and a multibase Ed25519 signature."""

    signer: Multikey
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class Transaction(LedgerModel):
    """A ledger transaction (DESIGN §3): :func:`unsigned_tx` builds one, :func:`sign_tx` signs."""

    chain_id: ChainId
    type: TxType
    author: str = Field(min_length=1, max_length=256)
    seq: int = Field(ge=1, le=MAX_SAFE_INT, strict=True)
    time: UtcTime
    expires: UtcTime | None = None
    body: TxBody
    signatures: tuple[TxSignature, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _typed_body(cls, data: Any) -> Any:
        """Parse ``body`` with the model its ``type`` selects (never by guessing)."""
        if not isinstance(data, dict):
            return data
        kind, body = data.get("type"), data.get("body")
        model = BODY_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            return data
        if isinstance(body, BaseModel):
            if not isinstance(body, model):
                raise ValueError(f"a {kind} transaction needs a {model.__name__} body")
            return data
        return {**data, "body": model.model_validate(body)}

    @field_validator("signatures")
    @classmethod
    def _sorted_signers(cls, value: tuple[TxSignature, ...]) -> tuple[TxSignature, ...]:
        ordered = tuple(sorted(value, key=lambda s: s.signer))
        if len({s.signer for s in ordered}) != len(ordered):
            raise ValueError("a signer appears twice")
        return ordered

    @classmethod
    def from_dict(cls, data: Any) -> Transaction:
        """The only way in from untrusted JSON values.

        Raises:
            LedgerRuleError: ``UNKNOWN_TRANSACTION_TYPE`` for a ``type`` this ledger does not know.
            MalformedError: anything else that does not fit the envelope or the typed body.
        """
        if not isinstance(data, dict):
            raise MalformedError(
                "a transaction is a JSON object", code=LedgerFormCode.MALFORMED_TRANSACTION
            )
        kind = data.get("type")
        if not isinstance(kind, str) or kind not in BODY_TYPES:
            raise LedgerRuleError(
                f"unknown transaction type {kind!r}",
                code=RuleCode.UNKNOWN_TRANSACTION_TYPE,
                field="type",
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            raise MalformedError(
                f"invalid {kind} transaction: {first['msg']}",
                code=LedgerFormCode.MALFORMED_TRANSACTION,
                field=where,
            ) from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Transaction:
        """Parse a transaction from JSON text (see :meth:`from_dict`)."""
        if len(text) > MAX_TX_BYTES:
            raise MalformedError("the transaction is too large", code=JsonCode.TOO_LARGE)
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError("a transaction must be JSON", code=JsonCode.NOT_JSON) from exc
        return cls.from_dict(data)

    @classmethod
    def from_stored(cls, data: bytes, stored_hash: str) -> Transaction:
        """Parse a transaction from the bytes a chain stores for it, and the hash stored beside.

        The model must give back exactly the JSON value the bytes hold (so times in their one
        form, signatures sorted, no ``null`` members), which makes the JCS of that value the
        transaction's canonical bytes. Whether the bytes ARE that JCS and hash to
        ``stored_hash`` is left to :func:`~vc_core.ledger.sigpool.preverified`, which checks it
        (in a worker, beside the signatures) before the fold sees the transaction.

        Raises:
            MalformedError: as :meth:`from_json`, or ``MALFORMED_TRANSACTION`` when the bytes
                hold another value than the model's own (its ``field`` is ``"stored"``).
        """
        try:
            value = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedError("a transaction must be JSON", code=JsonCode.NOT_JSON) from exc
        tx = cls.from_dict(value)
        # Python's == is JSON equality here: JSON types map one-to-one onto dict, list, str,
        # int, float, bool and None, and no ledger model has a bool or float field, nor a
        # lax int (tests/unit/vc_core/ledger/test_stored.py checks this), so True == 1 and
        # 1.0 == 1 cannot hide a difference.
        if tx._value != value:
            raise MalformedError(
                "the stored transaction is not in its one serialized form",
                code=LedgerFormCode.MALFORMED_TRANSACTION,
                field="stored",
            )
        tx.__dict__["_stored"] = (data, stored_hash)
        return tx

    def to_dict(self) -> dict[str, Any]:
        """The JSON value of the signed transaction (the one serialized form)."""
        return self.model_dump(**_DUMP)

    def to_json(self) -> str:
        """Canonical JSON text (RFC 8785) of the signed transaction."""
        return self.canonical_bytes.decode("utf-8")

    def payload(self) -> dict[str, Any]:
        """The JSON value that is signed: the envelope without ``signatures``."""
        return self.model_dump(exclude={"signatures"}, **_DUMP)

    @cached_property
    def _value(self) -> dict[str, Any]:
        # One dump for both byte strings below; never handed out, so never mutated.
        return self.model_dump(**_DUMP)

    @cached_property
    def signing_bytes(self) -> bytes:
        """JCS (RFC 8785) of :meth:`payload`: the bytes every signature covers."""
        return jcs({k: v for k, v in self._value.items() if k != "signatures"})

    @cached_property
    def canonical_bytes(self) -> bytes:
        """JCS (RFC 8785) of the whole signed transaction."""
        return jcs(self._value)

    @cached_property
    def _bad_signer(self) -> str | None:
        # Whether the signatures verify depends on this immutable object alone, so the answer
        # is kept: a transaction checked at submission is not checked again in its block.
        message = self.signing_bytes
        for s in self.signatures:
            try:
                verify_signature(s.signer, message, s.signature)
            except (MalformedError, ProofError):
                return s.signer
        return None

    @cached_property
    def hash(self) -> str:
        """Hex SHA-256 of :attr:`canonical_bytes`: the id blocks and receipts use."""
        return hashlib.sha256(self.canonical_bytes).hexdigest()

    @cached_property
    def payload_hash(self) -> str:
        """Hex SHA-256 of :attr:`signing_bytes` (the same for any set of signatures)."""
        return hashlib.sha256(self.signing_bytes).hexdigest()

    @property
    def signers(self) -> tuple[str, ...]:
        """The signers' Multikeys, sorted."""
        return tuple(s.signer for s in self.signatures)


def stored_claim(tx: Transaction) -> tuple[bytes, str] | None:
    """The stored bytes and hash ``tx`` was parsed from (:meth:`Transaction.from_stored`)."""
    claim: tuple[bytes, str] | None = tx.__dict__.get("_stored")
    return claim


def unsigned_tx(
    *,
    chain_id: str,
    tx_type: str,
    author: str,
    seq: int,
    time: datetime,
    body: TxBody,
    expires: datetime | None = None,
) -> Transaction:
    """A transaction with no signatures yet (sign it with :func:`sign_tx`).

    Raises:
        MalformedError: the fields do not make a valid transaction.
    """
    fields = {"chain_id": chain_id, "type": tx_type, "author": author, "seq": seq, "time": time}
    if expires is not None:
        fields["expires"] = expires
    try:
        return Transaction.model_validate({**fields, "body": body})
    except ValidationError as exc:
        raise MalformedError(
            f"invalid transaction: {exc.errors()[0]['msg']}",
            code=LedgerFormCode.MALFORMED_TRANSACTION,
        ) from exc


def add_signature(tx: Transaction, key: KeyPair) -> Transaction:
    """``tx`` with one more signature, by ``key`` (council members sign one at a time).

    A signature already present from the same key is replaced by the new one.
    """
    sig = TxSignature(
        signer=key.public_multibase,
        signature=encode_signature(key.sign(tx.signing_bytes)),
    )
    kept = tuple(s for s in tx.signatures if s.signer != sig.signer)
    return tx.model_copy(update={"signatures": (*kept, sig)})


def sign_tx(unsigned: Transaction, keys: Iterable[KeyPair]) -> Transaction:
    """``unsigned`` signed by each of ``keys`` (any signatures it had are kept)."""
    tx = unsigned
    for key in keys:
        tx = add_signature(tx, key)
    return tx


def verify_signatures(tx: Transaction) -> None:
    """Check every signature on ``tx`` over its signing bytes.

    Raises:
        LedgerRuleError: ``MISSING_SIGNATURE`` when there is none, ``BAD_SIGNATURE`` when any
            one does not verify.
    """
    if not tx.signatures:
        raise LedgerRuleError("the transaction is not signed", code=RuleCode.MISSING_SIGNATURE)
    signer = tx._bad_signer
    if signer is not None:
        raise LedgerRuleError(
            f"the signature by {signer} does not verify",
            code=RuleCode.BAD_SIGNATURE,
            field="signatures",
            details={"signer": signer},
        )
