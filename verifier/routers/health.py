"""``GET /health``: the service is up, which chain it trusts, and how far its replica is; and
``GET /.well-known/did.json``: the bank's did:web document naming the receipt key (404 when
receipts are signed by the key's did:key)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from vc_core.errors import NotFoundError
from vc_core.replica import Replica
from verifier.deps import SettingsDep
from verifier.receipts import ReceiptSigner
from verifier.sync import ReplicaSync

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Up, with the replica's head and signed checkpoint and how the last sync ended."""
    replica: Replica = request.app.state.replica
    syncer: ReplicaSync | None = request.app.state.syncer
    head, checkpoint = replica.head, replica.checkpoint
    last = syncer.last if syncer is not None else None
    return {
        "status": "ok",
        "genesisHash": settings.genesis_hash,
        "replica": {
            "height": head.height if head is not None else None,
            "hash": head.hash if head is not None else None,
            "checkpointTime": checkpoint.time.isoformat() if checkpoint is not None else None,
        },
        "lastSync": None if last is None else {**asdict(last), "at": last.at.isoformat()},
    }


@router.get("/.well-known/did.json")
async def did_document(request: Request) -> dict[str, Any]:
    """The did:web DID document for the receipts' issuer, for the bank to publish at its domain."""
    receipts: ReceiptSigner = request.app.state.receipts
    document = receipts.did_document()
    if document is None:
        raise NotFoundError("receipts are signed by this verifier's did:key; there is no did:web")
    return document
