"""Shared fixtures. Fixtures return factories, so tests say what they load."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
NATIVE_MANIFEST = REPO / "vc_core" / "native-manifest.json"


def _native_build() -> Any:
    """tools/build_native.py, which knows what a build of the compiled modules leaves."""
    path = REPO / "tools" / "build_native.py"
    spec = importlib.util.spec_from_file_location("build_native", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config: pytest.Config) -> None:
    stale = _native_build().stale()
    if stale:
        raise pytest.UsageError(
            f"compiled modules do not match their sources ({', '.join(stale)}); "
            "run `make native`, or `.venv/bin/python tools/build_native.py --clean` for pure Python"
        )


def pytest_report_header(config: pytest.Config) -> str:
    if NATIVE_MANIFEST.exists():
        count = len(json.loads(NATIVE_MANIFEST.read_text()))
        return f"ecert: {count} vc_core modules compiled by mypyc (tools/build_native.py)"
    return "ecert: pure Python (no modules compiled)"


def _conformance_dir() -> Path | None:
    env = os.environ.get("ECERT_CONFORMANCE_DIR")
    candidates = [Path(env)] if env else [REPO.parent / "shared" / "conformance"]
    for c in candidates:
        if (c / "eddsa-rdfc-2022").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """The W3C vectors folder; skips (or fails, under ECERT_REQUIRE_CONFORMANCE=1) without it."""
    found = _conformance_dir()
    if found is None:
        reason = (
            "W3C conformance vectors not found at ../shared/conformance "
            "(set ECERT_CONFORMANCE_DIR to their folder)"
        )
        if os.environ.get("ECERT_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(reason + "; CI requires them")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def vector(conformance_dir: Path) -> Callable[[str], Any]:
    """``vector("eddsa-jcs-2022/unsigned.json")`` → parsed JSON, ``.txt`` → exact text."""

    def load(name: str) -> Any:
        path = conformance_dir / name
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix in (".json", ".jsonld") else text

    return load


HOLE = '"@@HOSTILE@@"'


def _hostile_json(template: str | None) -> Any:
    """Hypothesis strategy of JSON-ish bytes that a hostile or careless client sends: valid JSON,
    numbers of any length, surrogate escapes (paired and not), other encodings (UTF-16/32 with
    and without BOM, latin-1, UTF-8 with BOM), deep nesting, NaN/Infinity, duplicate keys and
    plain garbage. With a ``template`` (JSON text holding ``"@@HOSTILE@@"`` once), fragments are
    also placed inside it, so the input gets past the first checks and into the code behind them
    (canonicalization included).
    """
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=12)
    values = st.recursive(
        scalars | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=12,
    )
    digits = st.integers(1, 12_000).map(lambda n: "9" * n)
    numbers = st.one_of(
        st.integers(-(10**40), 10**40).map(str),
        digits,
        digits.map(lambda d: "-" + d),
        digits.map(lambda d: f"{d}.5e{len(d)}"),
        st.sampled_from(["1e999", "-1e999", "1E400", "0.1e-999", "NaN", "Infinity", "-Infinity"]),
    )
    surrogates = st.one_of(
        st.integers(0xD800, 0xDFFF).map(lambda c: f'"\\u{c:04x}"'),
        st.integers(0xD800, 0xDBFF).map(lambda c: f'"x\\u{c:04X}y"'),
        st.just('"\\ud83d\\ude00"'),  # a valid pair: a real character
        st.just('{"\\udfff": 1}'),
    )
    deep = st.integers(30, 120_000).flatmap(
        lambda n: st.sampled_from(["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n])
    )
    fragments = st.one_of(
        values.map(lambda v: json.dumps(v, ensure_ascii=False)),
        numbers,
        surrogates,
        deep,
        st.just('{"a": 1, "a": 2}'),
    )
    texts = st.one_of(fragments, fragments.map(lambda f: f'{{"a": {f}}}'))
    if template is not None:
        texts = st.one_of(texts, fragments.map(lambda f: template.replace(HOLE, f, 1)))
    encodings = st.sampled_from(
        ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"]
    )
    return st.one_of(
        texts.map(lambda t: t.encode("utf-8")),
        st.tuples(texts, encodings).map(lambda p: p[0].encode(p[1], errors="replace")),
        st.binary(max_size=64),
    )


@pytest.fixture(scope="session")
def hostile_json() -> Callable[[str | None], Any]:
    """``hostile_json(template)`` → a hypothesis strategy of hostile JSON-ish bytes (see
    :func:`_hostile_json`); draw from it with ``data.draw(...)`` inside a ``@given`` test."""
    return _hostile_json
