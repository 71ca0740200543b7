"""Fixtures for the canonicalization tests: the W3C contexts, read from the conformance folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from vc_core.canon import LocalContexts, default_contexts

Canonicalizer = Callable[[Mapping[str, Any], LocalContexts], str]
Observe = Callable[[Canonicalizer, Any], tuple[Any, ...]]

CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://w3id.org/citizenship/v4rc1": "citizenship-v4rc1.jsonld",
}


@pytest.fixture(scope="session")
def w3c_contexts(conformance_dir: Path) -> LocalContexts:
    """The default allowlist plus the three contexts the W3C vectors need (W3C copies)."""
    return default_contexts().with_files(
        {url: conformance_dir / "contexts" / name for url, name in CONTEXT_FILES.items()}
    )


@pytest.fixture(scope="session")
def observe(w3c_contexts: LocalContexts) -> Observe:
    """What a caller can observe of one canonicalization: the N-Quads, or the error's details.

    Any exception counts, not only ``VCError``: the fast path must not change which exception a
    malformed document raises, whatever it is.
    """

    def run(canonicalize: Canonicalizer, doc: Any) -> tuple[Any, ...]:
        try:
            return ("ok", canonicalize(doc, w3c_contexts))
        except Exception as exc:
            return ("raised", type(exc).__name__, getattr(exc, "code", None), str(exc))

    return run
