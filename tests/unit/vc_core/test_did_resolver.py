"""did:ecert: one builder for office DIDs, and resolution at a time T from any chain reader.

The chain is real (``MemoryLedger``, and a ``Replica`` synced from it); its key history is:

    K1 added at T1 (accreditation) — retired at T3
    K2 added at T2 — declared compromised at T5, since T4 (a declaration after the fact)

so the keys active at T are: K1 on [T1, T3), K2 on [T2, T4). The tests compute that from these
windows, not from the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.dataintegrity import add_proof, check_proofs, verify_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.did_ecert import (
    NAME_PATTERN,
    DidCode,
    OfficeDid,
    office_did,
    office_did_from,
    parse_office_did,
)
from vc_core.did_resolver import DidEcertResolver, resolve_did
from vc_core.errors import (
    MalformedError,
    NotFoundError,
    ProofError,
    RegistryError,
    TrustError,
)
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    MemoryLedger,
    Scope,
    council_tx,
    did_document,
    genesis_tx,
    make_block,
    office_tx,
)
from vc_core.ledger.fields import OFFICE_DID_PATTERN
from vc_core.replica import BlockPage, Replica

CHAIN = "did-test"
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
T1, T2, T3, T4, T5 = (T0 + timedelta(minutes=m) for m in range(1, 6))
COUNCIL = KeyPair.from_seed(b"\x31" * 32)
PRODUCER = KeyPair.from_seed(b"\x32" * 32)
K1 = KeyPair.from_seed(b"\x33" * 32)
K2 = KeyPair.from_seed(b"\x34" * 32)
OFFICE = office_did(CHAIN, "land-bureau")
WINDOWS = {K1.public_multibase: (T1, T3), K2.public_multibase: (T2, T4)}


def _build_chain() -> MemoryLedger:
    genesis = make_block(None, [genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, T0)], T0, PRODUCER)
    ledger = MemoryLedger(genesis, PRODUCER)
    accredit = AccreditBody(
        office=OFFICE,
        name="Land bureau",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type="PropertyDeedCredential", division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=K1.public_multibase,
    )
    steps: list[tuple[datetime, Any]] = [
        (T1, council_tx(CHAIN, "issuer.accredit", accredit, proposer=COUNCIL, seq=2, time=T1)),
        (T2, _office(T2, 1, "key.add", KeyAddBody(key=K2.public_multibase), K1)),
        (T3, _office(T3, 2, "key.retire", KeyRetireBody(key=K1.public_multibase), K2)),
        (
            T5,
            council_tx(
                CHAIN,
                "key.compromised",
                KeyCompromisedBody(office=OFFICE, key=K2.public_multibase, since=T4, reason="x"),
                proposer=COUNCIL,
                seq=3,
                time=T5,
            ),
        ),
    ]
    for when, tx in steps:
        ledger.submit(tx, when)
        ledger.produce_block(when)
    return ledger


def _office(when: datetime, seq: int, kind: str, body: Any, key: KeyPair) -> Any:
    return office_tx(CHAIN, kind, body, office=OFFICE, seq=seq, time=when, key=key)


LEDGER = _build_chain()


def _active(at: datetime) -> list[str]:
    """The oracle: keys whose window [added, retired-or-compromised) contains ``at``."""
    return [f"{OFFICE}#{k}" for k, (start, end) in WINDOWS.items() if start <= at < end]


def _listed(at: datetime) -> list[str]:
    return [f"{OFFICE}#{k}" for k, (start, _) in WINDOWS.items() if start <= at]


# One builder for office DIDs ------------------------------------------------------------------


def test_office_did_builds_parses_and_matches_the_chain_grammar() -> None:
    assert office_did("demo", "traffic-police") == "did:ecert:demo:traffic-police"
    assert parse_office_did(OFFICE) == OfficeDid(CHAIN, "land-bureau")
    assert str(parse_office_did(OFFICE)) == OFFICE
    # The grammar the fold checks on chain is the one office_did builds.
    assert f"^did:ecert:{NAME_PATTERN}:{NAME_PATTERN}$" == OFFICE_DID_PATTERN
    assert office_did_from(CHAIN, "land-bureau") == OFFICE
    assert office_did_from(CHAIN, "did:ecert:other:x") == "did:ecert:other:x"


@pytest.mark.parametrize(
    ("chain", "office"),
    [("", "tp"), ("demo", ""), ("Demo", "tp"), ("demo", "-tp"), ("demo", "t:p"), ("d", "x" * 64)],
)
def test_office_did_refuses_bad_names(chain: str, office: str) -> None:
    with pytest.raises(MalformedError) as exc:
        office_did(chain, office)
    assert exc.value.code == DidCode.INVALID_DID


@pytest.mark.parametrize(
    "did",
    [
        "did:ecert:demo",
        "did:ecert:demo:tp:extra",
        "did:ecert:demo:tp#z6Mk",
        "did:ecert:demo:tp?versionTime=x",
        "did:web:demo:tp",
        "DID:ECERT:demo:tp",
        None,
    ],
)
def test_parse_refuses_what_is_not_an_office_did(did: Any) -> None:
    with pytest.raises(MalformedError) as exc:
        parse_office_did(did)
    assert exc.value.code == DidCode.INVALID_DID


# The document at T ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at",
    [T1, T1 + timedelta(seconds=30), T2, T3 - timedelta(microseconds=1), T3, T4, T5,
     T0 + timedelta(days=30)],
)  # fmt: skip
def test_document_lists_keys_held_by_t_and_asserts_only_active_ones(at: datetime) -> None:
    doc = resolve_did(LEDGER, OFFICE, at=at)
    assert doc["id"] == OFFICE
    assert [m["id"] for m in doc["verificationMethod"]] == _listed(at)
    assert doc["assertionMethod"] == _active(at) == doc["authentication"]


def test_a_compromise_declared_later_still_removes_the_key_at_t() -> None:
    at = T4 + timedelta(seconds=30)  # before the declaration at T5
    doc = resolve_did(LEDGER, OFFICE, at=at)
    assert doc["assertionMethod"] == []
    k2 = next(
        m for m in doc["verificationMethod"] if m["publicKeyMultibase"] == K2.public_multibase
    )
    assert k2["revoked"] == "2025-06-01T08:04:00Z"
    # The ledger's versionTime document shows what the chain *said* then: K2 still listed.
    said = did_document(LEDGER, OFFICE, at)
    assert f"{OFFICE}#{K2.public_multibase}" in said["assertionMethod"]


@given(st.integers(min_value=0, max_value=10 * 60 * 1000))
def test_assertion_method_at_any_time_matches_the_windows(ms: int) -> None:
    at = T1 + timedelta(milliseconds=ms)
    assert resolve_did(LEDGER, OFFICE, at=at)["assertionMethod"] == _active(at)


def test_unknown_office_other_chain_and_bad_did() -> None:
    with pytest.raises(NotFoundError) as nf:
        resolve_did(LEDGER, OFFICE, at=T0)  # accredited only at T1
    assert nf.value.code == DidCode.DID_NOT_FOUND
    with pytest.raises(NotFoundError):
        resolve_did(LEDGER, office_did(CHAIN, "nobody"), at=T5)
    with pytest.raises(TrustError) as other:
        resolve_did(LEDGER, office_did("elsewhere", "land-bureau"), at=T5)
    assert other.value.code == DidCode.DID_OTHER_CHAIN
    with pytest.raises(MalformedError) as bad:
        resolve_did(LEDGER, f"{OFFICE}#{K1.public_multibase}", at=T5)
    assert bad.value.code == DidCode.INVALID_DID


class _Source:
    name = "memory"

    def blocks(self, start: int, limit: int) -> BlockPage:
        head = LEDGER.head().height
        return BlockPage(
            head, [LEDGER.block(h) for h in range(start, min(head + 1, start + limit))]
        )

    def checkpoint(self) -> Any:
        return LEDGER.checkpoint(LEDGER.head().time)


def test_a_replica_resolves_the_same_documents(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "r.sqlite", genesis_hash=LEDGER.block(0).hash)
    replica.sync([_Source()], now=T5 + timedelta(minutes=1))
    for at in (T1, T2, T3, T4, T5):
        assert resolve_did(replica, OFFICE, at=at) == resolve_did(LEDGER, OFFICE, at=at)


# The Data Integrity hook ----------------------------------------------------------------------


def _credential(key: KeyPair, created: datetime, issuer: str = OFFICE) -> dict[str, Any]:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": "did:example:holder"},
    }
    vm = (
        f"{issuer}#{key.public_multibase}"
        if issuer == OFFICE
        else verification_method_id(key.public)
    )
    return add_proof(
        doc, key, cryptosuite="eddsa-jcs-2022", verification_method=vm, created=created
    )


@pytest.mark.parametrize(
    ("key", "at", "state"),
    [
        (K1, T1, None),
        (K1, T3 - timedelta(seconds=1), None),
        (K1, T3, "retired"),
        (K2, T2 + timedelta(seconds=1), None),
        (K2, T4, "compromised"),
        (K2, T5 + timedelta(days=1), "compromised"),
    ],
)
def test_proofs_verify_only_with_a_key_active_at_t(
    key: KeyPair, at: datetime, state: str | None
) -> None:
    signed = _credential(key, at)
    resolver = DidEcertResolver(LEDGER, at=at)
    if state is None:
        assert verify_proofs(signed, now=at, resolver=resolver)
        return
    with pytest.raises(ProofError) as exc:
        verify_proofs(signed, now=at, resolver=resolver)
    assert exc.value.code == DidCode.KEY_NOT_ACTIVE_AT_TIME
    assert exc.value.details["state"] == state


def test_a_key_added_after_t_or_of_another_office_is_unknown() -> None:
    with pytest.raises(ProofError) as exc:
        verify_proofs(_credential(K2, T1), now=T1, resolver=DidEcertResolver(LEDGER, at=T1))
    assert exc.value.code == DidCode.UNKNOWN_VERIFICATION_METHOD
    stranger = KeyPair.from_seed(b"\x35" * 32)
    with pytest.raises(ProofError) as exc:
        verify_proofs(_credential(stranger, T2), now=T2, resolver=DidEcertResolver(LEDGER, at=T2))
    assert exc.value.code == DidCode.UNKNOWN_VERIFICATION_METHOD
    with pytest.raises(ProofError) as exc:
        verify_proofs(_credential(K1, T0), now=T0, resolver=DidEcertResolver(LEDGER, at=T0))
    assert exc.value.code == DidCode.DID_NOT_FOUND


def test_a_signature_by_the_right_key_still_has_to_verify() -> None:
    signed = _credential(K1, T1)
    signed["credentialSubject"]["id"] = "did:example:someone-else"
    report = check_proofs(signed, now=T1, resolver=DidEcertResolver(LEDGER, at=T1))
    assert not report and report.errors[0].code == "PROOF_VERIFICATION_ERROR"


@pytest.mark.parametrize(
    ("vm", "purpose", "error", "code"),
    [
        (f"{OFFICE}#{K1.public_multibase}", "capabilityInvocation", ProofError,
         DidCode.VERIFICATION_METHOD_NOT_AUTHORIZED),
        (OFFICE, "assertionMethod", MalformedError, DidCode.INVALID_VERIFICATION_METHOD),
        (f"{OFFICE}#", "assertionMethod", MalformedError, DidCode.INVALID_VERIFICATION_METHOD),
        (f"did:ecert:Bad:x#{K1.public_multibase}", "assertionMethod", MalformedError,
         DidCode.INVALID_DID),
        (f"did:ecert:other:land-bureau#{K1.public_multibase}", "assertionMethod", TrustError,
         DidCode.DID_OTHER_CHAIN),
    ],
)  # fmt: skip
def test_resolver_errors_have_stable_codes(
    vm: str, purpose: str, error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as exc:
        DidEcertResolver(LEDGER, at=T2)(vm, purpose)
    assert getattr(exc.value, "code", None) == code


def test_other_methods_go_to_the_fallback_or_are_refused() -> None:
    holder = KeyPair.from_seed(b"\x36" * 32)
    signed = _credential(holder, T2, issuer=did_key(holder.public))
    assert verify_proofs(signed, now=T2, resolver=DidEcertResolver(LEDGER, at=T2))
    with pytest.raises(MalformedError) as exc:
        verify_proofs(signed, now=T2, resolver=DidEcertResolver(LEDGER, at=T2, fallback=None))
    assert exc.value.code == DidCode.UNSUPPORTED_DID_METHOD


class _BrokenReader:
    """A reader whose storage fails: the answer must be "could not check", never "invalid"."""

    chain_id = CHAIN

    def accreditation(self, office: str, at: datetime) -> Any:
        raise OSError("disk I/O error")

    def office_keys(self, office: str) -> Any:
        raise OSError("disk I/O error")


def test_a_failing_reader_is_could_not_check() -> None:
    resolver = DidEcertResolver(_BrokenReader(), at=T2)  # type: ignore[arg-type]
    report = check_proofs(_credential(K1, T2), now=T2, resolver=resolver)
    assert not report and isinstance(report.errors[0], RegistryError)


def test_a_replica_with_no_chain_yet_is_could_not_check(tmp_path: Path) -> None:
    # Before its first sync a replica answers NO_CHAIN: it knows nothing, so the proof's key
    # could not be checked. That is not an unknown office (which would make the proof invalid).
    empty = Replica.open(tmp_path / "empty.sqlite", genesis_hash=LEDGER.block(0).hash)
    try:
        report = check_proofs(_credential(K1, T2), now=T2, resolver=DidEcertResolver(empty, at=T2))
    finally:
        empty.close()
    assert not report and isinstance(report.errors[0], RegistryError)
