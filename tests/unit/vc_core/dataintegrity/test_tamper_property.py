"""Any single change to a signed credential fails verification (property-based).

For every example credential type and both cryptosuites, hypothesis picks one place in the signed
document (a value, a key, a type, the context, or any proof field) and changes it. Each type is
also signed in a "directional" variant whose name and text fields are value objects with a
language and a base direction (``@direction``), so the changes include flipping or renaming a
direction and changing a language. The change is
chosen so that it really changes the data (a different value of the same JSON type, a renamed
key, a swapped pair of different values), never a reordering, which RDFC rightly ignores. CI runs
at least 2,000 examples per suite per type (``CI`` set); a developer run does 150.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts
from vc_core.dataintegrity import CRYPTOSUITES, Expectations, add_proof, check_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair

EXAMPLES_PER_CASE = 2000 if os.environ.get("CI") else 150
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEED = bytes(range(32))
# Every policy check relaxed, so that what catches a change is the signature itself (a changed
# issuer or purpose must break the proof, not merely the policy).
SIGNATURE_ONLY = Expectations(
    any_purpose=True, allow_uncontrolled_key=True, allow_future_created=True, allow_expired=True
)

Path_ = tuple[str | int, ...]


def _example_names() -> list[str]:
    folder = resources.files("schemas").joinpath("examples")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))


def _directional(doc: dict[str, Any]) -> dict[str, Any]:
    """The credential's name and every plain text field of its subject with a direction."""
    doc["name"] = {"@value": str(doc.get("name", "证书")), "@language": "zh", "@direction": "ltr"}
    subject = doc["credentialSubject"]
    for i, (key, value) in enumerate(sorted(subject.items())):
        if isinstance(value, str) and key not in ("id", "type") and not value[:1].isdigit():
            direction = "rtl" if i % 2 else "ltr"
            subject[key] = {"@value": value, "@language": "zh-Hans", "@direction": direction}
            if i % 3 == 0:
                del subject[key]["@language"]
    return doc


@cache
def _signed(example: str, suite: str, directional: bool = False) -> dict[str, Any]:
    key = KeyPair.from_seed(SEED)
    text = resources.files("schemas").joinpath("examples", example).read_text(encoding="utf-8")
    doc = json.loads(text)
    if directional:
        doc = _directional(doc)
    doc["issuer"] = did_key(key.public)
    return add_proof(
        doc,
        key,
        cryptosuite=suite,
        verification_method=verification_method_id(key.public),
        created=CREATED,
    )


def _places(node: Any, path: Path_ = ()) -> list[Path_]:
    """Every value and every key in the document, as paths (a key is marked by a trailing '')."""
    out: list[Path_] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*path, k, ""))
            out.extend(_places(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_places(v, (*path, i)))
    else:
        out.append(path)
    return out


def _changed(value: Any, salt: str) -> Any:
    """A different value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 + len(salt)
    if isinstance(value, float):
        return value * 2 + 1
    if value in ("ltr", "rtl"):
        return "rtl" if value == "ltr" else "ltr"  # a base direction flipped
    if isinstance(value, str):
        return value + (salt or "x")
    return salt or "x"  # null


def _mutate(doc: dict[str, Any], place: Path_, salt: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    parent: Any = out
    *head, last = place
    if last == "":  # rename a key
        *head, key = head
        for step in head:
            parent = parent[step]
        parent[str(key) + (salt or "x")] = parent.pop(key)
        return out
    for step in head:
        parent = parent[step]
    parent[last] = _changed(parent[last], salt)
    return out


CASES = [(e, s) for e in _example_names() for s in CRYPTOSUITES]
DIRECTIONAL_CASES = [(e, s, d) for e, s in CASES for d in (False, True)]


def test_there_are_examples_of_every_type() -> None:
    assert len(_example_names()) >= 5


@pytest.mark.parametrize(("example", "suite", "directional"), DIRECTIONAL_CASES)
def test_signed_example_verifies(example: str, suite: str, directional: bool) -> None:
    signed = _signed(example, suite, directional)
    assert check_proofs(signed, now=CREATED, contexts=default_contexts())


def test_directional_variants_carry_directions() -> None:
    for example in _example_names():
        text = json.dumps(_signed(example, CRYPTOSUITES[0], True))
        assert text.count('"@direction"') >= 3, example


@pytest.mark.parametrize(("example", "suite", "directional"), DIRECTIONAL_CASES)
def test_any_single_change_fails(example: str, suite: str, directional: bool) -> None:
    signed = _signed(example, suite, directional)
    places = _places(signed)
    contexts = default_contexts()

    @settings(
        max_examples=EXAMPLES_PER_CASE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(place=st.sampled_from(places), salt=st.text(alphabet="abcXYZ_1é", max_size=3))
    def single_change_fails(place: Path_, salt: str) -> None:
        tried.append(place)
        tampered = _mutate(signed, place, salt)
        assert tampered != signed
        report = check_proofs(tampered, now=CREATED, contexts=contexts, expect=SIGNATURE_ONLY)
        assert not report, f"change at {place!r} still verified"

    tried: list[Path_] = []
    single_change_fails()
    # The examples really ran: at least the configured number, and over many different places.
    assert len(tried) >= EXAMPLES_PER_CASE
    if 20 * len(places) <= EXAMPLES_PER_CASE:
        # With this many draws every value and key of the document has been changed at least once.
        assert set(tried) == set(places)
    variant = " directional" if directional else ""
    print(
        f"{example}{variant} {suite}: {len(tried)} single changes, {len(set(tried))} places, "
        "all failed"
    )


@pytest.mark.parametrize(("example", "suite"), CASES)
def test_swapping_two_different_values_fails(example: str, suite: str) -> None:
    signed = _signed(example, suite)
    subject = signed["credentialSubject"]
    keys = [k for k, v in subject.items() if isinstance(v, str)]
    swapped = 0
    for a, b in itertools.pairwise(keys):
        if subject[a] == subject[b]:
            continue
        tampered = copy.deepcopy(signed)
        tampered["credentialSubject"][a], tampered["credentialSubject"][b] = subject[b], subject[a]
        assert not check_proofs(tampered, now=CREATED, expect=SIGNATURE_ONLY)
        swapped += 1
    assert swapped > 0


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_context_changes_fail(suite: str) -> None:
    signed = _signed(_example_names()[0], suite)
    for change in (
        lambda c: c[:-1],  # drop the ecert context
        lambda c: [*c, "https://www.w3.org/ns/credentials/examples/v2"],  # append a context
        lambda c: [c[0], "https://w3id.org/security/v2"],  # replace it
    ):
        tampered = copy.deepcopy(signed)
        tampered["@context"] = change(tampered["@context"])
        assert not check_proofs(tampered, now=CREATED, expect=SIGNATURE_ONLY)
