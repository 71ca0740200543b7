"""W3C Bitstring Status List credentials built from the chain's status events (DESIGN §4).

List ``n`` of an office and a purpose (``revocation`` or ``suspension``) covers status indexes
``n·LIST_SIZE … (n+1)·LIST_SIZE − 1``; bit ``i`` (left-most first, Bitstring Status List v1.0
§2.2) is set when the credential filed under that index is revoked — or suspended — as of
``now``, folded by the core's :meth:`LedgerState.credential_status`. The list is a
``BitstringStatusListCredential`` issued by the registry node's ``did:key`` and signed with
``eddsa-jcs-2022``, so a standard verifier never calls the office either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from vc_core.dataintegrity import add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.did_ecert import office_did_from
from vc_core.errors import MalformedError, NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import LedgerReader
from vc_core.ledger.fields import format_time
from vc_core.status_list import LIST_SIZE, encode_list

MAX_LIST_NUMBER = 16_383  # indexes stay below 2^31
TTL_MS = 300_000
Purpose = Literal["revocation", "suspension"]
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"


def office_id(chain_id: str, office: str) -> str:
    """An office DID from a DID or a bare office name."""
    return office_did_from(chain_id, office)


def status_bits(
    *, reader: LedgerReader, office: str, purpose: Purpose, n: int, now: datetime
) -> bytes:
    """The raw bitstring of list ``n`` as of ``now``."""
    bits = bytearray(LIST_SIZE // 8)
    low = n * LIST_SIZE
    for index in reader.status_indexes(office, low, low + LIST_SIZE):
        status = reader.credential_status(office, status_index=index, as_of=now)
        if status.revoked if purpose == "revocation" else status.suspended:
            bit = index - low
            bits[bit // 8] |= 0x80 >> (bit % 8)
    return bytes(bits)


def status_list_credential(
    *,
    reader: LedgerReader,
    office: str,
    purpose: Purpose,
    n: int,
    list_url: str,
    node_key: KeyPair,
    now: datetime,
) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` for one list.

    Raises:
        NotFoundError: the office was never accredited on this chain.
        MalformedError: ``n`` is out of range.
    """
    if office not in reader.offices():
        raise NotFoundError(f"{office} is not an office on this chain", code="OFFICE_NOT_FOUND")
    if not 0 <= n <= MAX_LIST_NUMBER:
        raise MalformedError(f"list number must be 0…{MAX_LIST_NUMBER}", code="INVALID_LIST")
    bits = status_bits(reader=reader, office=office, purpose=purpose, n=n, now=now)
    issuer = did_key(node_key.public)
    document = {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_time(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
            "ttl": TTL_MS,
        },
    }
    return add_proof(
        document,
        node_key,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(node_key.public),
        created=now,
    )
