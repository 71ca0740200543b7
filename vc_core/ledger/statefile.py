"""A :class:`~vc_core.ledger.state.LedgerState` as bytes, and back (for a replica's fast open).

:func:`encode_state` gives two values: ``meta``, canonical JSON of every field but the leaf
index (records as their pydantic JSON form), and ``leaves``, the leaf index as one
:class:`~vc_core.ledger.leafindex.FrozenLeaves` record string, whose batch roots ``meta`` lists.
:func:`decode_state` rebuilds an equal state; reading ``leaves`` costs no per-leaf work.

The bytes are not a proof of anything: whoever stores them must authenticate them and bind
them to the blocks they were folded from (see :mod:`vc_core.replica.reopen`). Decoding
validates every record again, so a codec fault cannot produce a state that breaks a type.

Example:
    >>> s = LedgerState.empty("demo")
    >>> decode_state(*encode_state(s)) == s
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from rpds import HashTrieMap

from vc_core.errors import MalformedError
from vc_core.ledger.errors import LedgerFormCode
from vc_core.ledger.leafindex import FrozenLeaves, LeafIndex
from vc_core.ledger.records import (
    AccreditationEntry,
    AnchorRecord,
    ChainHead,
    Council,
    KeyRecord,
    StatusRecord,
)
from vc_core.ledger.state import LedgerState

FORMAT = "ecert-ledger-state/1"
_FIELDS = {
    "chain_id",
    "council",
    "head",
    "genesis_hash",
    "tx_count",
    "seqs",
    "offices",
    "keys",
    "office_key_ids",
    "batches",
    "batch_ids",
    "leaves",
    "statuses",
}
if {f.name for f in fields(LedgerState)} != _FIELDS:
    # A new LedgerState field must be encoded here too, or a restored state would lose it.
    raise RuntimeError("vc_core.ledger.statefile does not encode every LedgerState field")

M = TypeVar("M", bound=BaseModel)


def _dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def encode_state(state: LedgerState) -> tuple[bytes, bytes]:
    """``(meta, leaves)``: the state's bytes (deterministic for equal states with one history)."""
    frozen = state.leaves.frozen()
    meta = {
        "format": FORMAT,
        "chain_id": state.chain_id,
        "council": None if state.council is None else _dump(state.council),
        "head": None if state.head is None else _dump(state.head),
        "genesis_hash": state.genesis_hash,
        "tx_count": state.tx_count,
        "seqs": dict(state.seqs.items()),
        "offices": {k: [_dump(e) for e in v] for k, v in state.offices.items()},
        "keys": {k: _dump(v) for k, v in state.keys.items()},
        "office_key_ids": {k: list(v) for k, v in state.office_key_ids.items()},
        "batches": {k: _dump(v) for k, v in state.batches.items()},
        "batch_ids": [
            [office, batch_id, root] for (office, batch_id), root in state.batch_ids.items()
        ],
        "statuses": [[o, k, [_dump(r) for r in v]] for (o, k), v in state.statuses.items()],
        "leaf_roots": list(frozen.roots),
    }
    text = json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8"), frozen.records


def decode_state(meta: bytes, leaves: bytes) -> LedgerState:
    """The state :func:`encode_state` gave these bytes for.

    Raises:
        MalformedError: the bytes are not an encoded state (``INVALID_STATE``).
    """
    try:
        data = json.loads(meta)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} value")
        return _state(data, leaves)
    except (ValueError, TypeError, KeyError, ValidationError) as exc:
        raise MalformedError(
            f"the stored state does not decode: {exc}", code=LedgerFormCode.INVALID_STATE
        ) from exc


def _state(data: dict[str, Any], leaves: bytes) -> LedgerState:
    def records(model: type[M], values: Iterable[Any]) -> tuple[M, ...]:
        return tuple(model.model_validate(v) for v in values)

    def trie(
        items: Iterable[tuple[Any, Any]], value: Callable[[Any], Any]
    ) -> HashTrieMap[Any, Any]:
        return HashTrieMap({k: value(v) for k, v in items})

    council, head = data["council"], data["head"]
    return LedgerState(
        chain_id=str(data["chain_id"]),
        council=None if council is None else Council.model_validate(council),
        head=None if head is None else ChainHead.model_validate(head),
        genesis_hash=data["genesis_hash"],
        tx_count=int(data["tx_count"]),
        seqs=trie(data["seqs"].items(), int),
        offices=trie(data["offices"].items(), lambda v: records(AccreditationEntry, v)),
        keys=trie(data["keys"].items(), KeyRecord.model_validate),
        office_key_ids=trie(data["office_key_ids"].items(), lambda v: tuple(map(str, v))),
        batches=trie(data["batches"].items(), AnchorRecord.model_validate),
        batch_ids=trie((((o, b), r) for o, b, r in data["batch_ids"]), str),
        leaves=LeafIndex(FrozenLeaves(leaves, tuple(map(str, data["leaf_roots"])))),
        statuses=trie(
            (((o, k), v) for o, k, v in data["statuses"]), lambda v: records(StatusRecord, v)
        ),
    )
