"""An issuing office: its keys, its credentials, its anchors and its status events (DESIGN §3, §4).

The office signs its own ledger transactions (``key.add``, ``anchor``, ``status``) with
:func:`vc_core.ledger.office_tx`, in-process; a real office's issuer service does the same through
its anchoring outbox and status endpoint (``issuer/``). Credentials are issued with
:func:`vc_core.issuance.issue_credential`, the recipe the issuer service and the CLI share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecert.story.chain import CHAIN_ID, OfficeSpec, Registry, demo_key, method_of
from vc_core.anchoring import credential_digest
from vc_core.canon import LocalContexts
from vc_core.credential_types import example_credential
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AnchorBody,
    KeyAddBody,
    RevokeEvent,
    StatusBody,
    Transaction,
    add_signature,
    office_tx,
)
from vc_core.status_list import ENTRY_TYPE, LIST_SIZE
from vc_core.transparency import MerkleTree

# Where the registry node serves status lists (``GET /status-lists/{office}/{purpose}/{n}``).
# The demo never fetches it: it builds the same list in-process and checks it offline.
REGISTRY_URL = "https://registry.demo.ecert.example"


@dataclass(frozen=True)
class Office:
    """An office and its two keys: the first, named by the council, and the one that signs."""

    spec: OfficeSpec
    first_key: KeyPair
    signing_key: KeyPair

    @classmethod
    def of(cls, spec: OfficeSpec) -> Office:
        return cls(spec, demo_key(f"{spec.name} first"), demo_key(f"{spec.name} signing"))

    def _tx(
        self, registry: Registry, tx_type: str, body: Any, key: KeyPair, now: datetime
    ) -> Transaction:
        did = self.spec.did
        seq = registry.ledger.next_seq(did)
        return office_tx(CHAIN_ID, tx_type, body, office=did, seq=seq, time=now, key=key)

    def add_signing_key(self, registry: Registry, now: datetime) -> Transaction:
        """``key.add`` of the signing key, signed by the first key (active since accreditation)
        and by the new key itself: its proof of possession."""
        body = KeyAddBody(key=self.signing_key.public_multibase)
        return add_signature(
            self._tx(registry, "key.add", body, self.first_key, now), self.signing_key
        )

    def anchor(
        self, registry: Registry, credentials: list[dict[str, Any]], batch_id: str, now: datetime
    ) -> Transaction:
        """``anchor`` of one batch: the RFC 6962 root over the credentials' digests (published)."""
        leaves = [credential_digest(c) for c in credentials]
        root = MerkleTree([bytes.fromhex(leaf) for leaf in leaves]).root.hex()
        body = AnchorBody(
            batch_id=batch_id, batch_root=root, leaf_count=len(leaves), leaves=tuple(leaves)
        )
        return self._tx(registry, "anchor", body, self.signing_key, now)

    def revoke(
        self, registry: Registry, credential: dict[str, Any], reason: str, now: datetime
    ) -> Transaction:
        """``status`` event ``revoke``, naming the credential by its id and its list index."""
        body = StatusBody(
            credential_id=credential["id"],
            status_index=int(credential["credentialStatus"]["statusListIndex"]),
            event=RevokeEvent(reason=reason),
        )
        return self._tx(registry, "status", body, self.signing_key, now)

    def status_list_url(self, n: int = 0) -> str:
        return f"{REGISTRY_URL}/status-lists/{self.spec.name}/revocation/{n}"

    def draft(self) -> dict[str, Any]:
        """The bundled example of the office's type, issued by this office, with a revocation
        entry in the office's list 0 at an index derived from the credential's id."""
        document = example_credential(self.spec.credential_type)
        index = int.from_bytes(hashlib.sha256(document["id"].encode()).digest()[:4]) % LIST_SIZE
        url = self.status_list_url()
        document["issuer"] = self.spec.did
        document["credentialStatus"] = {
            "id": f"{url}#{index}",
            "type": ENTRY_TYPE,
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": url,
        }
        return document

    def issue(self, suite: str, now: datetime, contexts: LocalContexts) -> dict[str, Any]:
        """The office's credential, validated and signed with ``suite`` by its signing key."""
        return issue_credential(
            self.draft(),
            self.signing_key,
            suite=suite,
            now=now,
            contexts=contexts,
            verification_method=method_of(self.spec, self.signing_key),
        )
