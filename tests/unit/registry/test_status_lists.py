"""Bitstring Status List credentials: built from on-chain status events, signed by the node."""

from __future__ import annotations

import base64
import gzip
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from vc_core.dataintegrity import verify_proofs
from vc_core.keys import KeyPair
from vc_core.ledger import RevokeEvent, StatusBody, SuspendEvent

if TYPE_CHECKING:
    from .conftest import Chain


def _bits(encoded: str) -> bytes:
    assert encoded.startswith("u")
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    return gzip.decompress(raw)


def _bit(bits: bytes, i: int) -> bool:
    return bool(bits[i // 8] & (0x80 >> (i % 8)))


def test_status_lists_follow_the_chain(
    chain: Chain, client: TestClient, office: str, office_key: KeyPair
) -> None:
    events = [
        StatusBody(status_index=5, event=RevokeEvent(reason="lost")),
        StatusBody(
            status_index=9,
            event=SuspendEvent.model_validate(
                {"from": chain.now - timedelta(minutes=1), "reason": "audit"}
            ),
        ),
    ]
    for body in events:
        tx = chain.office_tx(office, "status", body, office_key)
        assert (
            client.post("/transactions", content=tx.to_json(), headers=chain.wait).status_code
            == 200
        )
    revocation = client.get("/status-lists/traffic-police/revocation/0").json()
    assert revocation["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = revocation["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    bits = _bits(subject["encodedList"])
    assert len(bits) * 8 == 131_072
    assert _bit(bits, 5) and not _bit(bits, 9) and not _bit(bits, 4)
    suspension = client.get(f"/status-lists/{office}/suspension/0").json()
    bits = _bits(suspension["credentialSubject"]["encodedList"])
    assert _bit(bits, 9) and not _bit(bits, 5)
    verify_proofs(revocation)  # did:key of the node, eddsa-jcs-2022
    verify_proofs(suspension)


def test_unknown_office_or_purpose_is_a_problem(client: TestClient, office: str) -> None:
    assert client.get("/status-lists/nobody/revocation/0").status_code == 404
    r = client.get("/status-lists/traffic-police/expiry/0")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/status-lists/traffic-police/revocation/99999").status_code == 400
