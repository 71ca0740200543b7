"""Two-way interop with Digital Bazaar on the five ecert credential types, under both suites.

For each example credential (issued by a did:key, as the issuer service does): ecert signs and
@digitalbazaar/vc verifies; @digitalbazaar/vc signs and ecert verifies; both make the same
signature with the same key and options (Ed25519 is deterministic, so equal signatures mean
equal signed bytes); and the canonical forms (RDFC-1.0 N-Quads, JCS text) of the document and
of the proof configuration are equal byte for byte.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.interop.harness import (
    ISSUER,
    SEED,
    SUITES,
    ecert_forms,
    ecert_sign,
    ecert_verify,
    text_of,
    when,
)
from tests.interop.peer import Peer
from vc_core.credential_types import CREDENTIAL_TYPES, example_credential

CASES = [(name, suite) for name in sorted(CREDENTIAL_TYPES) for suite in SUITES]
IDS = [f"{name}-{suite}" for name, suite in CASES]


def _credential(name: str) -> dict[str, Any]:
    doc = example_credential(name)
    doc["issuer"] = ISSUER
    return doc


@pytest.mark.parametrize(("name", "suite"), CASES, ids=IDS)
def test_ecert_signs_digital_bazaar_verifies(name: str, suite: str, peer: Peer) -> None:
    doc = _credential(name)
    created, now = when(doc)
    signed = ecert_sign(doc, suite, created)
    answer = peer.ask(
        {"op": "verify", "suite": suite, "text": text_of(signed), "now": now, "api": "vc"}
    )
    assert answer == {"ok": True, "verified": True, "error": None}


@pytest.mark.parametrize(("name", "suite"), CASES, ids=IDS)
def test_digital_bazaar_signs_ecert_verifies(name: str, suite: str, peer: Peer) -> None:
    doc = _credential(name)
    created, now = when(doc)
    answer = peer.ask(
        {
            "op": "sign",
            "suite": suite,
            "seed": SEED.hex(),
            "created": created,
            "text": text_of(doc),
            "api": "vc",
        }
    )
    assert answer["ok"], answer
    report = ecert_verify(answer["text"], now)
    assert report.verdict == "valid", report.to_dict()
    # The same key, options and signed bytes make the same Ed25519 signature.
    assert json.loads(answer["text"])["proof"] == ecert_sign(doc, suite, created)["proof"]


@pytest.mark.parametrize(("name", "suite"), CASES, ids=IDS)
def test_canonical_forms_are_the_same_bytes(name: str, suite: str, peer: Peer) -> None:
    doc = _credential(name)
    created, _ = when(doc)
    signed = ecert_sign(doc, suite, created)
    theirs = peer.ask({"op": "canon", "suite": suite, "text": text_of(signed)})
    ours = ecert_forms(doc, suite, created)
    assert theirs["ok"], theirs
    assert theirs["document"] == ours.document
    assert theirs["proof"] == ours.proof


@pytest.mark.parametrize("suite", SUITES)
def test_a_changed_credential_fails_on_both_sides(suite: str, peer: Peer) -> None:
    """The comparison can fail: one changed character breaks the proof for either verifier."""
    doc = _credential("PropertyDeedCredential")
    created, now = when(doc)
    signed = ecert_sign(doc, suite, created)
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["area"] = "89.57"
    answer = peer.ask(
        {"op": "verify", "suite": suite, "text": text_of(changed), "now": now, "api": "vc"}
    )
    assert answer["ok"] and answer["verified"] is False
    theirs = peer.ask(
        {
            "op": "sign",
            "suite": suite,
            "seed": SEED.hex(),
            "created": created,
            "text": text_of(doc),
            "api": "vc",
        }
    )
    assert not bool(ecert_verify(theirs["text"].replace("89.56", "89.57"), now))


def test_a_missing_node_fails_rather_than_skips(
    conformance_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interop is not optional: without node on the PATH the peer fails the test that needs it."""
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="node is not installed"):
        Peer(conformance_dir)
