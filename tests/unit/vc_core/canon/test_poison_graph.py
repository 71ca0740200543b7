"""Poison graphs are refused with a stable code after bounded work (RDFC-1.0 §4.1).

Blank nodes that look alike send Hash N-Degree Quads (§4.8) into exponential work: unbounded,
a clique of 7 blank nodes took 3.7 s here and each further node multiplies that. A verifier gets
untrusted documents, so the work is bounded (``vc_core.canon.bounded``); these tests build such
graphs, check they are refused with ``RDFC_WORK_LIMIT_EXCEEDED`` and that the work done stayed
within the documented bound. The time each took is printed (``pytest -s``), not asserted: this
machine is shared and noisy.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pyld import jsonld
from pyld.canon import URDNA2015

from vc_core.canon import LocalContexts, default_contexts
from vc_core.canon.bounded import MAX_PERMUTATIONS, WORK_LIMIT_CODE, BoundedURDNA2015
from vc_core.canon.fast import rdfc_fast
from vc_core.canon.rdfc import RDF_DIRECTION, rdfc
from vc_core.dataintegrity import add_proof, check_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.errors import CanonicalizationError
from vc_core.keys import KeyPair

GRAPH_CONTEXT = "https://ecert.example/test/graphs/v1"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
KEY = KeyPair.from_seed(bytes(range(32)))


def _contexts() -> LocalContexts:
    document = {
        "@context": {
            "@version": 1.1,
            "knows": {"@id": "https://ex.example/#knows", "@type": "@id"},
            "related": "@included",
        }
    }
    return default_contexts().with_documents({GRAPH_CONTEXT: document})


def _credential(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", GRAPH_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": did_key(KEY.public),
        "credentialSubject": {"id": "did:example:subject"},
        "related": nodes,
    }


def clique(n: int) -> list[dict[str, Any]]:
    """n blank nodes, each knowing every other: all alike at every degree."""
    return [{"id": f"_:n{i}", "knows": [f"_:n{j}" for j in range(n) if j != i]} for i in range(n)]


def cycles(count: int, length: int) -> list[dict[str, Any]]:
    """``count`` disjoint cycles of ``length`` blank nodes (the shape of RDFC poison tests)."""
    return [
        {"id": f"_:c{c}n{i}", "knows": [f"_:c{c}n{(i + 1) % length}"]}
        for c in range(count)
        for i in range(length)
    ]


def alike_leaves(n: int) -> list[dict[str, Any]]:
    """n blank nodes with identical content but no links between them: alike, yet easy."""
    return [{"id": f"_:e{i}", "knows": ["did:example:thing"]} for i in range(n)]


def _dataset(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    options = {**_contexts().pyld_options(), "rdfDirection": RDF_DIRECTION}
    dataset: dict[str, Any] = jsonld.to_rdf(_credential(nodes), options)
    return dataset


def _dataset_copy(dataset: dict[str, Any]) -> dict[str, Any]:
    # pyld's algorithm writes canonical labels into the dataset it is given.
    return copy.deepcopy(dataset)


POISON = {
    "clique of 10": lambda: clique(10),
    "clique of 40": lambda: clique(40),
    "2 cycles of 100": lambda: cycles(2, 100),
    "20 cycles of 6": lambda: cycles(20, 6),
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_poison_graphs_are_refused_within_the_bound(name: str) -> None:
    nodes = POISON[name]()
    dataset = _dataset(nodes)
    algorithm = BoundedURDNA2015()
    started = time.perf_counter()
    with pytest.raises(CanonicalizationError) as raised:
        algorithm.main(dataset, {"format": "application/n-quads"})
    elapsed = time.perf_counter() - started
    assert raised.value.code == WORK_LIMIT_CODE
    # The documented bound: no more deep iterations than blank nodes left after the first
    # degree, and no more permutations than MAX_PERMUTATIONS (the call that would pass it is
    # refused before its permutations run).
    assert algorithm.deep_budget is not None
    assert algorithm.deep_iterations <= algorithm.deep_budget <= len(nodes)
    assert algorithm.permutations_run <= MAX_PERMUTATIONS
    print(
        f"{name}: refused after {algorithm.deep_iterations} deep iterations "
        f"(budget {algorithm.deep_budget}), {algorithm.permutations_run} permutations, "
        f"{elapsed * 1000:.1f} ms"
    )


Canon = Callable[[dict[str, Any], LocalContexts], str]


@pytest.mark.parametrize("canonicalize", [rdfc, rdfc_fast], ids=["reference", "fast"])
def test_both_canonicalizers_refuse_a_poison_credential(canonicalize: Canon) -> None:
    with pytest.raises(CanonicalizationError) as raised:
        canonicalize(_credential(clique(12)), _contexts())
    assert raised.value.code == WORK_LIMIT_CODE


def test_signing_and_verifying_a_poison_credential_fail_with_the_code() -> None:
    doc = _credential(cycles(3, 30))
    with pytest.raises(CanonicalizationError) as raised:
        add_proof(
            doc,
            KEY,
            cryptosuite="eddsa-rdfc-2022",
            verification_method=verification_method_id(KEY.public),
            created=datetime(2026, 1, 1, tzinfo=UTC),
            contexts=_contexts(),
        )
    assert raised.value.code == WORK_LIMIT_CODE
    # A verifier handed one with a well-formed proof reports the code instead of hanging.
    signed = add_proof(
        _credential(alike_leaves(3)),
        KEY,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=verification_method_id(KEY.public),
        created=datetime(2026, 1, 1, tzinfo=UTC),
        contexts=_contexts(),
    )
    doc = {**signed, "related": cycles(3, 30)}
    report = check_proofs(doc, now=NOW, contexts=_contexts())
    assert not report
    assert [e.code for e in report.errors] == [WORK_LIMIT_CODE]


@pytest.mark.parametrize("n", [2, 50, 400])
def test_alike_blank_nodes_that_are_not_poison_still_canonicalize(n: int) -> None:
    # Each of these needs one deep iteration per blank node: within the bound, and the answer
    # is the unbounded reference's.
    dataset = _dataset(alike_leaves(n))
    bounded = BoundedURDNA2015().main(_dataset_copy(dataset), {"format": "application/n-quads"})
    unbounded = URDNA2015().main(_dataset_copy(dataset), {"format": "application/n-quads"})
    assert bounded == unbounded
    assert rdfc(_credential(alike_leaves(n)), _contexts()) == bounded
