"""JSON-LD contexts served from local copies only. Verification never fetches a URL.

The default set is pyld's frozen bundle (W3C credentials v2, DID v1, security v1/v2, …) plus the
project's own context from the ``schemas`` package. Callers that need more (the W3C test vectors
use ``credentials/examples/v2``) pass extra files explicitly with :meth:`LocalContexts.with_files`.

Example:
    >>> ctx = default_contexts()
    >>> "https://www.w3.org/ns/credentials/v2" in ctx
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pyld.context_resolver import ContextResolver
from pyld.documentloader.frozen import BUNDLED_CONTEXTS
from pyld.jsonld import JsonLdError
from pyld.resolved_context import ResolvedContext  # noqa: F401  (re-exported type for mypy users)

from vc_core.canon.codes import CanonCode
from vc_core.errors import MalformedError

ECERT_CONTEXT_URL = "https://ecert.example/credentials/v1"
CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"
_ECERT_CONTEXT_FILE = "context.jsonld"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MalformedError(
            f"cannot read context file {path}: {exc}", code=CanonCode.BAD_CONTEXT_FILE
        ) from exc
    if not isinstance(data, dict) or "@context" not in data:
        raise MalformedError(
            f"{path} is not a JSON-LD context document", code=CanonCode.BAD_CONTEXT_FILE
        )
    return data


class LocalContexts:
    """An immutable allowlist of context URL → parsed document, and a pyld loader over it."""

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self._documents: dict[str, dict[str, Any]] = dict(documents)
        # A private resolved-context cache, so two allowlists never share pyld's global cache.
        self._resolver_cache: Any = _new_cache()

    def __contains__(self, url: object) -> bool:
        return url in self._documents

    def urls(self) -> list[str]:
        return sorted(self._documents)

    def document(self, url: str) -> dict[str, Any]:
        """The parsed context document for ``url``, or an error naming the URL."""
        try:
            return self._documents[url]
        except KeyError:
            raise MalformedError(
                f"context {url!r} is not available locally; ecert never fetches contexts",
                code=CanonCode.CONTEXT_NOT_LOCAL,
                field="@context",
            ) from None

    def with_documents(self, extra: Mapping[str, dict[str, Any]]) -> LocalContexts:
        return LocalContexts({**self._documents, **extra})

    def with_files(self, extra: Mapping[str, Path]) -> LocalContexts:
        """A new allowlist with ``url → file`` entries added (files are read now)."""
        return self.with_documents({url: _read_json(path) for url, path in extra.items()})

    def loader(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """pyld document loader: serve the local copy or refuse. Never touches the network."""
        if url not in self._documents:
            raise JsonLdError(
                "Refusing to load a context that is not available locally.",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self._documents[url],
        }

    def pyld_options(self) -> dict[str, Any]:
        """Options for pyld calls: this loader, a private context cache, base IRI null."""
        return {
            "documentLoader": self.loader,
            "contextResolver": ContextResolver(self._resolver_cache, self.loader),
            "base": None,
            "processingMode": "json-ld-1.1",
        }


def _new_cache() -> Any:
    from cachetools import LRUCache  # pyld's own dependency, used for its context cache

    return LRUCache(maxsize=64)


def ecert_context_document() -> dict[str, Any]:
    """The project's own JSON-LD context, shipped in the ``schemas`` package."""
    text = resources.files("schemas").joinpath(_ECERT_CONTEXT_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def default_contexts() -> LocalContexts:
    """pyld's frozen bundle plus the ecert context."""
    docs = {
        url: json.loads(path.read_text(encoding="utf-8")) for url, path in BUNDLED_CONTEXTS.items()
    }
    docs[ECERT_CONTEXT_URL] = ecert_context_document()
    return LocalContexts(docs)
