"""RDFC-1.0 with bounded work: refuse "poison" graphs instead of spending exponential time.

RDF Dataset Canonicalization (W3C RDFC-1.0, 2024) §4.1 warns that Hash N-Degree Quads (§4.8) can
be driven into exponential work by datasets of many blank nodes that look alike ("poison
graphs"), and asks implementations to bound it. A verifier receives untrusted documents, so the
bound is a denial-of-service guard, not an optimisation.

The bound is the reference implementation's (Digital Bazaar's rdf-canonize, ``maxWorkFactor``
1): at most as many calls of Hash N-Degree Quads, counting recursive calls, as there are blank
nodes left without a canonical identifier after the first-degree stage (§4.4.3 step 5). A
dataset that rdf-canonize canonicalizes with its default limit is canonicalized here, and one it
refuses is refused here, so a credential ecert signs is one the JavaScript ecosystem can verify.

One more bound guards what that count does not: the permutations of one group of related blank
nodes (§4.8.3 step 5.4) are tried inside a single call, ``k!`` of them for ``k`` nodes. Each call
charges ``k! − 1`` for each of its groups against :data:`MAX_PERMUTATIONS` before it starts.

Both raise :class:`~vc_core.errors.CanonicalizationError` with code ``RDFC_WORK_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import math
from typing import Any

from pyld.canon import URDNA2015

from vc_core.errors import CanonicalizationError

WORK_LIMIT_CODE = "RDFC_WORK_LIMIT_EXCEEDED"

# Permutations tried across one canonicalization (§4.8.3 step 5.4). A credential's blank nodes
# are almost always told apart at the first degree; 5,040 permutations (one group of 7) already
# costs about a second in pure Python, so the limit sits just above what a real document needs.
MAX_PERMUTATIONS = 5_040


class BoundedURDNA2015(URDNA2015):  # type: ignore[misc]  # pyld ships no type information
    """pyld's RDFC-1.0 (``URDNA2015``) with the deep-iteration and permutation bounds above."""

    def __init__(self, *, max_permutations: int = MAX_PERMUTATIONS) -> None:
        super().__init__()
        self._remaining_deep: int | None = None
        self._remaining_permutations = max_permutations
        # What the work came to, for tests and diagnostics: the deep-iteration budget once it is
        # known, the deep iterations run, and the permutations charged to calls that ran.
        self.deep_budget: int | None = None
        self.deep_iterations = 0
        self.permutations_run = 0

    def hash_first_degree_quads(self, id_: str) -> str:
        """Hash First Degree Quads (RDFC-1.0 §4.6.3) over each of the node's quads once.

        pyld's step 2 appends a quad to a blank node's list once per position the node fills,
        so ``_:b <p> _:b`` was hashed twice, and related twice in §4.8.3, giving other canonical
        labels than rdf-canonize and a signature it does not verify (found by tests/interop).
        The map holds "the quads in which they appear" (§4.2): a set. Every node's list passes
        here (§4.4.3 step 3) before Hash N-Degree Quads reads it, so that reads the set too.
        """
        info = self.blank_node_info[id_]
        info["quads"] = list({id(quad): quad for quad in info["quads"]}.values())
        result: str = super().hash_first_degree_quads(id_)
        return result

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        """Hash N-Degree Quads (RDFC-1.0 §4.8), refused once the deep-iteration budget is spent."""
        if self._remaining_deep is None:
            # The first deep call happens in §4.4.3 step 6, after step 5 issued canonical
            # identifiers to every blank node with a unique first-degree hash: the ones left
            # are exactly rdf-canonize's "non-unique" count.
            issued = len(self.canonical_issuer.existing)
            self._remaining_deep = self.deep_budget = len(self.blank_node_info) - issued
        if self._remaining_deep <= 0:
            raise CanonicalizationError(
                "the document's blank nodes are too alike to canonicalize within the work limit "
                f"({self.deep_iterations} deep iterations); it is refused as a possible "
                "denial-of-service input (RDFC-1.0 §4.1)",
                code=WORK_LIMIT_CODE,
            )
        self._remaining_deep -= 1
        self.deep_iterations += 1
        result: dict[str, Any] = super().hash_n_degree_quads(id_, issuer)
        return result

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        """§4.8.3 steps 1–3, then charge the permutations step 5.4 will try for each group."""
        groups: dict[str, list[str]] = super().create_hash_to_related(id_, issuer)
        # The first permutation of a group is the call's own work, already counted as a deep
        # iteration; each further one is extra. math.factorial grows fast: the operand is capped.
        cost = sum(math.factorial(min(len(related), 20)) - 1 for related in groups.values())
        if cost > self._remaining_permutations:
            largest = max(len(related) for related in groups.values())
            raise CanonicalizationError(
                f"a group of {largest} indistinguishable blank nodes needs more than "
                f"{MAX_PERMUTATIONS} permutations to canonicalize; the document is refused "
                "as a possible denial-of-service input (RDFC-1.0 §4.1)",
                code=WORK_LIMIT_CODE,
            )
        self._remaining_permutations -= cost
        self.permutations_run += cost
        return groups


def canonical_nquads_bounded(dataset: dict[str, list[dict[str, Any]]]) -> str:
    """Canonical N-Quads of a pyld RDF dataset (RDFC-1.0 §4.4), within the bounds above."""
    result: str = BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
    return result
