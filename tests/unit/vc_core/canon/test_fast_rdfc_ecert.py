"""The fast RDFC path on ecert's own credentials (schemas/examples, ecert context v1).

Each example, as issued (issuer set), with a proof attached, and as a proof configuration, must
take the fast path and give exactly the reference's N-Quads. A property-based test then puts
random values into the example's credentialSubject fields (the terms the ecert context defines
for that credential type) and shuffles every object's key order.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.canon.fast import rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import rdfc

Observe = Callable[..., tuple[Any, ...]]

EXAMPLES_PER_TEST = 2000 if os.environ.get("CI") else 200
ISSUER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
PROOF_OPTIONS = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2026-01-02T03:04:05Z",
    "verificationMethod": f"{ISSUER}#{ISSUER.removeprefix('did:key:')}",
    "proofPurpose": "assertionMethod",
}

# Text an ecert document may carry: no control characters other than tab, LF and CR, which the
# reference refuses (rdfc.UNESCAPED_CONTROL) and so never reach the fast path.
_CONTROL = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def signable_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(exclude_characters=_CONTROL, exclude_categories=("Cs",)), max_size=max_size
    )


def _example_names() -> list[str]:
    folder = resources.files("schemas").joinpath("examples")
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))


@cache
def _issued(name: str) -> dict[str, Any]:
    text = resources.files("schemas").joinpath("examples", name).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    doc["issuer"] = ISSUER
    return doc


def _forms(name: str) -> dict[str, dict[str, Any]]:
    issued = copy.deepcopy(_issued(name))
    signed = {**copy.deepcopy(issued), "proof": {**PROOF_OPTIONS, "proofValue": "z5xyz"}}
    config = {**PROOF_OPTIONS, "@context": issued["@context"]}
    return {"issued": issued, "signed": signed, "proof configuration": config}


NAMES = _example_names()
pytestmark = pytest.mark.skipif(not NAMES, reason="schemas/examples holds no examples yet")


@pytest.mark.parametrize("form", ["issued", "signed", "proof configuration"])
@pytest.mark.parametrize("name", NAMES)
def test_examples_take_the_fast_path(name: str, form: str) -> None:
    doc = _forms(name)[form]
    ctx = default_contexts()
    fast = try_rdfc_fast(doc, ctx)
    assert fast is not None
    assert fast == rdfc(doc, ctx)


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of every scalar under a JSON value."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _set(node: Any, path: tuple[str | int, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@st.composite
def _reordered(draw: st.DrawFn, node: Any) -> Any:
    if isinstance(node, dict):
        order = draw(st.permutations(list(node)))
        return {key: draw(_reordered(node[key])) for key in order}
    if isinstance(node, list):
        return [draw(_reordered(item)) for item in node]
    return node


scalars = st.one_of(
    signable_text(10),
    # Numbers RDF carries exactly (see fidelity.check_rdf_number): integers a double holds,
    # and doubles of at most 15 significant digits, which survive the 16-digit lexical form,
    # but for a one-digit fraction below 10^-6, which jsonld.js misreads (NUMBER_NOT_INTEROPERABLE).
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(min_value=-1e15, max_value=1e15)
    .map(lambda f: float(f"{f:.14e}"))
    .filter(lambda f: not (f != 0 and abs(f) < 1e-6 and "." not in repr(f))),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def _lexical(value: Any) -> str:
    """Roughly the literal a scalar becomes; equal here means the quads could be equal."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@st.composite
def _varied_examples(draw: st.DrawFn, arbitrary: bool) -> dict[str, Any]:
    doc = copy.deepcopy(_issued(draw(st.sampled_from(NAMES))))
    subject = doc["credentialSubject"]
    paths = draw(st.lists(st.sampled_from(_leaves(subject)), unique=True, max_size=6))
    if arbitrary:
        values = [draw(json_values) for _ in paths]
    else:
        # Distinct values, so that two entries of one array never become the same quad (which
        # the reference handles inconsistently, so the fast path leaves it to the reference).
        values = draw(
            st.lists(scalars, min_size=len(paths), max_size=len(paths), unique_by=_lexical)
        )
    for path, value in zip(paths, values, strict=True):
        _set(subject, path, value)
    reordered: dict[str, Any] = draw(_reordered(doc))
    return reordered


SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@given(doc=_varied_examples(arbitrary=False))
@SETTINGS
def test_random_scalars_in_defined_fields_take_the_fast_path(doc: dict[str, Any]) -> None:
    ctx = default_contexts()
    fast = try_rdfc_fast(doc, ctx)
    assert fast is not None
    assert fast == rdfc(doc, ctx)


@given(doc=_varied_examples(arbitrary=True))
@SETTINGS
def test_random_json_in_defined_fields_gives_the_reference_outcome(doc: dict[str, Any]) -> None:
    ctx = default_contexts()

    def run(canonicalize: Callable[..., str]) -> tuple[Any, ...]:
        try:
            return ("ok", canonicalize(doc, ctx))
        except Exception as exc:
            return ("raised", type(exc).__name__, getattr(exc, "code", None), str(exc))

    assert run(rdfc_fast) == run(rdfc)
