"""The citizen's wallet meets the real services: OpenID4VCI from an office, OpenID4VP to a bank.

The issuer's and the verifier's real FastAPI apps (``issuer.app.create_app``,
``verifier.app.create_app``) are served by uvicorn on 127.0.0.1 at free ports, each in a thread
of this process, for the length of one step; their databases are SQLite files in the demo's
temporary folder. Their clocks are pinned to the story's time (the issuer's ``get_now``
dependency, the verifier's ``clock``), so the step runs the same every time. The wallet is
``wallet_cli``'s own code: its encrypted store (:class:`wallet_cli.store.Home`), its OpenID4VCI
client (:func:`wallet_cli.oid4vci.receive`, pre-authorized code + ``tx_code`` + key proof) and
its OpenID4VP client (:mod:`wallet_cli.oid4vp`: read the signed request, choose the credential,
sign the presentation, post it). Only loopback sockets are used.

The issuer service has no registry here (its chain worker is off): the office's anchor of the
credential is submitted by the story's :class:`ecert.story.office.Office`, which holds the same
signing key, and the bank's verifier reads the bank's replica the story keeps in sync.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session

from ecert.story.chain import demo_key
from ecert.story.office import Office
from issuer.app import create_app as create_issuer_app
from issuer.auth import add_operator
from issuer.config import Settings as IssuerSettings
from issuer.db import make_engine
from issuer.deps import get_now
from issuer.office import Office as IssuerOffice
from vc_core.anchoring import credential_digest
from vc_core.credential_types import example_credential
from vc_core.did import did_key
from vc_core.errors import VCError
from vc_core.keystore import KdfLimits
from vc_core.oid4vp import client_id_of
from vc_core.replica import Replica
from verifier.app import create_app as create_verifier_app
from verifier.config import Settings as VerifierSettings
from verifier.oid4vp.auth import new_api_key
from verifier.oid4vp.signer import RequestSigner
from wallet_cli import oid4vci, oid4vp
from wallet_cli.records import LOCAL_ID_LENGTH, Record
from wallet_cli.store import Home, Wallet

# Never printed; the wallet is sealed at libsodium's minimum Argon2id cost to keep the demo quick.
WALLET_PASSPHRASE = "demo wallet passphrase"  # noqa: S105 (a demo's throwaway, not a secret)
CLAIMS = ("credentialSubject.licenceNumber", "credentialSubject.vehicleClasses")
START_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread (lifespan included), until
    the block ends; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"demo-uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the demo's service on port {port} did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)


@dataclass
class Received:
    """What the wallet step leaves for the presentation step."""

    home: Home
    credential: dict[str, Any]
    local_id: str
    tx_code_length: int
    issuer_served_at: str


def new_wallet(folder: Path, created: datetime) -> Home:
    """The citizen's wallet: a demo holder key (deterministic), sealed in ``folder``."""
    home = Home(folder)
    wallet = Wallet(
        holder=demo_key("citizen wallet holder"),
        limits=KdfLimits.minimum(),
        created=created.isoformat(timespec="seconds"),
    )
    home.save(wallet, WALLET_PASSPHRASE)
    return home


def holder_did(home: Home) -> str:
    return did_key(home.open(WALLET_PASSPHRASE).holder.public)


def _offer_body(credential_type: str) -> dict[str, Any]:
    example = example_credential(credential_type)
    return {
        "credentialType": credential_type,
        "credentialSubject": example["credentialSubject"],
        "validFrom": example["validFrom"],
        "validUntil": example["validUntil"],
    }


def receive_by_offer(folder: Path, office: Office, home: Home, at: datetime) -> Received:
    """The office's issuer service makes an offer; the wallet redeems it (OpenID4VCI 1.0 §3.5:
    pre-authorized code, the ``tx_code`` the citizen types, a key proof of the holder DID)."""
    settings = IssuerSettings(data_dir=folder / f"issuer-{office.spec.name}", anchor_worker=False)
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        clerk = add_operator(
            session,
            name="clerk",
            roles=["issuer"],
            credential_types=[office.spec.credential_type],
            lifetime=timedelta(hours=8),
            now=at,
        ).token
    engine.dispose()
    signer = IssuerOffice(did=office.spec.did, name=office.spec.title, signer=office.signing_key)
    app = create_issuer_app(settings, signer)

    async def pinned() -> datetime:
        return at

    app.dependency_overrides[get_now] = pinned
    with serving(app, _free_port()) as url:
        made = httpx.post(
            f"{url}/offers",
            json=_offer_body(office.spec.credential_type),
            headers={"Authorization": f"Bearer {clerk}"},
            timeout=30,
        )
        made.raise_for_status()
        offer = made.json()
        with home.locked():
            wallet = home.open(WALLET_PASSPHRASE)
            got = oid4vci.receive(
                offer["offer_uri"],
                holder=wallet.holder,
                tx_code=lambda spec: str(offer["tx_code"]),  # what the citizen types
                now=lambda: at,
            )
            record = Record(
                local_id=credential_digest(got.credential)[:LOCAL_ID_LENGTH],
                credential=got.credential,
                added=at.isoformat(timespec="seconds"),
                issuer_url=got.credential_issuer,
            )
            wallet.records.append(record)
            home.save(wallet, WALLET_PASSPHRASE)
    return Received(home, got.credential, record.local_id, len(offer["tx_code"]), url)


@dataclass
class Presented:
    client_id: str
    asked_type: str
    claims: tuple[str, ...]
    verdict: str
    revealed: dict[str, Any]
    replay: str


def present_to_bank(
    folder: Path, replica: Replica, genesis_hash: str, received: Received, at: datetime
) -> Presented:
    """The bank's verifier asks by an OpenID4VP 1.0 request (signed Request Object, DCQL
    query, ``direct_post``); the wallet shows who asks and what, and answers; the bank reads the
    verdict. The answer is then posted again, as a replay, and refused."""
    api_key, api_hash = new_api_key()
    port = _free_port()
    settings = VerifierSettings(
        genesis_hash=genesis_hash,
        data_dir=folder / "bank-verifier",
        port=port,
        requester_key_hashes=[api_hash],
    )
    key = demo_key("bank verifier request signing")
    signer = RequestSigner(key, client_id_of(key), persistent=False)
    app = create_verifier_app(
        settings,
        replica=replica,
        clock=lambda: at,
        signer=signer,
        receipt_key=demo_key("bank verifier receipts"),
    )
    auth = {"Authorization": f"Bearer {api_key}"}
    with serving(app, port) as url, httpx.Client(timeout=30, follow_redirects=False) as http:
        body = {"credentialType": received.credential["type"][-1], "claims": list(CLAIMS)}
        made = http.post(f"{url}/presentation-requests", json=body, headers=auth)
        made.raise_for_status()
        asked = made.json()
        wallet = received.home.open(WALLET_PASSPHRASE)
        request = oid4vp.fetch_request(http, asked["uri"], now=at)
        chosen = oid4vp.plan(wallet, request)
        oid4vp.send(http, wallet, chosen, now=at, cryptosuite="eddsa-rdfc-2022")
        result = http.get(asked["resultUrl"], headers=auth).json()
        replay = _replay(http, wallet, chosen, at)
    return Presented(
        client_id=chosen.client_id,
        asked_type=body["credentialType"],
        claims=chosen.claims,
        verdict=str(result.get("verdict")),
        revealed=dict(result.get("claims") or {}),
        replay=replay,
    )


def _replay(http: httpx.Client, wallet: Wallet, chosen: oid4vp.Plan, at: datetime) -> str:
    """The same answer sent a second time: the verifier's refusal code."""
    try:
        oid4vp.send(http, wallet, chosen, now=at, cryptosuite="eddsa-rdfc-2022")
    except VCError as exc:
        return exc.message
    return "accepted (it should not have been)"
