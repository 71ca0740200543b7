"""Verify many valid and garbled credentials and print every report as JSON lines.

Run by ``test_native_build.py`` twice, as a script: once as the tree is (the modules
``tools/build_native.py`` compiled, when it did) and once with ``--pure``, which makes every
``vc_core`` module load from its ``.py`` source. The two outputs must be equal byte for byte:
mypyc must not change one answer, including on values of the wrong JSON type, which compiled
code checks against the declared types where pure Python does not.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def _source_only() -> None:
    """Load vc_core's modules from source even where a compiled one sits beside it."""
    package = REPO / "vc_core"

    def hook(path: str) -> importlib.machinery.FileFinder:
        if Path(path).resolve().is_relative_to(package):
            return importlib.machinery.FileFinder(
                path, (importlib.machinery.SourceFileLoader, [".py"])
            )
        raise ImportError(path)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


# Values of every JSON kind, and strings a check might trip on.
ODD_VALUES: list[Any] = [None, True, 0, -1, 2**63, 1.5, "", "z", "x" * 300, [], [1], {}, {"a": 1}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _replaced(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def _bench_chain() -> Any:
    """bench/verifier.py, whose build() makes the chain: one office accredited for every type,
    each bundled example issued in both suites and anchored."""
    spec = importlib.util.spec_from_file_location("bench_verifier", REPO / "bench" / "verifier.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    if "--pure" in sys.argv:
        _source_only()
    from vc_core.anchoring import credential_digest
    from vc_core.ledger import AnchorBody, office_tx
    from vc_core.transparency import MerkleTree
    from vc_core.verification import check_credential

    bench = _bench_chain()
    compiled = sum(
        1
        for name, module in sys.modules.items()
        if name.startswith("vc_core") and str(getattr(module, "__file__", "")).endswith(".so")
    )
    print(json.dumps({"compiled_modules": compiled}), file=sys.stderr)
    ledger, by_type, t = bench.build()
    issued = list(by_type.values())
    documents: list[dict[str, Any]] = []
    for credential in issued:
        documents.append(credential)
        for path in _paths(credential):
            documents.extend(_replaced(credential, path, value) for value in ODD_VALUES)
    # Every document is anchored, garbled ones too, so that each one reaches the proof and the
    # chain steps instead of stopping at "not anchored".
    # (The examples themselves are already anchored, in the bench's own batch.)
    leaves = sorted({credential_digest(d) for d in documents} - set(map(credential_digest, issued)))
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    anchor = AnchorBody(
        batch_id="garbled", batch_root=root, leaf_count=len(leaves), leaves=tuple(leaves)
    )
    tx = office_tx(
        bench.CHAIN, "anchor", anchor, office=bench.OFFICE, seq=2, time=t, key=bench.OFFICE_KEY
    )
    ledger.submit(tx, t)
    ledger.produce_block(t)
    now = t + timedelta(seconds=1)
    for document in documents:
        report = check_credential(document, reader=ledger, now=now)
        print(json.dumps(report.model_dump(mode="json"), sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
