"""The stable codes of JSON-LD canonicalization errors, typed once.

They are raised by :mod:`vc_core.canon.rdfc` and :mod:`vc_core.canon.contexts` (and by the
edges that load a context file for them).
"""

from __future__ import annotations

from enum import StrEnum


class CanonCode(StrEnum):
    """Codes of documents that cannot be canonicalized offline (RDFC-1.0 over local contexts)."""

    # Contexts: only the bundled, local ones are ever loaded.
    CONTEXT_NOT_LOCAL = "CONTEXT_NOT_LOCAL"
    INLINE_CONTEXT = "INLINE_CONTEXT"
    MISSING_CONTEXT = "MISSING_CONTEXT"
    BAD_CONTEXT_FILE = "BAD_CONTEXT_FILE"
    # Expansion and the RDF dataset.
    INVALID_JSON_LD = "INVALID_JSON_LD"
    CONTROL_CHARACTER = "CONTROL_CHARACTER"
    DUPLICATE_QUAD = "DUPLICATE_QUAD"
