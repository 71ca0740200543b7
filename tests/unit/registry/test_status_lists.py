"""Bitstring Status List credentials: built from on-chain status events, signed by the node."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from vc_core.dataintegrity import verify_proofs
from vc_core.keys import KeyPair
from vc_core.ledger import RevokeEvent, StatusBody, SuspendEvent
from vc_core.status_list import MIN_ENTRIES, StatusListEntry, decode_list, read_status

if TYPE_CHECKING:
    from .conftest import Chain


def _entry(list_url: str, index: int, purpose: str) -> StatusListEntry:
    return StatusListEntry.from_dict(
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        }
    )


def _revoked(credential: dict[str, Any], purpose: str, index: int) -> bool:
    """Read the published list as a verifier does: through the vc_core codec."""
    return not read_status(_entry(credential["id"], index, purpose), credential).valid


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
    assert len(decode_list(subject["encodedList"])) * 8 == MIN_ENTRIES
    assert [i for i in (4, 5, 9) if _revoked(revocation, "revocation", i)] == [5]
    suspension = client.get(f"/status-lists/{office}/suspension/0").json()
    assert [i for i in (4, 5, 9) if _revoked(suspension, "suspension", i)] == [9]
    verify_proofs(revocation, now=chain.now)  # did:key of the node, eddsa-jcs-2022
    verify_proofs(suspension, now=chain.now)


def test_unknown_office_or_purpose_is_a_problem(client: TestClient, office: str) -> None:
    assert client.get("/status-lists/nobody/revocation/0").status_code == 404
    r = client.get("/status-lists/traffic-police/expiry/0")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/status-lists/traffic-police/revocation/99999").status_code == 400
