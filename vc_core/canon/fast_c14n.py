"""RDFC-1.0 canonical N-Quads for the common case, in pure Python, identical to pyld's.

RDF Dataset Canonicalization (W3C RDFC-1.0, 2024) labels blank nodes in two stages. Hash First
Degree Quads (§4.6) hashes each blank node's own quads; every blank node whose hash is unique is
labelled in hash order (§4.4.3 steps 3–4). Only blank nodes that share a hash need Hash N-Degree
Quads (§4.8), which is where the cost and the poisoning risk (§4.1) live.

In a credential every blank node (the credential, its subject, a proof graph, nested objects)
usually has distinct first-degree quads, so this module does the first stage itself and hands
the whole dataset to pyld's URDNA2015 implementation, the reference, whenever any hash repeats.
Quads are written exactly as pyld writes them (``serialize_nquad`` and ``escape`` in
pyld/nquads.py), including its narrower escaping, and hashed as pyld hashes them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from vc_core.canon.bounded import canonical_nquads_bounded
from vc_core.canon.fast_contexts import Unsupported
from vc_core.canon.fast_rdf import Quad, QuadSink


def _line(subject: str, predicate: str, obj: str, graph: str) -> str:
    # pyld serialize_nquad: "s p o ." or "s p o g ." with a line feed (RDFC-1.0 §4.4.3 step 5).
    if graph:
        return f"{subject} {predicate} {obj} {graph} .\n"
    return f"{subject} {predicate} {obj} .\n"


def _blank_node_quads(quads: list[Quad]) -> dict[str, list[Quad]]:
    """RDFC-1.0 §4.4.3 step 2: each blank node's quads (subject, object and graph positions).

    A quad is listed once for each blank node in it, even when the node fills two positions
    (``_:b <p> _:b``): the map relates a blank node to "the quads in which they appear" (§4.2),
    as rdf-canonize keeps them (a Set). pyld lists such a quad twice; see
    :class:`.bounded.BoundedURDNA2015`.
    """
    found: dict[str, list[Quad]] = {}
    for quad in quads:
        subject, _, obj, graph = quad
        if subject[0] == "_":
            found.setdefault(subject, []).append(quad)
        if obj[0] == "_" and obj != subject:
            found.setdefault(obj, []).append(quad)
        if graph and graph[0] == "_" and graph not in (subject, obj):
            found.setdefault(graph, []).append(quad)
    return found


def _first_degree_hash(label: str, quads: list[Quad]) -> str:
    """Hash First Degree Quads (RDFC-1.0 §4.6.3).

    Each quad is serialized with the reference blank node as ``_:a`` and any other blank node as
    ``_:z`` (step 3.1); the lines are sorted in code point order (step 4) and hashed with SHA-256.
    """
    lines = []
    for subject, predicate, obj, graph in quads:
        s = subject if subject[0] != "_" else ("_:a" if subject == label else "_:z")
        o = obj if obj[0] != "_" else ("_:a" if obj == label else "_:z")
        g = graph if not graph or graph[0] != "_" else ("_:a" if graph == label else "_:z")
        lines.append(_line(s, predicate, o, g))
    lines.sort()
    try:
        data = "".join(lines).encode("utf-8")
    except UnicodeEncodeError as exc:
        # A lone surrogate cannot be hashed; the reference raises its own error for it.
        raise Unsupported("text that is not valid Unicode") from exc
    return hashlib.sha256(data).hexdigest()


def canonical_nquads(sink: QuadSink) -> str:
    """Canonical N-Quads of the dataset in ``sink`` (RDFC-1.0 §4.4.3 and §4.4.4)."""
    quads = sink.quads
    by_blank_node = _blank_node_quads(quads)
    # RDFC-1.0 §4.4.3 step 3: the first-degree hash of every blank node.
    hashes = {label: _first_degree_hash(label, own) for label, own in by_blank_node.items()}
    if len(set(hashes.values())) != len(hashes):
        # Two blank nodes share a hash: Hash N-Degree Quads (§4.8) decides. pyld does it, on
        # exactly this dataset and within the reference's work bounds (see .bounded), so the
        # result, or the refusal, is the reference's by construction.
        return _reference_canonical_nquads(sink)
    # RDFC-1.0 §4.4.3 step 4: issue c14n identifiers in code point order of the hashes.
    canonical = {
        label: f"_:c14n{index}"
        for index, label in enumerate(sorted(hashes, key=hashes.__getitem__))
    }
    # RDFC-1.0 §4.4.3 step 5 and §4.4.4: relabel, serialize, sort in code point order, join.
    lines = []
    for subject, predicate, obj, graph in quads:
        lines.append(
            _line(
                canonical.get(subject, subject),
                predicate,
                canonical.get(obj, obj),
                canonical.get(graph, graph),
            )
        )
    lines.sort()
    return "".join(lines)


def _term(text: str, literals: dict[str, tuple[str, str]]) -> dict[str, Any]:
    # pyld's in-memory RDF term: {"type": "IRI" | "blank node" | "literal", "value": …}.
    if text[0] == "<":
        return {"type": "IRI", "value": text[1:-1]}
    if text[0] == "_":
        return {"type": "blank node", "value": text}
    lexical, datatype = literals[text]
    return {"type": "literal", "value": lexical, "datatype": datatype}


def _reference_canonical_nquads(sink: QuadSink) -> str:
    """pyld's URDNA2015 (= RDFC-1.0) over this dataset, for the blank nodes only it can label."""
    dataset: dict[str, list[dict[str, Any]]] = {}
    for subject, predicate, obj, graph in sink.quads:
        name = graph[1:-1] if graph.startswith("<") else (graph or "@default")
        dataset.setdefault(name, []).append(
            {
                "subject": _term(subject, sink.literals),
                "predicate": _term(predicate, sink.literals),
                "object": _term(obj, sink.literals),
            }
        )
    return canonical_nquads_bounded(dataset)
