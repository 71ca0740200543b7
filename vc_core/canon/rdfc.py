"""RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) through pyld, local contexts only.

This is the reference implementation: every faster path is differential-tested against it.

Data Integrity 1.0 §2.4.3 asks implementations to raise ``DATA_LOSS_DETECTION_ERROR`` when
JSON-LD processing would drop anything. pyld silently drops (a) properties that expand to no
absolute IRI and (b) types and ids that stay relative IRIs (base is null). :func:`expand_strict`
catches both and names the offending term, so an undefined term can never be left unsigned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdError

from vc_core.canon.contexts import LocalContexts
from vc_core.errors import CanonicalizationError, MalformedError

_RDFC_OPTIONS = {"algorithm": "URDNA2015", "format": "application/n-quads"}


def _is_absolute_iri(value: str) -> bool:
    # An absolute IRI has a scheme (RFC 3987 §2.2); a blank node label is also acceptable.
    if value.startswith("_:"):
        return True
    scheme, sep, _ = value.partition(":")
    return bool(sep) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _check_contexts(document: Mapping[str, Any], contexts: LocalContexts) -> None:
    """Every top-level context must be a URL we hold locally (no remote, no inline contexts)."""
    ctx = document.get("@context")
    if ctx is None:
        raise CanonicalizationError(
            "the document has no @context", code="MISSING_CONTEXT", field="@context"
        )
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if not isinstance(entry, str):
            raise CanonicalizationError(
                "inline @context objects are not accepted; use a context URL held locally",
                code="INLINE_CONTEXT",
                field="@context",
            )
        if entry not in contexts:
            raise CanonicalizationError(
                f"context {entry!r} is not available locally; ecert never fetches contexts",
                code="CONTEXT_NOT_LOCAL",
                field="@context",
            )


def _check_expanded(node: Any, path: str) -> None:
    """Walk expanded JSON-LD; raise on any relative type or id, which RDF conversion would drop."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_expanded(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
        if isinstance(t, str) and not _is_absolute_iri(t):
            raise CanonicalizationError(
                f"type {t!r} at {path or '/'} is not defined by any context", field=t
            )
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _is_absolute_iri(node_id):
        raise CanonicalizationError(
            f"id {node_id!r} at {path or '/'} is a relative IRI and would be dropped", field="id"
        )
    if "@value" in node:
        vtype = node.get("@type")
        if isinstance(vtype, str) and not _is_absolute_iri(vtype) and vtype != "@json":
            raise CanonicalizationError(f"datatype {vtype!r} at {path} is not defined", field=vtype)
        return
    for key, value in node.items():
        if not key.startswith("@") or key in ("@graph", "@list", "@set", "@included", "@reverse"):
            _check_expanded(value, f"{path}/{key}")


def expand_strict(document: Mapping[str, Any], contexts: LocalContexts) -> list[Any]:
    """JSON-LD expansion that refuses to lose data (VC-DI 1.0 §2.4.3).

    Raises:
        CanonicalizationError: a context is not local, or a property, type or id is undefined;
            the message names the term.
        MalformedError: the document is not valid JSON-LD.
    """
    _check_contexts(document, contexts)
    dropped: list[str] = []

    def on_dropped(term: str | None) -> None:
        dropped.append(str(term))

    try:
        expanded: list[Any] = jsonld.expand(
            dict(document), contexts.pyld_options(), on_property_dropped=on_dropped
        )
    except JsonLdError as exc:
        raise _from_pyld(exc) from exc
    if dropped:
        raise CanonicalizationError(
            f"term {dropped[0]!r} is not defined by any context and would be left unsigned",
            field=dropped[0],
            details={"undefinedTerms": sorted(set(dropped))},
        )
    _check_expanded(expanded, "")
    return expanded


def rdfc(document: Mapping[str, Any], contexts: LocalContexts) -> str:
    """Canonical N-Quads of ``document`` under RDFC-1.0 (W3C RDF Dataset Canonicalization §4).

    The document is first expanded strictly (see :func:`expand_strict`), so an undefined term is
    an error here, at signing and at verification alike.
    """
    expanded = expand_strict(document, contexts)
    options = {**contexts.pyld_options(), **_RDFC_OPTIONS}
    try:
        result: str = jsonld.normalize(expanded, options)
    except JsonLdError as exc:
        raise _from_pyld(exc) from exc
    return result


def _from_pyld(exc: JsonLdError) -> CanonicalizationError | MalformedError:
    text = str(exc)
    cause = exc.__cause__
    while cause is not None:
        text += f" ({cause})"
        cause = cause.__cause__
    if getattr(exc, "code", None) == "loading document failed" or "LoadDocument" in text:
        return CanonicalizationError(
            f"a context could not be loaded locally: {text}", code="CONTEXT_NOT_LOCAL"
        )
    return MalformedError(f"invalid JSON-LD: {text}", code="INVALID_JSON_LD")
