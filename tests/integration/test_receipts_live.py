"""A receipt served by a live registry (a real node on 127.0.0.1) verifies offline — with the
node stopped and every new socket connection refused — and any flipped byte of it fails."""

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
    ReceiptCode,
    credential_digest,
    verify_receipt,
)
from vc_core.errors import MalformedError, NotFoundError, RegistryError, VCError
from vc_core.keys import KeyPair
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

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
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
