"""Core benchmarks: canonicalization, sign and verify-proof, beside raw Ed25519 in the same run.

Run: ``.venv/bin/python bench/core.py`` (``--quick`` for a short run, ``--approaches`` to also
time the canonicalization approaches that were considered).

1. Raw Ed25519 sign and verify of a 64-byte message (PyNaCl, keys prepared once): the yardstick.
2. RDFC-1.0 canonicalization of each ecert example and W3C vector: the pyld reference
   (:func:`vc_core.canon.rdfc.rdfc`) against :func:`vc_core.canon.fast.rdfc_fast`, checked
   byte-identical before timing.
3. ``add_proof`` and ``verify_proofs`` per credential type and cryptosuite, with the data
   integrity code as it is wired now ("as wired") and with its canonicalizer swapped for the
   other implementation, so both numbers exist whichever one the code currently calls.
4. The target of the core issue: rdfc verify-proof of the property deed ≤ 8 × raw Ed25519
   verify, the two timed alternately, call by call, in this run.

Every figure is the median of per-call ``time.perf_counter_ns`` samples after a warm-up; the
machine is shared and noisy, so medians, not means. Examples come from ``schemas/examples``
(issuer set to the key's did:key); the W3C vectors are used when ../shared/conformance exists.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from importlib import metadata, resources
from pathlib import Path
from typing import Any

# Keep bench/ itself off the import path (bench/registry.py shares a package's name).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import nacl.signing  # noqa: E402

from vc_core.canon import LocalContexts, default_contexts  # noqa: E402
from vc_core.canon.fast import check_terms_fast, rdfc_fast, try_rdfc_fast  # noqa: E402
from vc_core.canon.rdfc import expand_strict, rdfc  # noqa: E402
from vc_core.dataintegrity import add_proof, suites, verify_proofs  # noqa: E402
from vc_core.did import did_key, verification_method_id  # noqa: E402
from vc_core.keys import KeyPair  # noqa: E402

TARGET_RATIO = 8.0
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEED = bytes(range(32))
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
W3C_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://w3id.org/citizenship/v4rc1": "citizenship-v4rc1.jsonld",
}
W3C_DOCS = {
    "w3c unsigned": "eddsa-rdfc-2022/unsigned.json",
    "w3c employ": "eddsa-rdfc-2022/employ/employmentAuth.json",
    "w3c proof config": "eddsa-rdfc-2022/proofConfigDataInt.json",
    "w3c signed chain 2": "eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json",
}


class Timer:
    """Median per-call time in µs: warm-up, then at least ``min_rounds`` samples or a budget."""

    def __init__(self, *, budget_s: float, min_rounds: int, max_rounds: int) -> None:
        self.budget_ns = int(budget_s * 1e9)
        self.min_rounds = min_rounds
        self.max_rounds = max_rounds

    def median_us(self, fn: Callable[[], object]) -> float:
        for _ in range(max(5, self.min_rounds // 10)):
            fn()
        samples: list[int] = []
        start = time.perf_counter_ns()
        while len(samples) < self.max_rounds and (
            len(samples) < self.min_rounds or time.perf_counter_ns() - start < self.budget_ns
        ):
            t0 = time.perf_counter_ns()
            fn()
            samples.append(time.perf_counter_ns() - t0)
        return statistics.median(samples) / 1000

    def paired_us(self, a: Callable[[], object], b: Callable[[], object]) -> tuple[float, float]:
        """Medians of ``a`` and ``b`` timed alternately, so both see the same machine load."""
        for _ in range(max(5, self.min_rounds // 10)):
            a()
            b()
        times_a: list[int] = []
        times_b: list[int] = []
        start = time.perf_counter_ns()
        while len(times_a) < self.max_rounds and (
            len(times_a) < self.min_rounds or time.perf_counter_ns() - start < 2 * self.budget_ns
        ):
            t0 = time.perf_counter_ns()
            a()
            t1 = time.perf_counter_ns()
            b()
            t2 = time.perf_counter_ns()
            times_a.append(t1 - t0)
            times_b.append(t2 - t1)
        return statistics.median(times_a) / 1000, statistics.median(times_b) / 1000


def _conformance_dir() -> Path | None:
    env = os.environ.get("ECERT_CONFORMANCE_DIR")
    candidate = Path(env) if env else _HERE.parent.parent / "shared" / "conformance"
    return candidate if (candidate / "eddsa-rdfc-2022").is_dir() else None


def _examples(issuer: str) -> dict[str, dict[str, Any]]:
    folder = resources.files("schemas").joinpath("examples")
    out: dict[str, dict[str, Any]] = {}
    if folder.is_dir():
        for item in sorted(folder.iterdir(), key=lambda p: p.name):
            if item.name.endswith(".json"):
                doc = json.loads(item.read_text(encoding="utf-8"))
                doc["issuer"] = issuer
                out[item.name.removesuffix(".json")] = doc
    return out


def _w3c(conformance: Path | None) -> tuple[LocalContexts | None, dict[str, dict[str, Any]]]:
    if conformance is None:
        return None, {}
    ctx = default_contexts().with_files(
        {url: conformance / "contexts" / name for url, name in W3C_CONTEXTS.items()}
    )
    docs = {}
    for label, name in W3C_DOCS.items():
        doc = json.loads((conformance / name).read_text(encoding="utf-8"))
        if "proofConfig" in name:
            doc["@context"] = json.loads(
                (conformance / "eddsa-rdfc-2022/unsigned.json").read_text(encoding="utf-8")
            )["@context"]
        docs[label] = doc
    return ctx, docs


@contextlib.contextmanager
def wired(canonicalize: Callable[[Mapping[str, Any], LocalContexts], str] | None) -> Iterator[str]:
    """Run the data integrity code with ``canonicalize`` as its RDFC (None: leave it as is).

    The swap goes through ``suites._rdfc`` (the one switch the lead's code has) and, for the JCS
    suite's undefined-term check, ``suites.check_terms_fast``. Bench-only; nothing is changed for
    any other caller and both are restored on exit.
    """
    if canonicalize is None:
        yield "as wired"
        return
    saved_rdfc = getattr(suites, "_rdfc")  # noqa: B009  (bench-only swap of a private switch)
    saved_check = getattr(suites, "check_terms_fast")  # noqa: B009
    fast = canonicalize is rdfc_fast
    setattr(suites, "_rdfc", lambda: canonicalize)  # noqa: B010
    setattr(suites, "check_terms_fast", check_terms_fast if fast else expand_strict)  # noqa: B010
    try:
        yield "fast" if fast else "pyld reference"
    finally:
        setattr(suites, "_rdfc", saved_rdfc)  # noqa: B010
        setattr(suites, "check_terms_fast", saved_check)  # noqa: B010


def _currently_wired() -> str:
    current = suites._rdfc()
    return "fast" if current is rdfc_fast else "pyld reference" if current is rdfc else "other"


def _row(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)


def raw_ed25519() -> tuple[Callable[[], object], Callable[[], object]]:
    """Raw PyNaCl sign and verify of a 64-byte message (the size of hashData), keys prepared."""
    signing = nacl.signing.SigningKey(SEED)
    verifying = signing.verify_key
    message = bytes(range(64))
    signature = signing.sign(message).signature
    return (lambda: signing.sign(message)), (lambda: verifying.verify(message, signature))


def bench_target(
    timer: Timer, slow: Timer, deed: dict[str, Any], key: KeyPair, raw_verify: Callable[[], object]
) -> None:
    """The core issue's target, each mode timed alternately with raw verify (same load)."""
    vm = verification_method_id(key.public)
    print(f"\nTarget: rdfc verify-proof(property deed) ≤ {TARGET_RATIO:g} × raw Ed25519 verify")
    print("  (each pair timed alternately, call by call, so both see the same machine load)")
    for choice in (rdfc, rdfc_fast):
        with wired(choice) as mode:
            signed = add_proof(
                deed, key, cryptosuite="eddsa-rdfc-2022", verification_method=vm, created=CREATED
            )
            runner = timer if choice is rdfc_fast else slow
            raw_us, verify_us = runner.paired_us(
                raw_verify, partial(verify_proofs, signed, now=CREATED)
            )
            ratio = verify_us / raw_us
            verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
            print(
                f"  {mode:15} verify {verify_us:8,.0f} µs / raw {raw_us:5.1f} µs"
                f" = {ratio:5.1f}x  {verdict}"
            )


def bench_canonicalization(
    timer: Timer, slow: Timer, sets: list[tuple[LocalContexts, dict[str, dict[str, Any]]]]
) -> None:
    print("\nRDFC-1.0 canonicalization, median µs per document")
    widths = [26, 6, 10, 8, 8, 9]
    print(_row(["document", "quads", "pyld ref", "fast", "speedup", "fast path"], widths))
    for ctx, docs in sets:
        for label, doc in docs.items():
            reference = rdfc(doc, ctx)
            fast_only = try_rdfc_fast(doc, ctx)
            if rdfc_fast(doc, ctx) != reference:
                raise SystemExit(f"{label}: fast output differs from the reference")
            ref_us = slow.median_us(partial(rdfc, doc, ctx))
            fast_us = timer.median_us(partial(rdfc_fast, doc, ctx))
            cells = [
                label,
                str(reference.count("\n")),
                f"{ref_us:,.0f}",
                f"{fast_us:,.0f}",
                f"{ref_us / fast_us:.1f}x",
                "yes" if fast_only is not None else "NO",
            ]
            print(_row(cells, widths))


def bench_proofs(
    timer: Timer,
    slow: Timer,
    examples: dict[str, dict[str, Any]],
    key: KeyPair,
    raw_verify_us: float,
) -> None:
    """Sign and verify per example, suite and canonicalizer."""
    vm = verification_method_id(key.public)
    print(
        f"\nadd_proof / verify_proofs, median µs (data integrity now calls: {_currently_wired()})"
    )
    widths = [22, 16, 15, 9, 9, 11]
    print(_row(["credential", "suite", "canonicalizer", "sign", "verify", "verify/raw"], widths))
    for choice in (rdfc, rdfc_fast):
        with wired(choice) as mode:
            runner = timer if choice is rdfc_fast else slow
            for name, doc in examples.items():
                for suite in SUITES:

                    def sign(d: dict[str, Any] = doc, s: str = suite) -> dict[str, Any]:
                        return add_proof(
                            d, key, cryptosuite=s, verification_method=vm, created=CREATED
                        )

                    signed = sign()
                    verify_proofs(copy.deepcopy(signed), now=CREATED)
                    sign_us = runner.median_us(sign)
                    verify_us = runner.median_us(partial(verify_proofs, signed, now=CREATED))
                    cells = [
                        name,
                        suite,
                        mode,
                        f"{sign_us:,.0f}",
                        f"{verify_us:,.0f}",
                        f"{verify_us / raw_verify_us:.1f}x",
                    ]
                    print(_row(cells, widths))


def bench_approaches(slow: Timer, ctx: LocalContexts, docs: dict[str, dict[str, Any]]) -> None:
    """The canonicalization approaches considered, for the record (see the fast module)."""
    import pyoxigraph as ox
    from pyld import jsonld

    print("\nApproaches considered, median µs per document (W3C vectors)")
    widths = [20, 9, 11, 12, 11, 13]
    header = ["document", "pyld exp", "pyld toRdf*", "ox canon**", "ox JSON-LD", "ox JSON-LD ok"]
    print(_row(header, widths))
    options = ctx.pyld_options()
    for label, doc in docs.items():
        expanded = expand_strict(doc, ctx)
        nquads = jsonld.to_rdf(expanded, {**options, "format": "application/n-quads"})

        def ox_canon(text: str = nquads) -> bytes:
            dataset = ox.Dataset(ox.parse(text, ox.RdfFormat.N_QUADS))
            dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
            return ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""

        inlined = json.dumps(
            {**doc, "@context": [ctx.document(u)["@context"] for u in doc["@context"]]}
        )

        def ox_jsonld(text: str = inlined) -> bytes:
            dataset = ox.Dataset(ox.parse(text, ox.RdfFormat.JSON_LD))
            dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
            return ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""

        reference = rdfc(doc, ctx)
        same = "".join(sorted(ox_jsonld().decode().splitlines(keepends=True))) == reference
        cells = [
            label,
            f"{slow.median_us(partial(expand_strict, doc, ctx)):,.0f}",
            f"{slow.median_us(partial(jsonld.to_rdf, expanded, options)):,.0f}",
            f"{slow.median_us(ox_canon):,.0f}",
            f"{slow.median_us(ox_jsonld):,.0f}",
            "yes" if same else "NO",
        ]
        print(_row(cells, widths))
    print("  * pyld toRdf of the already expanded document (it expands it again)")
    print("  ** pyoxigraph: parse N-Quads, canonicalize RDFC-1.0, serialize (no JSON-LD step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run, rougher medians")
    parser.add_argument("--approaches", action="store_true", help="also time the alternatives")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    timer = Timer(budget_s=0.5 * scale, min_rounds=int(500 * scale), max_rounds=20000)
    slow = Timer(budget_s=0.5 * scale, min_rounds=int(60 * scale), max_rounds=2000)

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("PyLD", "pyoxigraph", "PyNaCl"))
    print(f"ecert core bench — Python {platform.python_version()}, {versions}")
    print(f"{os.cpu_count()} CPUs, {platform.machine()}; medians of per-call perf_counter_ns")

    key = KeyPair.from_seed(SEED)
    raw_sign, raw_verify = raw_ed25519()
    raw_sign_us = timer.median_us(raw_sign)
    raw_verify_us = timer.median_us(raw_verify)
    print("\nRaw Ed25519 (PyNaCl), 64-byte message, median µs")
    print(f"  sign   {raw_sign_us:8.1f}")
    print(f"  verify {raw_verify_us:8.1f}")

    examples = _examples(did_key(key.public))
    w3c_ctx, w3c_docs = _w3c(_conformance_dir())
    sets = [(default_contexts(), examples)]
    if w3c_ctx is not None:
        sets.append((w3c_ctx, w3c_docs))
    bench_canonicalization(timer, slow, sets)

    if not examples:
        print("\nschemas/examples holds no credentials: sign/verify skipped")
        return
    bench_proofs(timer, slow, examples, key, raw_verify_us)
    if "property-deed" in examples:
        bench_target(timer, slow, examples["property-deed"], key, raw_verify)

    if args.approaches and w3c_ctx is not None:
        bench_approaches(slow, w3c_ctx, {k: v for k, v in w3c_docs.items() if "chain" not in k})


if __name__ == "__main__":
    main()
