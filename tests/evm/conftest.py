"""Fixtures of the EVM backend's tests: the session's one anvil (see ``anvil.py``)."""

from __future__ import annotations

from tests.evm.anvil import anvil

__all__ = ["anvil"]
