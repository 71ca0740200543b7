"""Every stable error code is typed once: as a member of a ``StrEnum``, never as a repeated literal.

Tests and HTTP clients match on these strings, and problem ``type`` URIs derive from them, so a
code spelt by hand in two places can drift apart silently. This test reads the source of
vc_core, registry and ecert with :mod:`ast` and looks at every string literal passed as the
``code`` keyword (``MalformedError(..., code="...")``, ``fail(..., code="...")``):

- no literal value may appear twice: a code used in two places belongs in an enum;
- no literal may repeat the value of an enum member defined there: use the member.

Docstrings and doctests (``code="X"`` in an example) are text, not keyword arguments, so the scan
does not see them. Two enums may still share a value when they name the same condition in two
families (``IssuanceCode`` and ``CredentialTypeCode`` both say ``VALIDITY_PERIOD_INVALID``); each
is still typed once.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vc_core", "registry", "ecert")

# A literal that repeats an enum value but cannot import the enum. primitives sits below
# vc_core.dataintegrity, whose package imports primitives back, so ProofCode would be a cycle.
ALLOWED_ENUM_REPEATS = {("vc_core/primitives.py", "PROOF_VERIFICATION_ERROR")}


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def code_literals(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Each string literal passed as a ``code=`` keyword, with its line."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "code"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield node.value.value, node.value.lineno


def enum_values(tree: ast.Module) -> Iterator[str]:
    """The values of the members of each ``StrEnum`` defined at the top of a module."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id == "StrEnum" for base in node.bases
        ):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                    yield str(statement.value.value)


def _scan() -> tuple[dict[str, list[str]], set[str]]:
    literals: dict[str, list[str]] = defaultdict(list)
    members: set[str] = set()
    for name, tree in _sources():
        for value, line in code_literals(tree):
            literals[value].append(f"{name}:{line}")
        members.update(enum_values(tree))
    return literals, members


def test_the_scan_sees_code_literals_and_enums() -> None:
    # The guard of the checks below: a scan that found nothing would pass them vacuously.
    tree = ast.parse('class C(StrEnum):\n    A = "A"\n\nraise E("m", code="B")\nf(code=C.A)\n')
    assert list(code_literals(tree)) == [("B", 4)]
    assert list(enum_values(tree)) == ["A"]
    literals, members = _scan()
    assert literals, "no code= literal found: the scan is broken"
    assert {"SEALED_FILE_INVALID", "TX_NOT_FOUND", "FILE_NOT_FOUND", "BAD_OPTION"} <= members


def test_no_code_literal_is_typed_twice() -> None:
    literals, _ = _scan()
    repeated = {value: places for value, places in literals.items() if len(places) > 1}
    assert not repeated, f"make these codes members of a StrEnum and use the member: {repeated}"


def test_no_code_literal_repeats_an_enum_member() -> None:
    literals, members = _scan()
    repeats = {
        value: place
        for value, places in literals.items()
        if value in members
        for place in places
        if (place.rsplit(":", 1)[0], value) not in ALLOWED_ENUM_REPEATS
    }
    assert not repeats, f"use the existing enum member instead of the literal: {repeats}"


@pytest.mark.parametrize(("path", "value"), sorted(ALLOWED_ENUM_REPEATS))
def test_allowed_repeats_are_still_there(path: str, value: str) -> None:
    # An exception that no longer applies should be removed rather than linger.
    tree = ast.parse((ROOT / path).read_text())
    assert value in {v for v, _ in code_literals(tree)}
