"""JSON-LD to RDF for the subset of JSON-LD that credentials use, straight to N-Quads terms.

This fuses four algorithms of the JSON-LD 1.1 Processing Algorithms and API ("API") into one walk
over the compacted document: the Expansion Algorithm (API §5.1.2) with Value Expansion (§5.3.2),
Node Map Generation (§7.2.2), and Deserialize JSON-LD to RDF (§8.1.2) with Object to RDF
Conversion (§8.2.2). It follows pyld 3.3, the reference, decision by decision; context processing
and IRI expansion are pyld's own (see :mod:`vc_core.canon.fast_contexts`).

The walk understands node objects with ``@id`` and ``@type`` (and their aliases ``id`` and
``type``), properties with strings, numbers, booleans, null, node objects and arrays of these,
type coercion (``@id``, ``@vocab`` and datatype IRIs), ``@json`` literals, property-scoped and
type-scoped contexts, and ``@graph`` containers (the ``proof`` property). It raises
:class:`~vc_core.canon.fast_contexts.Unsupported` for everything else, and for every input on
which the reference would report an error or do something surprising, so that the caller runs
the reference instead:

- keys that do not expand to an absolute IRI (undefined terms: the reference's data-loss error);
- other keywords (``@value``, ``@list``, ``@graph``, ``@nest``, ``@reverse``, …), nested
  ``@context``, other containers, language or direction defaults, reverse properties;
- blank node identifiers written in the document, and IRIs that are not plainly absolute;
- two equal quads (the reference keeps duplicates in some cases and merges them in others);
- anything that is not a JSON value (tuples, sets, subclasses of dict, str or int, NaN).
"""

from __future__ import annotations

import math
from typing import Any

from pyld import jsonld
from pyld.nquads import escape

from vc_core.canon import fidelity
from vc_core.canon.fast_contexts import CompiledContext, Unsupported
from vc_core.canon.rdfc import ABSOLUTE_IRI, UNESCAPED_CONTROL_OR_SURROGATE
from vc_core.errors import CanonicalizationError

RDF_TYPE = f"<{jsonld.RDF_TYPE}>"
RDF_JSON = jsonld.RDF_JSON_LITERAL
XSD_BOOLEAN = jsonld.XSD_BOOLEAN
XSD_DOUBLE = jsonld.XSD_DOUBLE
XSD_INTEGER = jsonld.XSD_INTEGER
XSD_STRING = jsonld.XSD_STRING

# Nested node objects deeper than this go to the reference (the JSON boundary already limits
# depth to 32; this only bounds recursion for direct library callers).
MAX_NODE_DEPTH = 40

# IRIs are tested with the reference's own ABSOLUTE_IRI pattern (RFC 3987 §2.2 scheme, and none
# of the characters an N-Quads IRIREF forbids); anything it refuses goes to the reference, which
# then reports the same data-loss error.
_CONTAINERS_HANDLED = frozenset({"@set", "@graph"})

# The serialized quad: subject, predicate, object, graph name ("" for the default graph), each
# already in N-Quads form as pyld writes it (``serialize_nquad`` in pyld/nquads.py).
Quad = tuple[str, str, str, str]


class QuadSink:
    """Collects quads, issues temporary blank node labels, and refuses duplicate quads."""

    __slots__ = ("_count", "_json_seen", "_seen", "literals", "quads")

    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self._seen: set[Quad] = set()
        # Serialized literal → (lexical form, datatype IRI), for handing the dataset to pyld.
        self.literals: dict[str, tuple[str, str]] = {}
        self._json_seen: set[tuple[str, str, str]] = set()
        self._count = 0

    def has_quads(self) -> bool:
        """Whether any quad was added (a sink that keeps no list, as the term check's, too)."""
        return bool(self._seen)

    def blank_node(self) -> str:
        self._count += 1
        return f"_:b{self._count}"

    def add(self, subject: str, predicate: str, obj: str, graph: str) -> None:
        quad = (subject, predicate, obj, graph)
        if quad in self._seen:
            # pyld's node map merges some equal values and keeps others twice (it compares
            # JSON values, not RDF terms); only the reference knows which, so let it decide.
            raise Unsupported("duplicate quad")
        self._seen.add(quad)
        self.quads.append(quad)

    def add_json(self, subject: str, predicate: str, obj: str, graph: str) -> None:
        # pyld's node map compares JSON literal values as Python values, where true equals 1,
        # so it may merge two different JSON literals of one property; leave that to it.
        where = (subject, predicate, graph)
        if where in self._json_seen:
            raise Unsupported("two JSON literals on one property")
        self._json_seen.add(where)
        self.add(subject, predicate, obj, graph)

    def literal(self, lexical: str, datatype: str) -> str:
        # Every character the pattern matches is a control (Cc) or surrogate (Cs), which
        # isprintable() refuses, so a printable string (most are) skips the search.
        if not lexical.isprintable() and UNESCAPED_CONTROL_OR_SURROGATE.search(lexical):
            # The reference refuses these (see rdfc.UNESCAPED_CONTROL); let it say so.
            raise Unsupported("control character or lone surrogate in a literal")
        # pyld serialize_nquad: xsd:string is implicit; every other datatype is written out.
        if datatype == XSD_STRING:
            text = f'"{escape(lexical)}"'
        else:
            text = f'"{escape(lexical)}"^^<{datatype}>'
        self.literals[text] = (lexical, datatype)
        return text


def iri_term(value: Any) -> str:
    """``<iri>`` for an absolute IRI; refuse blank nodes, relative and unusual IRIs."""
    if type(value) is not str or not ABSOLUTE_IRI.fullmatch(value):
        raise Unsupported(f"not a plain absolute IRI: {value!r}")
    return f"<{value}>"


def _sorted_keys(element: dict[Any, Any]) -> list[str]:
    for key in element:
        if type(key) is not str:
            raise Unsupported("non-string key")
    return sorted(element)


class RdfWriter:
    """Turns one compacted JSON-LD document into quads, in the reference's order of decisions."""

    __slots__ = ("_remember", "_sink")

    def __init__(self, sink: QuadSink, *, remember_shapes: bool = True) -> None:
        self._sink = sink
        # False works out every node's shape afresh (tests compare the two walks).
        self._remember = remember_shapes

    def document(self, top: CompiledContext, element: dict[str, Any]) -> None:
        """The top-level node object; ``top`` already holds its ``@context`` (API §5.1.2 step 9)."""
        self._node_body(top, element, _sorted_keys(element), "", 0, top_level=True)

    def _node(
        self,
        ctx: CompiledContext,
        active_property: str,
        element: dict[Any, Any],
        graph: str,
        depth: int,
    ) -> str:
        """A nested node object (API §5.1.2 steps 7–8, in pyld's ``_expand`` order)."""
        if depth > MAX_NODE_DEPTH:
            raise Unsupported("nesting too deep")
        keys = _sorted_keys(element)
        property_scoped = ctx.term_value(active_property, "@context")
        # API §5.1.2 step 7: revert a non-propagated (type-scoped) context, unless the element is a
        # value object or a lone node reference.
        must_revert = True
        if ctx.previous is not None and len(element) <= 2 and "@context" not in element:
            for key in keys:
                expanded = ctx.vocab(key)
                if expanded == "@value":
                    raise Unsupported("value object")
                if expanded == "@id" and len(element) == 1:
                    must_revert = False
                    break
        if must_revert:
            ctx = ctx.revert()
        # API §5.1.2 step 8: the property-scoped context, which may override protected terms.
        if property_scoped is not None:
            ctx = ctx.scoped(property_scoped, propagate=True, override_protected=True)
        return self._node_body(ctx, element, keys, graph, depth, top_level=False)

    def _type_scoped(
        self, ctx: CompiledContext, element: dict[str, Any], keys: list[str]
    ) -> tuple[CompiledContext, str | None]:
        """API §5.1.2 step 11: apply type-scoped contexts, types in lexicographic order.

        Types are looked up in the context as it was before any of them applied; each one applies
        without propagation, so nested node objects revert to the context before it.
        """
        type_scoped = ctx
        type_key: str | None = None
        for key in keys:
            if ctx.vocab(key) != "@type":
                continue
            type_key = type_key or key
            value = element[key]
            names = [t for t in (value if type(value) is list else [value]) if type(t) is str]
            for name in sorted(names):
                scoped = type_scoped.term_value(name, "@context")
                if scoped is not None and scoped is not False:
                    ctx = ctx.scoped(scoped, propagate=False, override_protected=False)
        return ctx, type_key

    def _node_body(
        self,
        ctx: CompiledContext,
        element: dict[str, Any],
        keys: list[str],
        graph: str,
        depth: int,
        *,
        top_level: bool,
    ) -> str:
        """Expand one node object's entries and emit its quads; return its subject term."""
        if "@context" in element and not top_level:
            raise Unsupported("embedded @context")
        shape = self._shape(ctx, element, keys)
        subject: str | None = None
        if shape.id_key is not None:
            value = element[shape.id_key]
            if type(value) is not str:
                raise Unsupported("@id is not a string")
            subject = iri_term(shape.ctx.document_iri(value))
        if subject is None:
            subject = self._sink.blank_node()
        for type_iri in shape.types:
            self._sink.add(subject, RDF_TYPE, type_iri, graph)
        for plan, key in shape.properties:
            self._property(plan, subject, key, element[key], graph=graph, depth=depth)
        return subject

    def _shape(self, ctx: CompiledContext, element: dict[str, Any], keys: list[str]) -> NodeShape:
        """The node's shape in ``ctx``, remembered per (sorted keys, @type values): everything
        :meth:`work_out_shape` decides depends on nothing else of the node."""
        if not self._remember:
            return self.work_out_shape(ctx, element, keys)
        types: list[str | tuple[str, ...]] = []
        sorted_keys = tuple(keys)
        for key in ctx.keys_to_type(sorted_keys):
            value = element[key]
            if type(value) is str:
                types.append(value)
            elif type(value) is list and all(type(t) is str for t in value):
                types.append(tuple(value))
            else:
                return self.work_out_shape(ctx, element, keys)
        cache_key = (sorted_keys, tuple(types))
        found: NodeShape | None = ctx.shapes.get(cache_key)
        if found is None:
            found = self.work_out_shape(ctx, element, keys)
            ctx.remember_shape(cache_key, found)
        return found

    def work_out_shape(
        self, ctx: CompiledContext, element: dict[str, Any], keys: list[str]
    ) -> NodeShape:
        """API §5.1.2 steps 11 and 13.4 for one node: its type-scoped context, its @id key, its
        @type IRIs and its properties' plans (tests call this directly to check the cache)."""
        type_scoped = ctx
        ctx, type_key = self._type_scoped(ctx, element, keys)
        if type_key is not None:
            first = element[type_key]
            first = first[0] if first and type(first) is list else first
            if type(first) is str and ctx.vocab(first) == "@json":
                raise Unsupported("@type @json on a node")
        id_key, types, properties = self._entries(ctx, type_scoped, element, keys)
        return NodeShape(ctx, id_key, tuple(types), tuple(properties))

    def _entries(
        self,
        ctx: CompiledContext,
        type_scoped: CompiledContext,
        element: dict[str, Any],
        keys: list[str],
    ) -> tuple[str | None, list[str], list[tuple[KeyPlan, str]]]:
        """API §5.1.2 step 13.4: the node's @id key, its @type values, and its properties' plans."""
        id_key: str | None = None
        types: list[str] = []
        type_seen = False
        properties: list[tuple[KeyPlan, str]] = []
        for key in keys:
            if key == "@context":
                continue
            plan = ctx.plans.get(key) or key_plan(ctx, key)
            if plan.kind == "@id":
                if id_key is not None:
                    raise Unsupported("colliding @id")
                id_key = key
            elif plan.kind == "@type":
                if type_seen:
                    raise Unsupported("two keys expand to @type")
                type_seen = True
                types = self._types(type_scoped, element[key])
            else:
                properties.append((plan, key))
        return id_key, types, properties

    def _types(self, type_scoped: CompiledContext, value: Any) -> list[str]:
        # pyld expands @type values against the context before type-scoped contexts applied.
        values = value if type(value) is list else [value]
        out: list[str] = []
        for name in values:
            if type(name) is not str:
                raise Unsupported("@type value is not a string")
            out.append(iri_term(type_scoped.vocab(name)))
        return out

    def _property(
        self, plan: KeyPlan, subject: str, key: str, value: Any, *, graph: str, depth: int
    ) -> None:
        """One property of a node object (API §5.1.2 step 13, then §7.2.2 and §8.1.2)."""
        predicate = plan.predicate
        if plan.json:
            # API §5.1.2 step 13.5: a term of type @json keeps the whole value (arrays included)
            # as one JSON literal; §8.2.2 step 5 writes it in JCS form as an rdf:JSON literal.
            self._sink.add_json(subject, predicate, self._json_literal(value), graph)
            return
        items = value if type(value) is list else [value]
        for item in items:
            if item is None:
                continue  # Expansion drops null values (API §5.1.2 steps 1 and 13.10).
            if plan.graph:
                # A graph container wraps each value in a graph object (API §5.1.2 step 13.12);
                # Node Map Generation names it with a blank node that the property points at
                # and puts the value's quads in that named graph (§7.2.2 steps 6.1 and 6.6).
                if type(item) is not dict:
                    raise Unsupported("non-object in a @graph container")
                if all(plan.term_ctx.vocab(k) == "@id" for k in item):
                    # Nothing but an id (or nothing) at the top of a graph makes no quad: the
                    # reference refuses it as data loss (see fidelity.check_graph_member).
                    raise Unsupported("a graph member that states nothing")
                name = self._sink.blank_node()
                self._sink.add(subject, predicate, name, graph)
                self._node(plan.term_ctx, key, item, name, depth + 1)
            elif type(item) is str and plan.string_datatype is not None:
                # The common case, a string written as it is (§8.2.2 step 13), without the
                # general branches below.
                literal = self._sink.literal(item, plan.string_datatype)
                self._sink.add(subject, predicate, literal, graph)
            elif type(item) is dict:
                obj = self._node(plan.term_ctx, key, item, graph, depth + 1)
                self._sink.add(subject, predicate, obj, graph)
            elif type(item) is list:
                raise Unsupported("nested array")
            else:
                self._sink.add(subject, predicate, self._scalar(plan, item), graph)

    def _scalar(self, plan: KeyPlan, value: Any) -> str:
        """Value Expansion (API §5.3.2) followed by Object to RDF Conversion (§8.2.2)."""
        kind = type(value)
        if kind is str:
            if plan.coerce == "@id":
                return iri_term(plan.term_ctx.document_iri(value))
            if plan.coerce == "@vocab":
                return iri_term(plan.term_ctx.vocab(value))
            if plan.tagged_strings:
                raise Unsupported("language-tagged or directional string")
        elif kind not in (int, float, bool):
            raise Unsupported(f"not a JSON scalar: {kind.__name__}")
        elif kind is int and abs(value) >= 10**21:
            raise Unsupported("integer too large for xsd:integer")
        elif kind is float and not math.isfinite(value):
            raise Unsupported("non-finite number")
        if kind is not str and kind is not bool:
            try:
                fidelity.check_rdf_number(value, "", as_double=plan.datatype == XSD_DOUBLE)
            except CanonicalizationError as exc:
                # A number RDF cannot carry exactly: the reference refuses it with its code.
                raise Unsupported("number not exactly representable") from exc
        if plan.bad_datatype:
            raise Unsupported("datatype is not an absolute IRI")
        return self._literal(value, plan.datatype)

    def _literal(self, value: str | int | float | bool, datatype: str | None) -> str:
        """Object to RDF Conversion of a native value (API §8.2.2 steps 8–13), as pyld does it."""
        written: str
        if type(value) is bool:
            lexical, written = ("true" if value else "false"), datatype or XSD_BOOLEAN
        elif type(value) is float and not value.is_integer():
            # A number with a fractional part is an xsd:double in canonical form (step 10).
            lexical, written = jsonld._canonicalize_double(value), datatype or XSD_DOUBLE
        elif datatype == XSD_DOUBLE:
            # pyld converts any value typed xsd:double that Python can read as a float.
            lexical, written = _double_or_text(value), XSD_DOUBLE
        elif isinstance(value, str):
            lexical, written = value, datatype or XSD_STRING
        elif abs(value) >= 1e21:
            lexical, written = jsonld._canonicalize_double(value), datatype or XSD_DOUBLE
        else:
            lexical, written = str(int(value)), datatype or XSD_INTEGER
        return self._sink.literal(lexical, written)

    def _json_literal(self, value: Any) -> str:
        if not _is_plain_json(value, 0):
            raise Unsupported("@json value is not plain JSON")
        try:
            fidelity.check_json_numbers(value, "")
        except CanonicalizationError as exc:
            raise Unsupported("@json number not exactly a double") from exc
        try:
            # The same JCS function pyld uses (RFC 8785), so the lexical form is its own.
            lexical: str = jsonld.canonicalize(value).decode("utf-8")
        except (OverflowError, ValueError) as exc:
            # An integer beyond a double's range: the reference raises its own error for it.
            raise Unsupported("@json value JCS cannot write") from exc
        return self._sink.literal(lexical, RDF_JSON)


class NodeShape:
    """What a node object's keys and @type values mean in one active context, worked out once:
    the context after its type-scoped contexts, the key holding its @id, its @type IRIs (as
    N-Quads terms) and its properties' plans in key order."""

    __slots__ = ("ctx", "id_key", "properties", "types")

    def __init__(
        self,
        ctx: CompiledContext,
        id_key: str | None,
        types: tuple[str, ...],
        properties: tuple[tuple[KeyPlan, str], ...],
    ) -> None:
        self.ctx = ctx
        self.id_key = id_key
        self.types = types
        self.properties = properties


class KeyPlan:
    """What a key means in one active context: everything the walk needs, looked up once."""

    __slots__ = (
        "bad_datatype",
        "coerce",
        "datatype",
        "graph",
        "json",
        "kind",
        "predicate",
        "string_datatype",
        "tagged_strings",
        "term_ctx",
    )

    def __init__(self, kind: str, ctx: CompiledContext) -> None:
        self.kind = kind  # "@id", "@type" or "property"
        self.predicate = ""
        self.term_ctx = ctx
        self.graph = False
        self.json = False
        self.coerce: str | None = None
        self.datatype: str | None = None
        self.bad_datatype = False
        self.tagged_strings = False
        # The datatype of a string value when it is written as it is, else None.
        self.string_datatype: str | None = None


def key_plan(ctx: CompiledContext, key: str) -> KeyPlan:
    """Plan ``key`` in ``ctx`` (API §5.1.2 steps 13.1–13.4 and 13.6, §5.3.2); memoized."""
    expanded = ctx.vocab(key)
    if expanded is None:
        raise Unsupported(f"undefined term {key!r}")
    if expanded in ("@id", "@type"):
        plan = KeyPlan(expanded, ctx)
    elif expanded.startswith("@"):
        raise Unsupported(f"keyword {expanded}")
    else:
        plan = _property_plan(ctx, key, expanded)
    ctx.remember_plan(key, plan)
    return plan


def _property_plan(ctx: CompiledContext, key: str, expanded: str) -> KeyPlan:
    plan = KeyPlan("property", ctx)
    # A key must expand to an absolute IRI, or expansion drops it (the reference's data-loss
    # error); a blank node predicate is dropped by toRdf (API §8.1.2 step 1.3.2.1).
    plan.predicate = iri_term(expanded)
    # API §5.1.2 step 13.4 (pyld order): a property-scoped context applies to the values.
    scoped = ctx.term_value(key, "@context")
    if scoped is not None:
        plan.term_ctx = ctx.scoped(scoped, propagate=True, override_protected=True)
        if plan.term_ctx.vocab(key) != expanded:
            raise Unsupported("a scoped context redefines its own term")
    term_ctx = plan.term_ctx
    container = _container(ctx, key) | _container(term_ctx, key)
    if not container <= _CONTAINERS_HANDLED:
        raise Unsupported(f"container {sorted(container)}")
    for definition in (ctx.term(key), term_ctx.term(key)):
        if definition is not None and definition.get("reverse"):
            raise Unsupported("reverse property")
    plan.graph = "@graph" in container
    plan.json = ctx.term_value(key, "@type") == "@json"
    if plan.json and plan.graph:
        raise Unsupported("@json in a @graph container")
    # Value Expansion (API §5.3.2) reads the type mapping of the term in the term's context.
    coerce = term_ctx.term_value(key, "@type")
    if coerce in ("@id", "@vocab"):
        plan.coerce = coerce
    elif coerce is not None and coerce != "@none":
        plan.datatype = coerce
        plan.bad_datatype = type(coerce) is not str or not ABSOLUTE_IRI.fullmatch(coerce)
    if plan.datatype is None:
        plan.tagged_strings = (
            term_ctx.term_value(key, "@language") is not None
            or term_ctx.term_value(key, "@direction") is not None
        )
    special = plan.json or plan.coerce or plan.tagged_strings or plan.bad_datatype
    if not special and plan.datatype != XSD_DOUBLE:
        plan.string_datatype = plan.datatype or XSD_STRING
    return plan


def _container(ctx: CompiledContext, key: str) -> set[str]:
    found = ctx.term_value(key, "@container")
    if found is None:
        return set()
    return set(found) if type(found) is list else {found}


def _double_or_text(value: str | int | float) -> str:
    try:
        number = float(value)
    except ValueError:
        return str(value)
    result: str = jsonld._canonicalize_double(number)
    return result


def _is_plain_json(value: Any, depth: int) -> bool:
    """True for JSON values built only of dict, list, str, int, finite float, bool and None."""
    if depth > MAX_NODE_DEPTH:
        return False
    kind = type(value)
    if value is None or kind in (str, bool) or kind is int:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_is_plain_json(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_plain_json(v, depth + 1) for k, v in value.items())
    return False
