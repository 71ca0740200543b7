"""Shared fixtures. Fixtures return factories, so tests say what they load."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def _conformance_dir() -> Path | None:
    env = os.environ.get("ECERT_CONFORMANCE_DIR")
    candidates = [Path(env)] if env else [REPO.parent / "shared" / "conformance"]
    for c in candidates:
        if (c / "eddsa-rdfc-2022").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """The W3C vectors folder; skips (or fails, under ECERT_REQUIRE_CONFORMANCE=1) without it."""
    found = _conformance_dir()
    if found is None:
        reason = (
            "W3C conformance vectors not found at ../shared/conformance "
            "(set ECERT_CONFORMANCE_DIR to their folder)"
        )
        if os.environ.get("ECERT_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(reason + "; CI requires them")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def vector(conformance_dir: Path) -> Callable[[str], Any]:
    """``vector("eddsa-jcs-2022/unsigned.json")`` → parsed JSON, ``.txt`` → exact text."""

    def load(name: str) -> Any:
        path = conformance_dir / name
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix in (".json", ".jsonld") else text

    return load
