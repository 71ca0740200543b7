"""Compile the verification hot path with mypyc, in place, or leave ecert pure Python.

Run by ``make`` after the install (``make native``): ``.venv/bin/python tools/build_native.py``.

Why: a bank's verifier spends its time in a few pure-Python modules (the JSON-LD term walk,
JCS, the proof and the DESIGN §5 steps). mypyc, which ships with mypy, compiles exactly these
typed modules to C extensions with no change to their source; issue 9's in-process target for a
property deed signed with eddsa-jcs-2022 (≤ 0.15 ms) is met only compiled (bench/verifier.py).

How:

- The modules are built in a temporary directory by the venv's own mypy, so mypyc sees the
  installed libraries' types, and the results are copied next to their sources only when every
  one of them built: all compiled or none. The shared library is ``vc_core/native__mypyc…so``,
  inside the package, so the editable install's finder imports it like any submodule.
- Without a C compiler or Python's headers, or with ``ECERT_PURE_PYTHON=1``, the modules stay
  pure Python, with one line on stderr; the code and its answers are the same, only slower.
- ``vc_core/native-manifest.json`` records the SHA-256 of each compiled source. A compiled
  module whose source has changed since would shadow the edit, so ``tests/conftest.py`` refuses
  to run on one, and this script rebuilds when a hash differs (``make`` calls it every time; it
  returns at once when nothing changed).
- ``--clean`` removes every compiled file and the manifest (back to pure Python).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "vc_core" / "native-manifest.json"
GROUP = "vc_core.native"

# The modules a verification runs through, by the time each takes (profile of bench/verifier.py).
# Not here: modules defining pydantic models (mypyc cannot compile their metaclass), classes that
# code elsewhere subclasses (vc_core.ledger.queries), and the rdfc labelling (fast_c14n), whose
# tests watch its calls into pyld; vc_core.keys, whose functools.cached_property caches nothing on
# a compiled class (no instance __dict__): KeyPair.sign would expand its key at every signature.
MODULES = (
    "vc_core/canon/fast_rdf.py",
    "vc_core/canon/fast.py",
    "vc_core/canon/fast_contexts.py",
    "vc_core/canon/jcs.py",
    "vc_core/primitives.py",
    "vc_core/times.py",
    "vc_core/dataintegrity/verify.py",
    "vc_core/dataintegrity/suites.py",
    "vc_core/verification/steps.py",
    "vc_core/verification/chain.py",
    "vc_core/verification/vcdm.py",
    "vc_core/verification/document.py",
    "vc_core/verification/credential.py",
    "vc_core/did_resolver.py",
    "vc_core/identifiers/uscc.py",
    "vc_core/identifiers/resident_id.py",
    "vc_core/identifiers/property.py",
    "vc_core/credential_types.py",
    "vc_core/verification/receipt.py",
    "vc_core/did.py",
    "vc_core/did_ecert.py",
    "vc_core/dataintegrity/proofs.py",
    "vc_core/jsonio.py",
    "vc_core/verification/records.py",
)


def _digest(source: str) -> str:
    return hashlib.sha256((REPO / source).read_bytes()).hexdigest()


def source_hashes() -> dict[str, str]:
    return {m: _digest(m) for m in MODULES}


def _suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def _files_of(modules: Iterable[str]) -> set[Path]:
    """The files a build of ``modules`` leaves in the tree, the shared library included."""
    found = {REPO / (m[: -len(".py")] + _suffix()) for m in modules}
    found.add(REPO / (GROUP.replace(".", "/") + "__mypyc" + _suffix()))
    return found


def expected_files() -> set[Path]:
    """The files a build of MODULES leaves in the tree."""
    return _files_of(MODULES)


def compiled_files() -> set[Path]:
    """Every compiled file in vc_core, including those of modules no longer in MODULES: one left
    behind would load against a shared library that no longer holds it."""
    return set((REPO / "vc_core").rglob("*" + _suffix()))


def _recorded() -> dict[str, str] | None:
    """The manifest of the last build, or None (no build, or a manifest that does not parse)."""
    try:
        found = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def stale() -> list[str]:
    """What does not match the last build's sources: a source edited since it was compiled, or
    a compiled file that build did not make. ``tests/conftest.py`` refuses to run on any (the
    compiled module, not the edit, would be tested). Empty when nothing is compiled."""
    compiled = compiled_files()
    if not compiled:
        return []
    recorded = _recorded()
    if recorded is None:
        return sorted(str(p.relative_to(REPO)) for p in compiled)
    edited = [source for source, digest in sorted(recorded.items()) if _digest(source) != digest]
    strays = compiled - _files_of(recorded)
    return edited + sorted(str(p.relative_to(REPO)) for p in strays)


def up_to_date() -> bool:
    """The last build is of MODULES as they are now, and nothing else is compiled."""
    return _recorded() == source_hashes() and compiled_files() == expected_files()


def clean() -> None:
    for path in compiled_files():
        path.unlink()
    MANIFEST.unlink(missing_ok=True)


def _why_not() -> str | None:
    if os.environ.get("ECERT_PURE_PYTHON") == "1":
        return "ECERT_PURE_PYTHON=1"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.exists():
        return f"no Python headers ({include})"
    try:
        import mypyc  # noqa: F401
    except ImportError:
        return "mypyc is not installed"
    return None


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify

modules = sys.argv[1:]
sys.argv = [sys.argv[0], "build_ext", "--inplace"]
setup(
    name="ecert-native",
    ext_modules=mypycify(
        ["--ignore-missing-imports", *modules], group_name={group!r}, opt_level="3"
    ),
)
"""


def build() -> str | None:
    """Compile in a scratch directory; copy into the tree only if everything built."""
    with tempfile.TemporaryDirectory(prefix="ecert-native-") as scratch:
        work = Path(scratch)
        shutil.copytree(
            REPO / "vc_core", work / "vc_core", ignore=shutil.ignore_patterns("*.so", "__pycache__")
        )
        (work / "setup_native.py").write_text(_SETUP.format(group=GROUP))
        # The project's own mypy settings that change types (pyproject.toml has the rest).
        (work / "mypy.ini").write_text("[mypy]\nplugins = pydantic.mypy\n")
        # Our own interpreter on our own files: nothing untrusted reaches the command line.
        done = subprocess.run(  # noqa: S603
            [sys.executable, "setup_native.py", *MODULES],
            check=False,
            cwd=work,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return "mypyc failed: " + " | ".join(tail)
        built = sorted(str(p.relative_to(REPO)) for p in expected_files())
        missing = [b for b in built if not (work / b).exists()]
        if missing:
            return f"mypyc did not produce {missing[0]}"
        clean()
        for name in built:
            shutil.copy2(work / name, REPO / name)
    MANIFEST.write_text(json.dumps(source_hashes(), indent=1, sort_keys=True) + "\n")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="remove compiled files (pure Python)")
    args = parser.parse_args()
    if args.clean:
        clean()
        return 0
    if up_to_date():
        return 0
    reason = _why_not()
    if reason is None:
        print(f"compiling {len(MODULES)} modules with mypyc (about a minute)…", file=sys.stderr)
        reason = build()
    if reason is not None:
        clean()
        print(f"ecert stays pure Python (correct, slower): {reason}", file=sys.stderr)
        return 0
    print("compiled; vc_core/native-manifest.json records the sources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
