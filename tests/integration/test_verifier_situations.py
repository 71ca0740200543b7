"""Every failure code of verification (DESIGN §5, issue 9), each from a situation built through
real issuer and registry operations, judged by ``vc_core`` against a replica and by the verifier
service over HTTP — one chain, many situations.

Processes on 127.0.0.1: a registry node, two issuers (SQLite files in a temp dir) and a
verifier syncing its replica from the node. Office ``tp`` issues through its API with its
anchoring worker on; its approver revokes one credential and suspends another until a date U,
through ``POST /credentials/status``. Office ``lb`` issues through its API with its worker off,
so that the office anchors its batches itself, through the registry API, at chosen moments
around its key events: a batch signed with its first key K1; K2 added (with proof of
possession) and K1 retired; a batch after the retirement; a moment T; a batch after T; K1
declared compromised since T. ``lb`` runs with its own accreditation check off, so it can issue
for a subject outside its region, as a careless or rogue office would: the verifier must catch
it. The cases, each checked both ways (expected verdict and the exact failing steps):

- valid; revoked → REVOKED; suspended, as of before / during / after U → valid / SUSPENDED /
  valid;
- a deed superseded → SUPERSEDED, naming its successor (which is valid);
- signed by K1 and anchored before K1 was retired or compromised → valid; anchored after the
  retirement → KEY_NOT_ACTIVE_AT_ANCHOR_TIME (retired); anchored after T →
  KEY_NOT_ACTIVE_AT_ANCHOR_TIME (compromised);
- region 11… from an office accredited for 51… → ISSUER_OUT_OF_JURISDICTION;
- issued and never anchored → ANCHOR_NOT_FOUND;
- after the council suspends ``lb`` → ISSUER_SUSPENDED, and valid as of before it;
- the registry SIGKILLed with a fresh-enough replica → valid; once the replica is older than the
  policy → could_not_check (REPLICA_TOO_OLD), for a revoked or unanchored credential too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from issuer.auth import add_operator
from issuer.config import Settings
from issuer.db import make_engine
from issuer.office import init_office, unlock_office
from issuer.testing import IssuerProcess, start_issuer
from registry.config import Settings as RegistrySettings
from registry.setup import init_registry, read_key
from registry.testing import NodeProcess, start_node
from tests.integration.live_registry import LiveChain
from vc_core.anchoring import credential_digest
from vc_core.credential_types import example_credential
from vc_core.keys import KeyPair
from vc_core.keystore import KdfLimits
from vc_core.ledger import council_tx
from vc_core.ledger.bodies import (
    IssuerSuspendBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    SupersedeEvent,
)
from vc_core.ledger.tx import add_signature
from vc_core.registry_client import RegistryClient
from vc_core.replica import HttpSource, Replica
from vc_core.verification import FreshnessPolicy, check_credential
from verifier.testing import VerifierProcess, start_verifier

pytestmark = pytest.mark.integration
PASSPHRASE = "situations passphrase, never logged"
DRIVER = "DriverLicenceCredential"
DEED = "PropertyDeedCredential"
MAX_AGE_S = 4.0  # the verifier's freshness policy, short so that a replica ages in the test
POLICY = FreshnessPolicy(max_age=timedelta(seconds=MAX_AGE_S))
SUSPENSION_S = 3.0
WAIT_S = 60.0
HTTP_STATUS = {"valid": 200, "invalid": 422, "could_not_check": 503}


@dataclass
class Desk:
    """An office's issuer process and its operators' tokens."""

    did: str
    key: KeyPair
    issuer: IssuerProcess
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def issue(self, draft: dict[str, Any]) -> dict[str, Any]:
        draft = {k: v for k, v in draft.items() if k != "id"}
        answer = httpx.post(
            self.issuer.url + "/credentials/issue",
            json={"credential": draft},
            headers=self.headers("issuer"),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["verifiableCredential"])

    def wait_anchored(self, credential_id: str) -> None:
        deadline = time.monotonic() + WAIT_S
        url = f"{self.issuer.url}/credentials/{credential_id}/receipt"
        while httpx.get(url, headers=self.headers("issuer"), timeout=10).status_code != 200:
            assert time.monotonic() < deadline, self.issuer.log()[-3000:]
            time.sleep(0.1)

    def change_status(self, credential_id: str, action: str, **extra: str) -> None:
        body = {"credentialId": credential_id, "action": action, "reason": "inquiry", **extra}
        answer = httpx.post(
            self.issuer.url + "/credentials/status",
            json=body,
            headers=self.headers("approver"),
            timeout=60,
        )
        assert answer.status_code == 200 and answer.json()["state"] == "included", answer.text


@dataclass
class Office:
    """An office initialised and accredited, its issuer not started yet."""

    did: str
    key: KeyPair
    data: Path
    tokens: dict[str, str]
    env: dict[str, str]

    def start(self, stack: ExitStack) -> Desk:
        issuer = start_issuer(self.data, env=self.env)
        stack.callback(issuer.stop)
        return Desk(did=self.did, key=self.key, issuer=issuer, tokens=self.tokens)


def _office(tmp: Path, chain: LiveChain, name: str, types: list[str], **env: str) -> Office:
    """An office initialised and accredited for ``types`` in region 51…, with two operators."""
    settings = Settings(data_dir=tmp / name)
    now = datetime.now(UTC)
    did = f"did:ecert:{chain.chain_id}:{name}"
    init_office(
        settings=settings,
        did=did,
        name=name,
        passphrase=PASSPHRASE,
        limits=KdfLimits.minimum(),
        now=now,
    )
    key = unlock_office(settings=settings, passphrase=PASSPHRASE).signer
    chain.accredit(name, key, types=types)
    engine = make_engine(settings.db_url)
    tokens = {}
    with Session(engine) as session:
        for role in ("issuer", "approver"):
            tokens[role] = add_operator(
                session,
                name=role,
                roles=[role],
                credential_types=types,
                lifetime=timedelta(days=1),
                now=now,
            ).token
    engine.dispose()
    process_env = {
        "ISSUER_PASSPHRASE": PASSPHRASE,
        "ISSUER_REGISTRY_URL": chain.url,
        "ISSUER_GENESIS_HASH": chain.genesis_hash,
        "ISSUER_BATCH_MAX_AGE_S": "0.2",
        **env,
    }
    return Office(did=did, key=key, data=settings.data_dir, tokens=tokens, env=process_env)


def _verifier(tmp: Path, chain: LiveChain, stack: ExitStack) -> VerifierProcess:
    env = {
        "VERIFIER_GENESIS_HASH": chain.genesis_hash,
        "VERIFIER_REGISTRY_URLS": json.dumps([chain.url]),
        "VERIFIER_SYNC_INTERVAL_S": "0.2",
        "VERIFIER_SYNC_TIMEOUT_S": "2",
        "VERIFIER_FRESHNESS_MAX_AGE_S": str(MAX_AGE_S),
    }
    verifier = start_verifier(tmp / "verifier", env=env)
    stack.callback(verifier.stop)
    return verifier


@dataclass
class Case:
    """One situation: the credential, the check time, and the expected verdict and failure."""

    name: str
    credential: dict[str, Any]
    verdict: str
    failure: tuple[int, str] | None = None
    as_of: datetime | None = None


def _failures(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [
        (s["step"], s["code"])
        for s in report["steps"]
        if s["status"] in ("failed", "could_not_check")
    ]


def _by_vc_core(replica: Replica, case: Case) -> dict[str, Any]:
    report = check_credential(
        case.credential, reader=replica, now=datetime.now(UTC), as_of=case.as_of, policy=POLICY
    )
    return report.to_dict()


def _by_http(verifier: VerifierProcess, case: Case) -> dict[str, Any]:
    body: dict[str, Any] = {"verifiableCredential": case.credential}
    if case.as_of is not None:
        body["options"] = {"asOf": case.as_of.isoformat()}
    answer = httpx.post(verifier.url + "/credentials/verify", json=body, timeout=30)
    assert answer.status_code == HTTP_STATUS[case.verdict], (case.name, answer.text)
    report: dict[str, Any] = answer.json()
    return report["report"] if answer.status_code == 503 else report


def _judge(cases: list[Case], replica: Replica, verifier: VerifierProcess) -> dict[str, Any]:
    """Check every case both ways; return the reports by case name (vc_core's)."""
    reports: dict[str, Any] = {}
    for case in cases:
        for how, report in (
            ("vc_core", _by_vc_core(replica, case)),
            ("http", _by_http(verifier, case)),
        ):
            expected = [case.failure] if case.failure else []
            got = (report["verdict"], _failures(report))
            assert got == (case.verdict, expected), (case.name, how, report)
            reports[case.name] = report
    return reports


def _details(report: dict[str, Any], step: int) -> dict[str, Any]:
    return dict(next(s for s in report["steps"] if s["step"] == step).get("details", {}))


def _wait_synced(verifier: VerifierProcess, height: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        replica = httpx.get(verifier.url + "/health", timeout=5).json()["replica"]
        if replica["height"] is not None and replica["height"] >= height:
            return
        assert time.monotonic() < deadline, verifier.log()[-3000:]
        time.sleep(0.05)


def _chain(tmp: Path, stack: ExitStack) -> tuple[LiveChain, NodeProcess]:
    """A chain whose node the test can SIGKILL (``live_chain`` only stops it at the end)."""
    data = tmp / "node"
    made = init_registry(
        settings=RegistrySettings(data_dir=data),
        chain_id="sit",
        council_size=1,
        threshold=1,
        now=datetime.now(UTC),
    )
    node = start_node(data)
    stack.callback(node.stop)
    client = stack.enter_context(RegistryClient(node.url))
    chain = LiveChain(
        url=node.url,
        chain_id="sit",
        genesis_hash=made.genesis_hash,
        council=read_key(made.council_key_paths[0]),
        producer=read_key(made.node_key_path),
        data_dir=data,
        client=client,
    )
    return chain, node


def _anchor_times(replica: Replica, *credentials: dict[str, Any]) -> Iterator[datetime]:
    for credential in credentials:
        found = replica.leaf_anchor(credential_digest(credential))
        assert found is not None
        yield found.batch.time


def test_every_failure_code_from_real_situations(tmp_path: Path) -> None:
    with ExitStack() as stack:
        chain, node = _chain(tmp_path, stack)
        offices = (
            _office(tmp_path, chain, "tp", [DRIVER]),
            _office(
                tmp_path,
                chain,
                "lb",
                [DRIVER, DEED],
                ISSUER_ANCHOR_WORKER="false",
                ISSUER_ACCREDITATION_CHECK="false",
                # One operator issues deeds alone here: dual control is tested with the deeds.
                ISSUER_APPROVALS_BY_TYPE=json.dumps({DEED: 1}),
            ),
        )
        # The three services start side by side (each waits for its own health check).
        with ThreadPoolExecutor(max_workers=3) as pool:
            verifying = pool.submit(_verifier, tmp_path, chain, stack)
            tp, lb = pool.map(lambda office: office.start(stack), offices)
            verifier = verifying.result()

        # Office tp: issued and anchored by its own worker; revoked; suspended until `until`.
        valid, revoked, suspended = (tp.issue(example_credential(DRIVER)) for _ in range(3))
        for credential in (valid, revoked, suspended):
            tp.wait_anchored(credential["id"])
        tp.change_status(revoked["id"], "revoke")
        before_suspension = datetime.now(UTC)
        until = datetime.now(UTC) + timedelta(seconds=SUSPENSION_S)
        tp.change_status(suspended["id"], "suspend", until=until.isoformat())
        during_suspension = datetime.now(UTC)

        # Office lb: issued through its API; anchored by the office around its key events.
        drafts = {
            name: example_credential(DRIVER)
            for name in ("before_compromise", "after_retirement", "after_compromise", "pending")
        }
        drafts["beijing"] = example_credential(DRIVER)
        drafts["beijing"]["credentialSubject"]["divisionCode"] = "110101"
        drafts["old_deed"] = drafts["new_deed"] = example_credential(DEED)
        lb_vcs = {name: lb.issue(draft) for name, draft in drafts.items()}
        k1, k2 = lb.key, KeyPair.generate()

        def anchor(key: KeyPair, batch: str, *names: str) -> None:
            chain.anchor(lb.did, key, [credential_digest(lb_vcs[n]) for n in names], batch)

        anchor(k1, "first", "before_compromise", "beijing", "old_deed", "new_deed")
        added = chain.office_tx(lb.did, "key.add", KeyAddBody(key=k2.public_multibase), k1)
        chain.include(add_signature(added, k2))  # K2's proof of possession
        chain.include(
            chain.office_tx(lb.did, "key.retire", KeyRetireBody(key=k1.public_multibase), k2)
        )
        anchor(k2, "second", "after_retirement")
        compromised_since = datetime.now(UTC)
        time.sleep(0.05)  # the next block's time is after `compromised_since`
        anchor(k2, "third", "after_compromise")
        compromise = KeyCompromisedBody(
            office=lb.did, key=k1.public_multibase, since=compromised_since, reason="laptop stolen"
        )
        chain.include(chain.office_tx(lb.did, "key.compromised", compromise, k2))
        supersede = SupersedeEvent(by=lb_vcs["new_deed"]["id"], reason="transfer")
        last = chain.status(lb.did, k2, lb_vcs["old_deed"]["id"], supersede)

        replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=chain.genesis_hash)
        stack.callback(replica.close)
        replica.sync([HttpSource(chain.url)], now=datetime.now(UTC))
        first, second, third = _anchor_times(
            replica,
            lb_vcs["before_compromise"],
            lb_vcs["after_retirement"],
            lb_vcs["after_compromise"],
        )
        assert first < second < compromised_since <= third, "the situation is as intended"
        assert last.height is not None
        _wait_synced(verifier, last.height)
        replica.sync([HttpSource(chain.url)], now=datetime.now(UTC))

        key_step, anchor_step, status_step, accreditation_step = 3, 5, 6, 4
        reports = _judge(
            [
                Case("valid", valid, "valid"),
                Case("revoked", revoked, "invalid", (status_step, "REVOKED")),
                Case("suspended: before", suspended, "valid", as_of=before_suspension),
                Case(
                    "suspended: during",
                    suspended,
                    "invalid",
                    (status_step, "SUSPENDED"),
                    as_of=during_suspension,
                ),
                Case("superseded", lb_vcs["old_deed"], "invalid", (status_step, "SUPERSEDED")),
                Case("successor", lb_vcs["new_deed"], "valid"),
                Case("compromised after the anchor", lb_vcs["before_compromise"], "valid"),
                Case(
                    "retired before the anchor",
                    lb_vcs["after_retirement"],
                    "invalid",
                    (key_step, "KEY_NOT_ACTIVE_AT_ANCHOR_TIME"),
                ),
                Case(
                    "compromised before the anchor",
                    lb_vcs["after_compromise"],
                    "invalid",
                    (key_step, "KEY_NOT_ACTIVE_AT_ANCHOR_TIME"),
                ),
                Case(
                    "out of region",
                    lb_vcs["beijing"],
                    "invalid",
                    (accreditation_step, "ISSUER_OUT_OF_JURISDICTION"),
                ),
                Case(
                    "not anchored yet",
                    lb_vcs["pending"],
                    "invalid",
                    (anchor_step, "ANCHOR_NOT_FOUND"),
                ),
            ],
            replica,
            verifier,
        )
        assert (
            _details(reports["superseded"], status_step)["successor"] == (lb_vcs["new_deed"]["id"])
        )
        assert _details(reports["retired before the anchor"], key_step)["state"] == "retired"
        assert _details(reports["compromised before the anchor"], key_step)["state"] == (
            "compromised"
        )

        # The council suspends office lb: its credentials are not accepted while it lasts, and
        # are as of a date before it. And tp's suspension has ended by now.
        before_office_suspension = datetime.now(UTC)
        suspend = IssuerSuspendBody(office=lb.did, reason="audit")
        seq = chain.client.next_seq(chain.council.public_multibase)
        suspended_office = chain.include(
            council_tx(
                chain.chain_id,
                "issuer.suspend",
                suspend,
                proposer=chain.council,
                seq=seq,
                time=datetime.now(UTC),
            )
        )
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.1)
        replica.sync([HttpSource(chain.url)], now=datetime.now(UTC))
        assert suspended_office.height is not None
        _wait_synced(verifier, suspended_office.height)
        _judge(
            [
                Case(
                    "office suspended",
                    lb_vcs["new_deed"],
                    "invalid",
                    (accreditation_step, "ISSUER_SUSPENDED"),
                ),
                Case(
                    "office suspended: before",
                    lb_vcs["new_deed"],
                    "valid",
                    as_of=before_office_suspension,
                ),
                Case("suspended: after", suspended, "valid"),
                Case(
                    "suspended: during, asked later",
                    suspended,
                    "invalid",
                    (status_step, "SUSPENDED"),
                    as_of=during_suspension,
                ),
            ],
            replica,
            verifier,
        )

        # The registry is SIGKILLed: a fresh-enough replica still answers, both ways.
        replica.sync([HttpSource(chain.url)], now=datetime.now(UTC))
        node.kill()
        _judge([Case("registry unreachable", valid, "valid")], replica, verifier)
        # Once the replica is older than the policy: could not check, never valid or invalid.
        time.sleep(MAX_AGE_S + 0.5)
        stale = [
            Case("replica too old", valid, "could_not_check", (8, "REPLICA_TOO_OLD")),
        ]
        _judge(stale, replica, verifier)
        for credential in (revoked, lb_vcs["pending"]):
            report = check_credential(
                credential, reader=replica, now=datetime.now(UTC), policy=POLICY
            )
            assert report.verdict.value == "could_not_check", report.codes
        assert "Traceback" not in verifier.log()
