"""RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) through pyld, local contexts only.

This is the reference implementation: every faster path is differential-tested against it.

Data Integrity 1.0 §2.4.3 asks implementations to raise ``DATA_LOSS_DETECTION_ERROR`` when
JSON-LD processing would drop anything. pyld silently drops (a) properties that expand to no
absolute IRI and (b) types and ids that stay relative IRIs (base is null). :func:`expand_strict`
catches both and names the offending term, so an undefined term can never be left unsigned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdError

from vc_core.canon import fidelity
from vc_core.canon.bounded import canonical_nquads_bounded
from vc_core.canon.codes import CanonCode
from vc_core.canon.contexts import LocalContexts
from vc_core.errors import CanonicalizationError, MalformedError

# JSON-LD 1.1 API §8.6 step 13: a string with a base direction becomes a literal typed
# ``https://www.w3.org/ns/i18n#<language>_<direction>``. Without this option toRdf drops the
# direction (API §10.3 rdfDirection null), leaving it unsigned; the reference implementation's
# Data Integrity libraries canonicalize with exactly this option.
RDF_DIRECTION = "i18n-datatype"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"


# An absolute IRI (RFC 3987 §2.2: a scheme, then a colon) with none of the characters that an
# N-Quads IRIREF forbids (RDF 1.1 N-Quads §5.3, space included). pyld silently drops every quad of
# a node whose id fails its own looser test, so anything looser here could leave a claim unsigned.
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f\ud800-\udfff]*")
_BLANK_NODE = re.compile(r"_:[A-Za-z0-9_][A-Za-z0-9_.\-]*")

# Control characters that canonical N-Quads must escape in a way pyld 3.3 does not (RDF 1.2
# N-Triples §"Canonical form": U+0008 and U+000C as \b and \f, the rest as \uXXXX). pyld writes
# them raw, so another RDFC-1.0 implementation would hash different bytes. No certificate needs
# them; they are refused rather than signed in a form only pyld reproduces.
UNESCAPED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What the fast path leaves to the reference in a literal: those control characters, and lone
# surrogates, which the reference refuses as invalid Unicode (see fidelity).
UNESCAPED_CONTROL_OR_SURROGATE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _is_absolute_iri(value: str) -> bool:
    return bool(ABSOLUTE_IRI.fullmatch(value))


def _is_node_id(value: str) -> bool:
    return _is_absolute_iri(value) or bool(_BLANK_NODE.fullmatch(value))


def _check_contexts(document: Mapping[str, Any], contexts: LocalContexts) -> None:
    """Every top-level context must be a URL we hold locally (no remote, no inline contexts)."""
    ctx = document.get("@context")
    if ctx is None:
        raise CanonicalizationError(
            "the document has no @context", code=CanonCode.MISSING_CONTEXT, field="@context"
        )
    _refuse_nested_contexts(document)
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if not isinstance(entry, str):
            raise CanonicalizationError(
                "inline @context objects are not accepted; use a context URL held locally",
                code=CanonCode.INLINE_CONTEXT,
                field="@context",
            )
        if entry not in contexts:
            raise CanonicalizationError(
                f"context {entry!r} is not available locally; ecert never fetches contexts",
                code=CanonCode.CONTEXT_NOT_LOCAL,
                field="@context",
            )


def _refuse_nested_contexts(document: Mapping[str, Any]) -> None:
    """An embedded ``@context`` object could define terms that no local context has.

    An embedded context that only names local context URLs adds nothing new and stays allowed:
    an eddsa-jcs-2022 proof carries the document's ``@context``, and a proof chain embeds it.
    """
    stack: list[Any] = [v for k, v in document.items() if k != "@context"]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            embedded = node.get("@context")
            entries = embedded if isinstance(embedded, list) else [embedded]
            if "@context" in node and not all(isinstance(e, str) for e in entries):
                raise CanonicalizationError(
                    "embedded @context objects are not accepted; use context URLs held locally",
                    code=CanonCode.INLINE_CONTEXT,
                    field="@context",
                )
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _check_value(node: dict[str, Any], path: str, *, for_rdf: bool) -> None:
    fidelity.check_expanded_value(node, path)
    if for_rdf:
        if node.get("@type") == "@json":
            fidelity.check_json_numbers(node.get("@value"), path)
        else:
            as_double = node.get("@type") == XSD_DOUBLE
            fidelity.check_rdf_number(node.get("@value"), path, as_double=as_double)
    vtype = node.get("@type")
    if isinstance(vtype, str) and vtype != "@json" and not _is_absolute_iri(vtype):
        raise CanonicalizationError(f"datatype {vtype!r} at {path} is not defined", field=vtype)
    value = node.get("@value")
    if isinstance(value, str) and UNESCAPED_CONTROL.search(value):
        raise CanonicalizationError(
            f"the text at {path} contains a control character, which is not accepted",
            code=CanonCode.CONTROL_CHARACTER,
            field=path.lstrip("/") or None,
        )


def _check_expanded(node: Any, path: str, *, for_rdf: bool) -> None:
    """Walk expanded JSON-LD; raise on anything RDF conversion would drop (see fidelity)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_expanded(item, f"{path}[{i}]", for_rdf=for_rdf)
        return
    if not isinstance(node, dict):
        return
    fidelity.check_index(node, path)
    if "@value" in node:
        _check_value(node, path, for_rdf=for_rdf)
        return
    _check_node_names(node, path)
    for key, value in node.items():
        if not key.startswith("@"):
            if not _is_absolute_iri(key):
                # A blank-node or otherwise non-IRI predicate is dropped when converting to RDF.
                raise CanonicalizationError(
                    f"property {key!r} at {path or '/'} is not an IRI and would be dropped",
                    field=key,
                )
            _check_expanded(value, f"{path}/{key}", for_rdf=for_rdf)
        elif key == "@graph":
            for i, member in enumerate(value if isinstance(value, list) else [value]):
                fidelity.check_graph_member(member, f"{path}/@graph[{i}]")
            _check_expanded(value, f"{path}/{key}", for_rdf=for_rdf)
        elif key in ("@list", "@set", "@included", "@reverse"):
            _check_expanded(value, f"{path}/{key}", for_rdf=for_rdf)


def _check_node_names(node: dict[str, Any], path: str) -> None:
    """A node's types and id must be absolute IRIs (or blank nodes), or toRdf drops them."""
    for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
        if isinstance(t, str) and not _is_node_id(t):
            raise CanonicalizationError(
                f"type {t!r} at {path or '/'} is not defined by any context", field=t
            )
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _is_node_id(node_id):
        raise CanonicalizationError(
            f"id {node_id!r} at {path or '/'} is not an absolute IRI and would be dropped",
            field="id",
        )


def expand_strict(
    document: Mapping[str, Any], contexts: LocalContexts, *, for_rdf: bool = False
) -> list[Any]:
    """JSON-LD expansion that refuses to lose data (VC-DI 1.0 §2.4.3).

    With ``for_rdf``, numbers are also checked to survive conversion to RDF literals exactly
    (see :func:`.fidelity.check_rdf_number`); eddsa-jcs-2022 signs the JSON itself and does not
    need that.

    Raises:
        CanonicalizationError: a context is not local, or a property, type or id is undefined;
            the message names the term.
        MalformedError: the document is not valid JSON-LD.
    """
    _check_contexts(document, contexts)
    fidelity.check_compact(document)
    dropped: list[str] = []

    def on_dropped(term: str | None) -> None:
        dropped.append(str(term))

    try:
        expanded: list[Any] = jsonld.expand(
            dict(document), contexts.pyld_options(), on_property_dropped=on_dropped
        )
    except JsonLdError as exc:
        raise _from_pyld(exc) from exc
    except (RecursionError, OverflowError) as exc:
        raise MalformedError(
            f"the document cannot be processed: {exc}", code=CanonCode.INVALID_JSON_LD
        ) from exc
    if dropped:
        raise CanonicalizationError(
            f"term {dropped[0]!r} is not defined by any context and would be left unsigned",
            field=dropped[0],
            details={"undefinedTerms": sorted(set(dropped))},
        )
    if not expanded:
        # Expansion dropped the whole document (e.g. it holds nothing but an id): an empty
        # dataset would make every such document share one signature.
        raise CanonicalizationError("the document states nothing that can be signed", field="/")
    _check_expanded(expanded, "", for_rdf=for_rdf)
    return expanded


def rdfc(document: Mapping[str, Any], contexts: LocalContexts) -> str:
    """Canonical N-Quads of ``document`` under RDFC-1.0 (W3C RDF Dataset Canonicalization §4).

    The document is first expanded strictly (see :func:`expand_strict`), so an undefined term is
    an error here, at signing and at verification alike.
    """
    expanded = expand_strict(document, contexts, for_rdf=True)
    options = {**contexts.pyld_options(), "rdfDirection": RDF_DIRECTION}
    try:
        dataset = jsonld.to_rdf(expanded, options)
        result = canonical_nquads_bounded(dataset)
    except JsonLdError as exc:
        raise _from_pyld(exc) from exc
    except (RecursionError, OverflowError) as exc:
        raise MalformedError(
            f"the document cannot be processed: {exc}", code=CanonCode.INVALID_JSON_LD
        ) from exc
    # Split on "\n" only: str.splitlines() also breaks at U+0085 and U+2028 inside literals.
    lines = result.split("\n")
    if len(lines) != len(set(lines)):
        # An RDF dataset is a set (RDF 1.1 Concepts §4); pyld compares JSON values, so two
        # spellings of one literal become the same quad twice, which other RDFC-1.0
        # implementations would hash once. Refuse rather than sign a pyld-only form.
        raise CanonicalizationError(
            "the document states the same value twice in two spellings",
            code=CanonCode.DUPLICATE_QUAD,
        )
    return result


def _from_pyld(exc: JsonLdError) -> CanonicalizationError | MalformedError:
    text = str(exc)
    cause = exc.__cause__
    while cause is not None:
        text += f" ({cause})"
        cause = cause.__cause__
    if getattr(exc, "code", None) == "loading document failed" or "LoadDocument" in text:
        return CanonicalizationError(
            f"a context could not be loaded locally: {text}", code=CanonCode.CONTEXT_NOT_LOCAL
        )
    return MalformedError(f"invalid JSON-LD: {text}", code=CanonCode.INVALID_JSON_LD)
