"""The modules tools/build_native.py compiles with mypyc are the ones imported, and they answer
exactly as their pure-Python sources do.

CI installs a compiler (tools/setup/05-compiler.sh), so there a tree without compiled modules
fails these tests instead of skipping them: the speed targets of issue 9 are met only compiled.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / "vc_core" / "native-manifest.json"
SCRIPT = Path(__file__).with_name("native_differential.py")


def _compiled_sources() -> list[str]:
    if not MANIFEST.exists():
        reason = "no compiled modules (make native); pure Python"
        if os.environ.get("CI"):
            pytest.fail(reason + ": CI tests the compiled build")
        pytest.skip(reason)
    return sorted(json.loads(MANIFEST.read_text()))


def test_every_compiled_module_is_the_one_imported() -> None:
    for source in _compiled_sources():
        name = source.removesuffix(".py").replace("/", ".")
        module = importlib.import_module(name)
        assert str(module.__file__).endswith(".so"), f"{name} loads from {module.__file__}"


def test_no_compiled_module_relies_on_cached_property() -> None:
    # A compiled class has no instance __dict__, so functools.cached_property recomputes on
    # every access, silently: vc_core.keys, compiled, expanded its key at every signature (the
    # reason it is not on the list). The build's sources must not use it.
    users = [s for s in _compiled_sources() if "cached_property" in (REPO / s).read_text()]
    assert users == []


def _reports(*flags: str) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *flags],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    header = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout, int(header["compiled_modules"])


def test_compiled_and_pure_python_give_the_same_reports() -> None:
    # About 4,600 documents: each bundled example in both suites, and each with every member
    # (nested ones and the proof's too) replaced by a value of every JSON kind, all anchored so
    # that each reaches the proof and chain steps. A compiled function handed a value of a type
    # its signature does not declare raises TypeError where Python would not.
    expected = len(_compiled_sources())
    compiled, modules = _reports()
    pure, none = _reports("--pure")
    assert modules == expected and none == 0
    assert compiled.count("\n") > 4000
    assert compiled.count('"verdict": "valid"') == 10
    assert compiled == pure
