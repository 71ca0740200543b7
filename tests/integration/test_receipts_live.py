"""A receipt served by a live registry (a real node on 127.0.0.1) verifies offline — with the
node stopped and every new socket connection refused — and any flipped byte of it fails; an
offline bundle built from the same node verifies from a file with the network blocked."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.integration.live_registry import live_chain
from vc_core.anchoring import (
    AnchorReceipt,
    ChainFacts,
    OfflineBundle,
    ReceiptCode,
    build_bundle,
    credential_digest,
    verify_bundle,
    verify_receipt,
)
from vc_core.errors import MalformedError, NotFoundError, RegistryError, VCError
from vc_core.keys import KeyPair
from vc_core.ledger import RevokeEvent
from vc_core.registry_client import RegistryClient

pytestmark = pytest.mark.integration
DRIVING = "DrivingLicenceCredential"


def _credential(office: str, i: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:ecert:live:{i}",
        "type": ["VerifiableCredential", DRIVING],
        "issuer": office,
        "credentialSubject": {"id": f"did:key:z6Mk{i}", "licenceClass": "C1"},
        "proof": {"type": "DataIntegrityProof", "proofValue": f"z{i}"},
    }


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuse every outgoing connection from now on; returns the addresses that were tried."""
    tried: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        tried.append(address)
        raise ConnectionRefusedError(f"network blocked in this test: {address!r}")

    def no_lookup(*args: object, **kwargs: object) -> None:
        tried.append(args[:2])
        raise socket.gaierror(f"name lookups blocked in this test: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    return tried


def test_a_live_receipt_verifies_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    office_key = KeyPair.generate()
    with live_chain(tmp_path) as chain:
        office = chain.accredit("tp", office_key, types=[DRIVING])
        credentials = [_credential(office, i) for i in range(3)]
        chain.anchor(office, office_key, [credential_digest(c) for c in credentials], "b1")
        receipt = chain.client.receipt(credential_digest(credentials[1]))
        genesis = chain.client.blocks(0, 1).blocks[0]
        with pytest.raises(NotFoundError) as missing:
            chain.client.receipt("0" * 64)
        assert missing.value.code == "ANCHOR_NOT_FOUND"
        with pytest.raises(MalformedError) as bad:
            chain.client.receipt("not-hex")
        assert bad.value.field == "leaf"
        url = chain.url

    tried = block_network(monkeypatch)
    with pytest.raises(RegistryError):
        RegistryClient(url, retries=0).checkpoint()
    assert tried, "the network really is blocked"

    # The verifier trusts one thing: the genesis hash it was configured with.
    assert genesis.hash == chain.genesis_hash
    facts = ChainFacts.from_genesis(genesis)
    verify_receipt(receipt, credentials[1], facts)
    assert receipt.office == office and receipt.header.height == 2

    raw = receipt.to_json().encode("utf-8")
    codes: Counter[str] = Counter()
    for i in range(len(raw)):
        try:
            flipped = AnchorReceipt.from_json(raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :])
            verify_receipt(flipped, credentials[1], facts)
        except VCError as exc:
            codes[exc.code] += 1
    assert sum(codes.values()) == len(raw), "every flipped byte fails"
    assert codes[ReceiptCode.BLOCK_SIGNATURE_INVALID] and codes[ReceiptCode.LEAF_NOT_IN_BATCH]
    n_tried = len(tried)
    verify_receipt(receipt, credentials[1], facts)
    assert len(tried) == n_tried, "verifying opened no connection"


def test_a_live_bundle_verifies_with_every_socket_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office_key = KeyPair.generate()
    with live_chain(tmp_path) as chain:
        office = chain.accredit("tp", office_key, types=[DRIVING])
        credentials = [_credential(office, i) for i in range(4)]
        chain.anchor(office, office_key, [credential_digest(c) for c in credentials], "b1")
        chain.status(office, office_key, "urn:ecert:live:2", RevokeEvent(reason="lost"))
        chain.accredit("other", KeyPair.generate(), types=[DRIVING])
        receipt = chain.client.receipt(credential_digest(credentials[2]))
        checkpoint = chain.client.checkpoint()
        blocks = list(chain.client.iter_blocks(0, checkpoint.height))
        bundle = build_bundle(credentials[2], receipt, checkpoint, blocks)
    path = tmp_path / "credential-2.bundle.json"
    path.write_text(bundle.to_json(), encoding="utf-8")
    assert [f.tx.type for f in bundle.facts] == ["genesis", "issuer.accredit", "status"]

    tried = block_network(monkeypatch)
    with pytest.raises(RegistryError):
        RegistryClient(chain.url, retries=0).checkpoint()
    assert tried, "the network really is blocked"
    n_tried = len(tried)

    facts = verify_bundle(
        OfflineBundle.from_json(path.read_bytes()), genesis_hash=chain.genesis_hash
    )
    assert facts.office == office and facts.anchor_key == office_key.public_multibase
    key = facts.key(office_key.public_multibase)
    assert key is not None and key.active_at(facts.anchored_at)
    accreditation = facts.accreditation()
    assert accreditation is not None and accreditation.covers(DRIVING, "510104")
    assert facts.status().revoked and not facts.status(facts.anchored_at).revoked
    assert len(tried) == n_tried, "verifying the bundle opened no connection"
