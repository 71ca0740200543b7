"""Compiled JSON-LD contexts for the fast RDFC path: pyld's own context processing, done once.

The fast path does not reimplement the Context Processing Algorithm (JSON-LD 1.1 Processing
Algorithms and API, "API", §4.1.2) or IRI Expansion (API §5.2.2). It asks pyld, the reference,
to do both, and remembers the answers. pyld's processed active contexts are frozen (immutable),
so a processed context can be shared by every later call that starts from the same contexts:

- the active context for a document's top-level ``@context`` URL list;
- each property-scoped and type-scoped context applied on top of a given active context
  (API §5.1.2 steps 8 and 11, and step 13.4 for the values of scoped terms);
- each term, compact IRI or identifier expanded against a given active context (§5.2.2).

Every cache is bounded, so hostile input cannot grow memory without limit: a per-context cache
that fills up is emptied and refilled (so junk cannot crowd out the real terms for good), long
strings are never stored, and a compiler that has compiled too many scoped contexts is dropped
and started afresh after declining the document at hand (:class:`Unsupported`, so the caller
falls back to the reference). Nothing here fetches a URL: contexts come from the
:class:`~vc_core.canon.contexts.LocalContexts` loader, which refuses anything not held locally.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError

from vc_core.canon.contexts import LocalContexts

# Bounds on what one LocalContexts may accumulate. The ecert and W3C contexts need a few dozen
# compiled contexts and a few hundred expanded terms; the bounds leave ample room for that.
MAX_COMPILED_CONTEXTS = 512
MAX_CACHED_PER_CONTEXT = 1024
MAX_CACHED_LENGTH = 256
MAX_SHAPE_KEYS = 64

# Sentinel for "not cached", since None is a meaningful answer of IRI Expansion (API §5.2.2
# returns null for a term explicitly mapped to null).
_MISSING: Any = object()


class Unsupported(Exception):
    """The fast path does not handle this input; the caller must use the pyld reference."""


class CompiledContext:
    """One pyld active context with memoized IRI expansion and scoped-context processing."""

    __slots__ = (
        "_ids",
        "_owner",
        "_scoped",
        "_vocab",
        "mappings",
        "plans",
        "previous",
        "raw",
        "shapes",
        "type_keys",
    )

    def __init__(self, raw: Any, owner: ContextCompiler) -> None:
        self.raw = raw
        self.mappings: Mapping[str, Any] = raw["mappings"]
        self._owner = owner
        self._vocab: dict[str, str | None] = {}
        self._ids: dict[str, str | None] = {}
        self._scoped: dict[tuple[int, bool, bool], CompiledContext] = {}
        # Per-key plans of the RDF walk (vc_core.canon.fast_rdf.KeyPlan), keyed by document key.
        self.plans: dict[str, Any] = {}
        # Per-node shapes of the RDF walk (vc_core.canon.fast_rdf.NodeShape), keyed by a node's
        # sorted keys and its @type values.
        self.shapes: dict[tuple[tuple[str, ...], tuple[Any, ...]], Any] = {}
        # Which of a node's sorted keys expand to @type, keyed by those keys.
        self.type_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        previous = raw.get("previousContext")
        # A non-propagated (type-scoped) context remembers the context to revert to when the
        # expansion descends into a new node object (API §5.1.2 step 7).
        self.previous: CompiledContext | None = None if previous is None else owner.wrap(previous)

    def term(self, key: str) -> Mapping[str, Any] | None:
        """The term definition of ``key``, or None when ``key`` is not a term."""
        return self.mappings.get(key)

    def term_value(self, key: str | None, entry: str) -> Any:
        """pyld's ``get_context_value(ctx, key, entry)``, for the entries the fast path reads."""
        if key is None:
            return None
        if entry in ("@language", "@direction") and entry in self.raw:
            default: Any = self.raw[entry]
        else:
            default = None
        definition = self.mappings.get(key, _MISSING)
        if definition is _MISSING:
            return default
        if definition is None:
            return None
        return definition.get(entry, default)

    def vocab(self, value: str) -> str | None:
        """IRI Expansion with ``vocab`` true and no base (API §5.2.2), memoized."""
        found = self._vocab.get(value, _MISSING)
        if found is _MISSING:
            found = self._owner.expand_iri(self.raw, value, vocab=True)
            _remember(self._vocab, value, found)
        result: str | None = found
        return result

    def document_iri(self, value: str) -> str | None:
        """IRI Expansion with ``vocab`` false and base null, as for ``@id`` values (§5.2.2)."""
        found = self._ids.get(value, _MISSING)
        if found is _MISSING:
            found = self._owner.expand_iri(self.raw, value, vocab=False)
            _remember(self._ids, value, found)
        result: str | None = found
        return result

    def remember_plan(self, key: str, plan: Any) -> None:
        """Keep the walk's plan for ``key`` (vc_core.canon.fast_rdf.KeyPlan)."""
        _remember(self.plans, key, plan)

    def remember_shape(self, key: tuple[tuple[str, ...], tuple[Any, ...]], shape: Any) -> None:
        """Keep the walk's shape of a node (vc_core.canon.fast_rdf.NodeShape), if its key is
        small: a node with many or long keys is worked out afresh, so junk cannot fill memory."""
        keys, types = key
        if len(keys) + len(types) > MAX_SHAPE_KEYS:
            return
        size = sum(map(len, keys)) + sum(
            len(t) if type(t) is str else sum(map(len, t)) for t in types
        )
        if size > MAX_CACHED_LENGTH * 4:
            return
        if len(self.shapes) >= MAX_CACHED_PER_CONTEXT:
            self.shapes.clear()
        self.shapes[key] = shape

    def keys_to_type(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``keys`` that expand to ``@type`` here (IRI Expansion, API §5.2.2),
        remembered per key set when it is small (as :meth:`remember_shape`)."""
        found = self.type_keys.get(keys)
        if found is None:
            found = tuple(k for k in keys if self.vocab(k) == "@type")
            if len(keys) <= MAX_SHAPE_KEYS and sum(map(len, keys)) <= MAX_CACHED_LENGTH * 4:
                if len(self.type_keys) >= MAX_CACHED_PER_CONTEXT:
                    self.type_keys.clear()
                self.type_keys[keys] = found
        return found

    def revert(self) -> CompiledContext:
        """The context before any non-propagated type-scoped context (API §5.1.2 step 7)."""
        return self.previous if self.previous is not None else self

    def scoped(
        self, local_ctx: Any, *, propagate: bool, override_protected: bool
    ) -> CompiledContext:
        """This context with a scoped context applied (Context Processing, API §4.1.2), memoized.

        ``local_ctx`` is the ``@context`` entry of a term definition held by an already compiled
        context, so it stays alive as long as the owner does and its ``id`` is a stable key.
        """
        key = (id(local_ctx), propagate, override_protected)
        found = self._scoped.get(key)
        if found is None:
            found = self._owner.process(
                self.raw, local_ctx, propagate=propagate, override_protected=override_protected
            )
            self._scoped[key] = found
        return found


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    """Store a short key; empty a full cache first (cheaper than LRU, and as bounded)."""
    if len(key) > MAX_CACHED_LENGTH:
        return
    if len(cache) >= MAX_CACHED_PER_CONTEXT:
        cache.clear()
    cache[key] = value


class ContextCompiler:
    """All compiled contexts for one :class:`LocalContexts` allowlist."""

    def __init__(self, contexts: LocalContexts) -> None:
        self._processor = jsonld.JsonLdProcessor()
        # The reference's options (local loader, base null, JSON-LD 1.1), with a private resolver
        # so this cache never shares pyld's mutable resolver state with reference calls.
        self._options: dict[str, Any] = {
            **contexts.pyld_options(),
            "contextResolver": ContextResolver({}, contexts.loader),
        }
        self._lock = threading.Lock()
        self.exhausted = False
        self._wrapped: dict[int, CompiledContext] = {}
        self._top: dict[tuple[str, ...], CompiledContext] = {}
        initial = self._processor._get_initial_context(self._options)
        self._initial = self.wrap(initial)

    def wrap(self, raw: Any) -> CompiledContext:
        """The single :class:`CompiledContext` for a pyld active context object."""
        found = self._wrapped.get(id(raw))
        if found is None:
            if len(self._wrapped) >= MAX_COMPILED_CONTEXTS:
                # Too many combinations of scoped contexts: decline, and let compiler_for
                # replace this compiler, so that a flood cannot slow later documents for good.
                self.exhausted = True
                raise Unsupported("too many distinct scoped contexts")
            found = CompiledContext(raw, self)
            self._wrapped[id(raw)] = found
        return found

    def top(self, urls: tuple[str, ...]) -> CompiledContext:
        """The active context after a document's top-level ``@context`` URLs (API §4.1.2)."""
        found = self._top.get(urls)
        if found is None:
            found = self.process(
                self._initial.raw, list(urls), propagate=True, override_protected=False
            )
            self._top[urls] = found
        return found

    def process(
        self, active: Any, local_ctx: Any, *, propagate: bool, override_protected: bool
    ) -> CompiledContext:
        """Run pyld's Context Processing Algorithm once; refuse (fall back) if it fails."""
        with self._lock:
            try:
                raw = self._processor._process_context(
                    active,
                    local_ctx,
                    self._options,
                    override_protected=override_protected,
                    propagate=propagate,
                )
            except JsonLdError as exc:
                # The reference raises the same error for this document; let it report it.
                raise Unsupported(f"context processing failed: {exc}") from exc
            return self.wrap(raw)

    def expand_iri(self, active: Any, value: str, *, vocab: bool) -> str | None:
        """pyld's IRI Expansion (API §5.2.2) with base null, as the reference calls it."""
        result: str | None = self._processor._expand_iri(active, value, base=None, vocab=vocab)
        return result


_COMPILERS: weakref.WeakKeyDictionary[LocalContexts, ContextCompiler] = weakref.WeakKeyDictionary()
_COMPILERS_LOCK = threading.Lock()


def compiler_for(contexts: LocalContexts) -> ContextCompiler:
    """The compiler of ``contexts``, created on first use and dropped with ``contexts``."""
    found = _COMPILERS.get(contexts)
    if found is None or found.exhausted:
        with _COMPILERS_LOCK:
            found = _COMPILERS.get(contexts)
            if found is None or found.exhausted:
                found = ContextCompiler(contexts)
                _COMPILERS[contexts] = found
    return found
