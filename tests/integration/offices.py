"""One issuing office on a live chain, for the integration, browser and EVM tests: made, served
and asked for credentials and receipts the same way everywhere.

The office's data folder is sealed under :data:`PASSPHRASE`, accredited on the chain for the
types given, and holds one operator per role (each scoped to those types); :func:`issuer_env`
is the environment its ``ecert issuer serve`` process needs.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from issuer.auth import add_operator
from issuer.config import Settings
from issuer.db import make_engine
from issuer.office import Office, init_office, unlock_office
from issuer.testing import IssuerProcess
from tests.integration.live_registry import LiveChain
from vc_core.anchoring import AnchorReceipt
from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.keystore import KdfLimits
from vc_core.registry_client import RegistryClient

PASSPHRASE = "office test passphrase, never logged"
DRIVER = "DriverLicenceCredential"
WAIT_S = 60.0


@dataclass
class LiveOffice:
    data: Path
    office: Office
    tokens: dict[str, str]
    db_url: str | None = None

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_office(
    tmp: Path,
    chain: LiveChain,
    db_url: str | None = None,
    name: str = "tp",
    *,
    types: Sequence[str] = (DRIVER,),
    prefixes: Sequence[str] | None = None,
    roles: Sequence[str] = ("issuer", "approver"),
    title: str = "Traffic police",
) -> LiveOffice:
    """An office ``name`` in ``tmp/office``, accredited on ``chain`` for ``types`` (in
    ``prefixes``' regions when given, else the chain helper's default)."""
    data = tmp / "office"
    settings = Settings(data_dir=data, database_url=db_url)
    now = datetime.now(UTC)
    init_office(
        settings=settings,
        did=f"did:ecert:{chain.chain_id}:{name}",
        name=title,
        passphrase=PASSPHRASE,
        limits=KdfLimits.minimum(),
        now=now,
    )
    office = unlock_office(settings=settings, passphrase=PASSPHRASE)
    if prefixes is None:
        chain.accredit(name, office.signer, types=list(types))
    else:
        chain.accredit(name, office.signer, types=list(types), prefixes=tuple(prefixes))
    engine = make_engine(settings.db_url)
    tokens = {}
    with Session(engine) as session:
        for role in roles:
            made = add_operator(
                session,
                name=role,
                roles=[role],
                credential_types=list(types),
                lifetime=timedelta(days=1),
                now=now,
            )
            tokens[role] = made.token
    engine.dispose()
    return LiveOffice(data=data, office=office, tokens=tokens, db_url=db_url)


def issuer_env(chain: LiveChain, office: LiveOffice, **extra: str) -> dict[str, str]:
    database = {"ISSUER_DATABASE_URL": office.db_url} if office.db_url else {}
    return {
        **database,
        "ISSUER_PASSPHRASE": PASSPHRASE,
        "ISSUER_REGISTRY_URL": chain.url,
        "ISSUER_GENESIS_HASH": chain.genesis_hash,
        "ISSUER_BATCH_MAX_AGE_S": "0.3",
        **extra,
    }


def example_draft(type_name: str) -> dict[str, Any]:
    name = CREDENTIAL_TYPES[type_name].example_file
    text = resources.files("schemas").joinpath("examples", name).read_text("utf-8")
    draft: dict[str, Any] = json.loads(text)
    draft.pop("id")
    return draft


def driver_draft() -> dict[str, Any]:
    return example_draft(DRIVER)


def issue_drivers(issuer: IssuerProcess, office: LiveOffice, n: int) -> list[dict[str, Any]]:
    issued = []
    for _ in range(n):
        answer = httpx.post(
            issuer.url + "/credentials/issue",
            json={"credential": driver_draft()},
            headers=office.headers("issuer"),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        issued.append(answer.json()["verifiableCredential"])
    return issued


def wait_receipt(issuer: IssuerProcess, office: LiveOffice, credential_id: str) -> AnchorReceipt:
    """Poll ``GET /credentials/{id}/receipt`` until the credential is anchored."""
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = httpx.get(
            f"{issuer.url}/credentials/{credential_id}/receipt",
            headers=office.headers("issuer"),
            timeout=10,
        )
        if answer.status_code == 200:
            return AnchorReceipt.from_json(answer.content)
        assert answer.status_code == 202 and answer.json()["state"] == "pending", answer.text
        assert time.monotonic() < deadline, "not anchored in time:\n" + issuer.log()[-3000:]
        time.sleep(0.1)


def anchored_leaves(client: RegistryClient, office_did: str) -> Counter[str]:
    """How many times each leaf appears in the office's anchor transactions on chain."""
    seen: Counter[str] = Counter()
    for block in client.iter_blocks(0):
        for tx in block.transactions:
            if tx.type == "anchor" and tx.author == office_did:
                seen.update(tx.body.leaves or ())  # type: ignore[union-attr]
    return seen
