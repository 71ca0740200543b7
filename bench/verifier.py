"""Verifier benchmark: the full steps of DESIGN §5 in process, beside raw Ed25519 in the same run.

Run: ``.venv/bin/python bench/verifier.py`` (``--quick`` for a short run).

1. Raw Ed25519 verify of a 64-byte message (PyNaCl, key prepared once): the yardstick.
2. :func:`vc_core.verification.check_credential` — all nine steps — for each ecert credential
   type and both cryptosuites, against a :class:`~vc_core.ledger.MemoryLedger` on which the
   office was accredited, the credentials anchored (published leaves) and the chain head is
   fresh. Every report is checked ``valid`` before timing.
3. For the property deed, where the time goes: step 0 (bounded JSON + the JCS digest, and the
   JCS bytes an eddsa-jcs-2022 proof signs), step 1 (VCDM shape + JSON Schema + identifiers),
   step 2 (the proof, keys resolved from the chain) and the remaining chain steps, each timed
   alone, steps 1 and 2 given step 0's JCS bytes as check_credential gives them.

4. With ``--scale``: the deed's full steps against a chain holding 1,000 and then 1,000,000
   anchored credential digests (batches of 100,000 synthetic leaves), to show that a lookup
   does not grow with the chain (target: within 10 %).

Targets (issue 9): property deed with eddsa-rdfc-2022 ≤ 0.5 ms, with eddsa-jcs-2022 ≤ 0.15 ms.
Every figure is the median of per-call ``time.perf_counter_ns`` samples after a warm-up; the
machine is shared and noisy, so medians, not means.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Keep bench/ itself off the import path (bench/registry.py shares a package's name).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import nacl.signing  # noqa: E402

from vc_core.anchoring import credential_digest  # noqa: E402
from vc_core.credential_types import (  # noqa: E402
    CREDENTIAL_TYPES,
    example_credential,
    subject_region,
)
from vc_core.issuance import issue_credential  # noqa: E402
from vc_core.keys import KeyPair  # noqa: E402
from vc_core.ledger import (  # noqa: E402
    AccreditBody,
    AnchorBody,
    MemoryLedger,
    Scope,
    council_tx,
    genesis_tx,
    office_did,
    office_tx,
)
from vc_core.transparency import MerkleTree  # noqa: E402
from vc_core.verification import FreshnessPolicy, ReaderView, check_credential  # noqa: E402
from vc_core.verification.document import parse_step, structure_step  # noqa: E402
from vc_core.verification.steps import (  # noqa: E402
    accreditation_step,
    anchor_step,
    freshness_step,
    issuer_key_step,
    proof_step,
    status_step,
)

CHAIN = "bench"
T0 = datetime(2024, 5, 1, tzinfo=UTC)  # inside every bundled example's validity period
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
TARGETS_MS = {"eddsa-rdfc-2022": 0.5, "eddsa-jcs-2022": 0.15}
DEED = "PropertyDeedCredential"
COUNCIL = KeyPair.from_seed(b"\x71" * 32)
PRODUCER = KeyPair.from_seed(b"\x72" * 32)
OFFICE_KEY = KeyPair.from_seed(b"\x73" * 32)
OFFICE = office_did(CHAIN, "office")


class Timer:
    """Median per-call time after a warm-up, within a time budget."""

    def __init__(self, *, budget_s: float, min_rounds: int) -> None:
        self.budget_ns = int(budget_s * 1e9)
        self.min_rounds = min_rounds

    def median_us(self, fn: Callable[[], object]) -> float:
        for _ in range(5):
            fn()
        samples: list[int] = []
        start = time.perf_counter_ns()
        while len(samples) < self.min_rounds or time.perf_counter_ns() - start < self.budget_ns:
            t0 = time.perf_counter_ns()
            fn()
            samples.append(time.perf_counter_ns() - t0)
        return statistics.median(samples) / 1000


def build() -> tuple[MemoryLedger, dict[tuple[str, str], dict[str, Any]], datetime]:
    """A chain with one office accredited for every type in each example's region, and every
    example issued in both suites and anchored in one batch."""
    ledger = MemoryLedger.create(genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0), PRODUCER, T0)
    # The examples' validity periods do not all overlap; one window for all keeps one clock.
    window = {"validFrom": "2024-01-01T00:00:00+08:00", "validUntil": "2029-01-01T00:00:00+08:00"}
    drafts = {name: {**example_credential(name), **window} for name in CREDENTIAL_TYPES}
    scopes = tuple(
        Scope(credential_type=name, division_prefixes=(subject_region(d)[:4],))
        for name, d in drafts.items()
    )
    t = T0 + timedelta(seconds=1)
    accredit = AccreditBody(
        office=OFFICE,
        name="Bench office",
        uscc="91350100M000100Y43",
        scopes=scopes,
        valid_from=T0,
        initial_key=OFFICE_KEY.public_multibase,
    )
    ledger.submit(
        council_tx(CHAIN, "issuer.accredit", accredit, proposer=COUNCIL, seq=2, time=t), t
    )
    ledger.produce_block(t)
    t += timedelta(seconds=1)
    vm = f"{OFFICE}#{OFFICE_KEY.public_multibase}"
    issued = {
        (name, suite): issue_credential(
            {**draft, "id": f"urn:bench:{name}:{suite}"},
            OFFICE_KEY,
            suite=suite,
            now=t,
            verification_method=vm,
        )
        for name, draft in drafts.items()
        for suite in SUITES
    }
    leaves = [credential_digest(c) for c in issued.values()]
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    body = AnchorBody(batch_id="b1", batch_root=root, leaf_count=len(leaves), leaves=tuple(leaves))
    ledger.submit(office_tx(CHAIN, "anchor", body, office=OFFICE, seq=1, time=t, key=OFFICE_KEY), t)
    ledger.produce_block(t)
    return ledger, issued, t + timedelta(seconds=1)


def raw_ed25519() -> Callable[[], object]:
    key = nacl.signing.SigningKey(bytes(range(32)))
    message = bytes(64)
    signed = key.sign(message)
    verify_key = key.verify_key
    return lambda: verify_key.verify(message, signed.signature)


def breakdown(
    ledger: MemoryLedger, credential: dict[str, Any], now: datetime, timer: Timer
) -> list[tuple[str, float]]:
    """The deed's verification, step group by step group (each timed alone)."""
    view = ReaderView(ledger)
    _, parsed = parse_step(credential)
    assert parsed is not None
    _, subject = structure_step(parsed.document, now, canonical=parsed.canonical)
    assert subject is not None
    _, anchor = anchor_step(view, parsed.digest, subject.issuer, now)
    assert anchor is not None
    policy = FreshnessPolicy()

    def chain_rest() -> None:
        freshness_step(view, policy, now)
        anchor_step(view, parsed.digest, subject.issuer, now)
        issuer_key_step(view, parsed.document, anchor)
        accreditation_step(view, subject, anchor, now)
        status_step(view, subject, anchor.office, now)

    # Steps 1 and 2 are given step 0's JCS bytes, as check_credential gives them.
    canonical, unsecured = parsed.canonical, parsed.unsecured_jcs
    return [
        ("(0) parse + JCS digest", timer.median_us(lambda: parse_step(credential))),
        (
            "(1) structure: model, schema, ids",
            timer.median_us(lambda: structure_step(credential, now, canonical=canonical)),
        ),
        (
            "(2) proof",
            timer.median_us(
                lambda: proof_step(view, credential, anchor, now, unsecured_jcs=unsecured)
            ),
        ),
        ("(3)-(6),(8) chain lookups", timer.median_us(chain_rest)),
    ]


def add_leaves(
    ledger: MemoryLedger, start: int, count: int, at: datetime, *, seq: int
) -> tuple[datetime, int]:
    """Anchor synthetic digests ``start…start+count`` in batches of at most 100,000 leaves."""
    batch = 100_000
    done = start
    while done < start + count:
        n = min(batch, start + count - done)
        leaves = [hashlib.sha256(f"leaf-{done + i}".encode()).hexdigest() for i in range(n)]
        root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
        body = AnchorBody(
            batch_id=f"synthetic-{done}", batch_root=root, leaf_count=n, leaves=tuple(leaves)
        )
        at += timedelta(seconds=1)
        tx = office_tx(CHAIN, "anchor", body, office=OFFICE, seq=seq, time=at, key=OFFICE_KEY)
        ledger.submit(tx, at)
        ledger.produce_block(at)
        seq += 1
        done += n
    return at, seq


def scale(timer: Timer) -> None:
    """The deed's full steps (jcs) with 1,000 and with 1,000,000 anchored digests."""
    ledger, issued, now = build()
    credential = issued[DEED, "eddsa-jcs-2022"]
    at, seq, held = now, 2, len(issued)
    print("\nverification time vs anchored credentials (property deed, eddsa-jcs-2022):")
    medians: dict[int, float] = {}
    fresh: dict[int, float] = {}
    for total in (1_000, 1_000_000):
        started = time.perf_counter()
        at, seq = add_leaves(ledger, held, total - held, at, seq=seq)
        held = total
        built = time.perf_counter() - started
        later = at + timedelta(seconds=1)
        assert check_credential(credential, reader=ledger, now=later)
        medians[total] = timer.median_us(
            lambda later=later: check_credential(credential, reader=ledger, now=later)
        )
        # The ledger remembers each committed state's answers (vc_core/ledger/queries.py), so the
        # same credential checked again never looks its leaf up in the chain. Forgetting them
        # before every call times the lookups themselves, which is what a chain's size could slow.
        fresh[total] = timer.median_us(lambda later=later: _afresh(ledger, credential, later))
        print(
            f"  {total:>9,} anchored: {medians[total]:8.1f} µs; every answer looked up afresh "
            f"{fresh[total]:8.1f} µs  (chain built in {built:.0f} s)"
        )
    for label, figures in (("as checked again", medians), ("looked up afresh", fresh)):
        change = (figures[1_000_000] / figures[1_000] - 1) * 100
        verdict = "met" if abs(change) <= 10 else "NOT met"
        print(f"  change, {label}: {change:+.1f} %  (target: within 10 %: {verdict})")


def _afresh(ledger: MemoryLedger, credential: dict[str, Any], now: datetime) -> object:
    ledger._remembered = None  # The bench times the lookups the memory saves.
    return check_credential(credential, reader=ledger, now=now)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run, rougher medians")
    parser.add_argument(
        "--scale", action="store_true", help="also 1,000 vs 1,000,000 anchored (minutes)"
    )
    args = parser.parse_args()
    timer = Timer(budget_s=0.3 if args.quick else 1.5, min_rounds=20 if args.quick else 100)
    ledger, issued, now = build()
    print(f"# ecert verifier bench — Python {platform.python_version()} on {platform.machine()}")
    print(f"# load average at start: {_load()} (a shared machine: medians, not means)")
    raw = timer.median_us(raw_ed25519())
    print(f"raw Ed25519 verify (PyNaCl): {raw:8.1f} µs  (the yardstick, this run)\n")
    print(f"{'credential type':<32} {'suite':<16} {'full steps µs':>14} {'× raw':>7}")
    results: dict[tuple[str, str], float] = {}
    for (name, suite), credential in issued.items():
        report = check_credential(credential, reader=ledger, now=now)
        if not report:
            raise SystemExit(f"{name} {suite} did not verify: {report.codes}")
        us = timer.median_us(lambda c=credential: check_credential(c, reader=ledger, now=now))
        results[name, suite] = us
        print(f"{name:<32} {suite:<16} {us:14.1f} {us / raw:7.1f}")
    print("\nwhere the property deed's time goes (each part timed alone):")
    for suite in SUITES:
        parts = breakdown(ledger, issued[DEED, suite], now, timer)
        for label, us in parts:
            print(f"  {suite:<16} {label:<36} {us:9.1f} µs")
        rest = sum(us for label, us in parts if not label.startswith("(1)"))
        print(f"  {suite:<16} {'sum of the parts but (1)':<36} {rest:9.1f} µs")
    print("\ntargets (issue 9), property deed, full steps in process:")
    for suite in SUITES:
        ms = results[DEED, suite] / 1000
        verdict = "met" if ms <= TARGETS_MS[suite] else "NOT met"
        print(f"  {suite:<16} {ms:7.3f} ms  (target ≤ {TARGETS_MS[suite]} ms: {verdict})")
    if args.scale:
        scale(timer)
    print(f"\n# load average at end: {_load()}")
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
