"""Where the chain facts come from: readers that fail, a replica whose registry is gone, a
process with no network at all, and offline bundles."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest

from vc_core.anchoring import OfflineBundle, build_bundle, credential_digest, make_receipt
from vc_core.errors import RegistryError
from vc_core.ledger import LedgerReader
from vc_core.replica import HttpSource
from vc_core.verification import (
    FreshnessPolicy,
    Step,
    StepCode,
    StepStatus,
    Verdict,
    check_bundle,
    check_credential,
)


class FailingReader:
    """A real reader whose named methods raise ``OSError`` (a disk or a socket gave out)."""

    def __init__(self, reader: LedgerReader, failing: frozenset[str]) -> None:
        self._reader, self._failing = reader, failing

    def __getattr__(self, name: str) -> Any:
        if name in self._failing:

            def fail(*args: Any, **kwargs: Any) -> Any:
                raise OSError(5, "Input/output error")

            return fail
        return getattr(self._reader, name)


EVERYTHING = frozenset(
    {"chain_head", "leaf_anchor", "key", "accreditation", "office_keys", "credential_status"}
)


def test_a_reader_that_fails_everywhere_could_not_check(memory_world: Any) -> None:
    credential = memory_world.issued()
    reader = FailingReader(memory_world.reader, EVERYTHING)
    report = memory_world.check(credential, reader=reader)
    assert report.verdict is Verdict.COULD_NOT_CHECK and report.exit_code == 3
    assert not [r for r in report.steps if r.status is StepStatus.FAILED]
    assert report.step(Step.ANCHOR).code == StepCode.REGISTRY_UNAVAILABLE


@pytest.mark.parametrize(
    ("method", "step"),
    [
        ("credential_status", Step.STATUS),
        ("accreditation", Step.ACCREDITATION),
        ("key", Step.ISSUER_KEY),
        ("office_keys", Step.PROOF),
        ("chain_head", Step.FRESHNESS),
    ],
)
def test_one_failing_question_makes_its_step_could_not_check(
    memory_world: Any, method: str, step: Step
) -> None:
    credential = memory_world.issued()
    report = memory_world.check(
        credential, reader=FailingReader(memory_world.reader, frozenset({method}))
    )
    assert report.verdict is Verdict.COULD_NOT_CHECK, report.to_dict()
    assert report.step(step).status is StepStatus.COULD_NOT_CHECK
    assert not [r for r in report.steps if r.status is StepStatus.FAILED]


def test_a_failing_reader_never_hides_a_definite_failure(memory_world: Any) -> None:
    credential = memory_world.issued()
    altered = {**credential, "validUntil": "2025-03-01T09:00:00Z"}
    reader = FailingReader(memory_world.reader, frozenset({"credential_status"}))
    report = memory_world.check(altered, reader=reader)
    assert report.verdict is Verdict.INVALID


def test_registry_unreachable_with_a_fresh_replica_still_verifies(make_world: Any) -> None:
    world = make_world("replica")
    credential = world.issued()
    assert world.replica is not None
    unreachable = HttpSource("http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(RegistryError):
        world.replica.sync([unreachable], now=world.now)
    assert world.check(credential, now=world.now + timedelta(minutes=5)).verdict is Verdict.VALID


def test_verification_makes_no_network_call(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    credential = world.issued(suite="eddsa-rdfc-2022")
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    report = world.check(credential)
    assert report.verdict is Verdict.VALID
    assert attempts == []


# Offline bundles -----------------------------------------------------------------------------


def _bundle(world: Any, credential: dict[str, Any]) -> OfflineBundle:
    ledger = world.ledger
    leaf = credential_digest(credential)
    anchor = world.reader.leaf_anchor(leaf)
    found = ledger.inclusion(anchor.batch.tx_hash)
    receipt = make_receipt(ledger.block(found.height), found.position, leaf)
    checkpoint = ledger.checkpoint(ledger.head().time)
    blocks = [ledger.block(h) for h in range(ledger.head().height + 1)]
    return build_bundle(credential, receipt, checkpoint, blocks)


def test_a_bundle_verifies_offline(memory_world: Any) -> None:
    credential = memory_world.issued()
    bundle = _bundle(memory_world, credential)
    report = check_bundle(
        bundle.to_json(), genesis_hash=memory_world.genesis_hash, now=memory_world.now
    )
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.chain["source"] == "the offline bundle"


def test_a_bundle_reports_revocation_and_its_age(memory_world: Any) -> None:
    credential = memory_world.issued()
    memory_world.revoke(credential)
    bundle = _bundle(memory_world, credential)
    now = memory_world.now
    report = check_bundle(bundle, genesis_hash=memory_world.genesis_hash, now=now)
    assert report.verdict is Verdict.INVALID and report.codes == (StepCode.REVOKED,)
    days_later = check_bundle(
        bundle, genesis_hash=memory_world.genesis_hash, now=now + timedelta(days=3)
    )
    assert days_later.verdict is Verdict.COULD_NOT_CHECK
    assert days_later.step(Step.FRESHNESS).code == StepCode.REPLICA_TOO_OLD
    wallet = FreshnessPolicy(max_age=timedelta(days=7))
    lenient = check_bundle(
        bundle, genesis_hash=memory_world.genesis_hash, now=now + timedelta(days=3), policy=wallet
    )
    assert lenient.codes == (StepCode.REVOKED,)


def test_a_bundle_that_does_not_hold_together_proves_nothing(memory_world: Any) -> None:
    """Another chain's bundle, or a credential swapped into a bundle: never valid, and not
    "invalid" either (the credential may stand on its real chain) — unless it fails alone."""
    credential = memory_world.issued()
    bundle = _bundle(memory_world, credential)
    other = check_bundle(bundle, genesis_hash="0" * 64, now=memory_world.now)
    assert other.verdict is Verdict.COULD_NOT_CHECK
    assert other.step(Step.ANCHOR).code == "BUNDLE_GENESIS_MISMATCH"
    altered = bundle.model_copy(update={"credential": {**credential, "name": "x"}})
    report = check_bundle(altered, genesis_hash=memory_world.genesis_hash, now=memory_world.now)
    assert report.verdict is Verdict.COULD_NOT_CHECK
    assert report.step(Step.ANCHOR).code == "RECEIPT_LEAF_MISMATCH"
    expired = {**credential, "validUntil": "2024-01-01T00:00:00Z"}
    broken = bundle.model_copy(update={"credential": expired})
    report = check_bundle(broken, genesis_hash=memory_world.genesis_hash, now=memory_world.now)
    assert report.verdict is Verdict.INVALID


def test_a_malformed_bundle_is_refused_at_step_0(memory_world: Any) -> None:
    report = check_bundle(b"{}", genesis_hash=memory_world.genesis_hash, now=memory_world.now)
    assert report.malformed and report.exit_code == 2


def test_the_same_answers_from_every_backend(make_world: Any) -> None:
    answers = []
    for backend in ("memory", "embedded", "replica"):
        world = make_world(backend)
        credential = world.issued()
        world.suspend(credential, world.now)
        answers.append(check_credential(credential, reader=world.reader, now=world.now).to_dict())
    assert answers[0]["steps"] == answers[1]["steps"] == answers[2]["steps"]
    assert answers[0]["verdict"] == "invalid"
