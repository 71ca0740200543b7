"""Fast RDFC-1.0 canonicalization, byte-identical to the pyld reference in :mod:`.rdfc`.

:func:`rdfc_fast` has the contract of :func:`vc_core.canon.rdfc.rdfc`: the same canonical
N-Quads, and the same errors (it raises them by running the reference). It is fast because it
does in one pass, with contexts compiled once per :class:`LocalContexts`, what pyld does in
four (expand, expand again, node map, URDNA2015) with contexts re-processed on every call:

1. :mod:`.fast_contexts` keeps pyld's processed active contexts and IRI expansions.
2. :mod:`.fast_rdf` walks the compacted document and writes N-Quads terms directly.
3. :mod:`.fast_c14n` labels blank nodes by first-degree hash (RDFC-1.0 §4.6) and hands the
   dataset to pyld's URDNA2015 when two hashes collide.

Whenever the document leaves the subset that the walk understands, or the reference would
report an error, the walk stops with :class:`Unsupported` and the reference runs instead, so
the fast path can only be faster, never different. The test suite checks byte identity on the
W3C vectors and on generated documents.

Example:
    >>> from vc_core.canon import default_contexts
    >>> doc = {
    ...     "@context": ["https://www.w3.org/ns/credentials/v2"],
    ...     "type": ["VerifiableCredential"],
    ...     "issuer": "did:example:issuer",
    ...     "credentialSubject": {"id": "did:example:subject"},
    ... }
    >>> print(rdfc_fast(doc, default_contexts()), end="")
    _:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .
    _:c14n0 <https://www.w3.org/2018/credentials#credentialSubject> <did:example:subject> .
    _:c14n0 <https://www.w3.org/2018/credentials#issuer> <did:example:issuer> .
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vc_core.canon.contexts import LocalContexts
from vc_core.canon.fast_c14n import canonical_nquads
from vc_core.canon.fast_contexts import Unsupported, compiler_for
from vc_core.canon.fast_rdf import QuadSink, RdfWriter
from vc_core.canon.rdfc import UNESCAPED_CONTROL_OR_SURROGATE, expand_strict
from vc_core.canon.rdfc import rdfc as rdfc_reference

__all__ = ["check_terms_fast", "rdfc_fast", "try_rdfc_fast"]


def try_rdfc_fast(document: Mapping[str, Any], contexts: LocalContexts) -> str | None:
    """The fast path alone: canonical N-Quads, or None where only the reference can answer.

    Tests and benchmarks use this to check that a document really takes the fast path.
    """
    try:
        return _fast(document, contexts)
    except Unsupported:
        return None


def rdfc_fast(document: Mapping[str, Any], contexts: LocalContexts) -> str:
    """Canonical N-Quads of ``document`` under RDFC-1.0, exactly as :func:`.rdfc.rdfc` gives them.

    Raises:
        CanonicalizationError: as :func:`.rdfc.rdfc` (a context is not local, or a term, type or
            id would be dropped).
        MalformedError: as :func:`.rdfc.rdfc` (the document is not valid JSON-LD).
    """
    found = try_rdfc_fast(document, contexts)
    if found is not None:
        return found
    return rdfc_reference(document, contexts)


def check_terms_fast(document: Mapping[str, Any], contexts: LocalContexts) -> None:
    """Raise what :func:`.rdfc.expand_strict` raises, and nothing when it would not.

    For callers that need only the data-loss check (VC-DI 1.0 §2.4.3), such as eddsa-jcs-2022
    in ecert, which refuses undefined terms without producing N-Quads. The fast walk proves
    that nothing would be dropped; where it declines, the reference decides.

    Raises:
        CanonicalizationError: as :func:`.rdfc.expand_strict`.
        MalformedError: as :func:`.rdfc.expand_strict`.
    """
    try:
        sink = _walk(document, contexts, _TermSink())
    except Unsupported:
        expand_strict(document, contexts)
        return
    if not sink.has_quads():
        # Nothing to sign (e.g. a document of an @context and an id alone): the reference
        # refuses it as data loss, so it decides.
        expand_strict(document, contexts)


class _TermSink(QuadSink):
    """A sink for the term check alone: every decision of :class:`QuadSink` (control characters
    and lone surrogates declined, duplicate quads declined), without writing N-Quads text.

    A literal stands for itself by a key that is equal exactly when the N-Quads literal would
    be: ``"`` + lexical form + ``"`` + datatype IRI. It cannot be mistaken for an IRI (``<…>``)
    or a blank node (``_:…``), and it is unambiguous because a datatype IRI never holds ``"``
    (the walk declines a datatype that is not an absolute IRI, which excludes ``"``).
    """

    __slots__ = ()

    def add(self, subject: str, predicate: str, obj: str, graph: str) -> None:
        quad = (subject, predicate, obj, graph)
        if quad in self._seen:
            raise Unsupported("duplicate quad")
        self._seen.add(quad)

    def literal(self, lexical: str, datatype: str) -> str:
        # Every character the pattern matches is a control (Cc) or surrogate (Cs), which
        # isprintable() refuses, so a printable string (most are) skips the search.
        if not lexical.isprintable() and UNESCAPED_CONTROL_OR_SURROGATE.search(lexical):
            raise Unsupported("control character or lone surrogate in a literal")
        return '"' + lexical + '"' + datatype


def _walk(
    document: Mapping[str, Any], contexts: LocalContexts, sink: QuadSink | None = None
) -> QuadSink:
    if type(document) is not dict:
        raise Unsupported("not a plain dict")
    urls = _context_urls(document, contexts)
    top = compiler_for(contexts).top(urls)
    sink = QuadSink() if sink is None else sink
    RdfWriter(sink).document(top, document)
    return sink


def _fast(document: Mapping[str, Any], contexts: LocalContexts) -> str:
    return canonical_nquads(_walk(document, contexts))


def _context_urls(document: dict[str, Any], contexts: LocalContexts) -> tuple[str, ...]:
    """The top-level context URLs, if all are held locally (else the reference reports it)."""
    value = document.get("@context")
    entries = value if type(value) is list else [value]
    if not entries:
        raise Unsupported("empty @context")
    for entry in entries:
        if type(entry) is not str or entry not in contexts:
            raise Unsupported("@context is not a list of local context URLs")
    return tuple(entries)
