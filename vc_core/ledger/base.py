"""The base of the ledger's wire models: frozen, no extra fields, and copies that re-validate.

Transactions and block headers keep their canonical bytes and hashes in ``cached_property``
slots. pydantic's stock ``model_copy`` copies those caches along with the fields, so a copy with
``update=`` would report the ORIGINAL hash. Here ``model_copy`` rebuilds the model from its
fields instead: validators run again and no cache survives.

Example:
    >>> class Point(LedgerModel):
    ...     x: int
    >>> Point(x=1).model_copy(update={"x": 2}).x
    2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class LedgerModel(BaseModel):
    """Frozen, ``extra="forbid"``, with a re-validating :meth:`model_copy`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A new, validated model with ``update`` applied (``deep`` is moot: models are frozen)."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update or {})
        return type(self).model_validate(data)
