"""``ecert demo``: the story of ecert told with its real parts, offline, at fixed times.

A council creates a registry chain and accredits five offices; the offices issue and anchor the
bundled example credentials; receipts and offline bundles are checked with no network; a bank
checks every credential from its own replica; an office revokes one; a tampered copy is refused.
Each role's steps are plain functions in :mod:`ecert.story`, the cast and timeline are in
:mod:`ecert.story.cast`; this module orders the steps and prints one plain line for each. What
is not built yet is said, not faked. No secret is ever printed.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from ecert.story import cast
from ecert.story.bank import (
    bundle_for,
    check_bundle,
    check_credential,
    check_proof,
    check_receipt,
    published_status,
    receipt_for,
    sync_replica,
)
from ecert.story.chain import Council, Registry, accredit, create_registry, seal, submit
from ecert.story.office import Office
from vc_core.anchoring import AnchorReceipt
from vc_core.canon import LocalContexts, default_contexts
from vc_core.dataintegrity import CRYPTOSUITES
from vc_core.errors import VCError
from vc_core.ledger import AnchorBody
from vc_core.replica import Replica

Key = tuple[str, str]  # (office name, cryptosuite)


@dataclass
class Scene:
    """Everything the story's steps share."""

    folder: Path
    contexts: LocalContexts
    council: Council
    registry: Registry
    replica: Replica
    offices: list[Office]
    issued: dict[Key, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[Key, AnchorReceipt] = field(default_factory=dict)


def _t(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def say(line: str) -> None:
    typer.echo(line)


def demo() -> None:
    """Tell ecert's story end to end with the real registry, issuance, anchoring and checks."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ecert-demo-")))
        council = Council.of(cast.COUNCIL_SIZE, cast.THRESHOLD)
        registry = create_registry(folder, council, cast.GENESIS_AT)
        stack.callback(registry.close)
        replica = Replica.open(folder / "bank-replica.sqlite", genesis_hash=registry.genesis_hash)
        stack.callback(replica.close)
        offices = [Office.of(spec) for spec in cast.OFFICES]
        scene = Scene(folder, default_contexts(), council, registry, replica, offices)
        say("ecert demo: one registry chain, five offices and a bank, offline, at fixed times.")
        genesis(scene)
        accreditation(scene)
        issuance(scene)
        anchoring(scene)
        receipts_and_bundles(scene)
        first = bank(scene)
        later = revocation(scene)
        tampering(scene)
        not_built_yet()
        say(
            f"Summary: 1 chain ({registry.ledger.head().height + 1} blocks), {len(offices)} "
            f"offices, {len(scene.issued)} credentials issued, anchored and verified offline; "
            f"bank at {_t(cast.BANK_AT)}: {first}; at {_t(cast.BANK_AGAIN_AT)}: {later}; "
            "tampered copies refused. No network was used."
        )


def genesis(scene: Scene) -> None:
    say(
        f"[1] Council of {cast.COUNCIL_SIZE} (any {cast.THRESHOLD} sign) creates chain "
        f"'{scene.registry.genesis.header.chain_id}': genesis block 0 at {_t(cast.GENESIS_AT)} "
        "on the embedded registry node (SQLite in a temporary folder, driven in-process)."
    )
    say(f"    genesis hash {scene.registry.genesis_hash} (the one value verifiers trust)")


def accreditation(scene: Scene) -> None:
    registry, at = scene.registry, cast.ACCREDITED_AT
    txs = [
        submit(registry, accredit(registry, scene.council, o.spec, o.first_key, at), at)
        for o in scene.offices
    ]
    block = seal(registry, txs, at + cast.SEALED)
    say(
        f"[2] Council accredits {len(txs)} offices (issuer.accredit, each signed by "
        f"{len(txs[0].signatures)} of {cast.COUNCIL_SIZE} members), block {block.height}:"
    )
    for office in scene.offices:
        spec = office.spec
        region = f"{spec.prefix}*"
        say(f"      {spec.did:<38} {spec.credential_type:<30} region {region:<7}  {spec.title}")
    at = cast.KEYS_AT
    txs = [submit(registry, o.add_signing_key(registry, at), at) for o in scene.offices]
    block = seal(registry, txs, at + cast.SEALED)
    say(
        "    Each office adds its signing key (key.add, signed by the first key the council "
        f"named), block {block.height}."
    )


def issuance(scene: Scene) -> None:
    scene.issued = {
        (o.spec.name, suite): o.issue(suite, cast.EXAMPLES_ISSUED_AT, scene.contexts)
        for o in scene.offices
        for suite in CRYPTOSUITES
    }
    say(
        f"[3] Offices issue {len(scene.offices)} credentials x {len(CRYPTOSUITES)} proof suites "
        f"({', '.join(CRYPTOSUITES)}) = {len(scene.issued)} signed documents as of "
        f"{_t(cast.EXAMPLES_ISSUED_AT)}, each signed by its office's did:ecert key and carrying "
        "a revocation entry:"
    )
    for office in scene.offices:
        name = office.spec.name
        say(f"      {cast.LABELS[name]:<21} {scene.issued[name, CRYPTOSUITES[0]]['id']}  by {name}")


def anchoring(scene: Scene) -> None:
    registry, at = scene.registry, cast.ANCHORED_AT
    txs = []
    for office in scene.offices:
        batch = [scene.issued[office.spec.name, suite] for suite in CRYPTOSUITES]
        txs.append(submit(registry, office.anchor(registry, batch, "2024-05-01-1", at), at))
    block = seal(registry, txs, at + cast.SEALED)
    say(
        "[4] Each office anchors its batch (RFC 6962 root over its credentials' digests): "
        f"{len(txs)} anchor transactions in block {block.height} at {_t(block.time)}."
    )
    body = txs[0].body
    if isinstance(body, AnchorBody):
        say(f"    e.g. {txs[0].author}: root {body.batch_root}, {body.leaf_count} leaves")


def receipts_and_bundles(scene: Scene) -> None:
    registry = scene.registry
    checkpoint = registry.ledger.checkpoint(cast.CHECKPOINT_AT)
    sizes, said = [], set()
    for key, credential in scene.issued.items():
        receipt = scene.receipts[key] = receipt_for(registry, credential)
        check_receipt(receipt, credential, registry.genesis)
        text = bundle_for(registry, credential, receipt, checkpoint)
        facts = check_bundle(text, registry.genesis_hash)
        sizes.append(len(text))
        record, accredited = facts.key(facts.anchor_key), facts.accreditation()
        said.add(
            f"key {record.state_at(facts.anchored_at) if record else 'unknown'}, office "
            f"{accredited.state if accredited else 'not accredited'} at the anchor time, "
            f"{'not revoked' if facts.status().valid else 'revoked'} as of the checkpoint"
        )
    say(
        f"[5] {len(scene.receipts)} anchor receipts (as the node serves GET /receipts/{{leaf}}) "
        "verified offline: digest -> batch root -> signed anchor tx -> block -> the producer "
        "the genesis names."
    )
    say(
        f"    {len(sizes)} offline bundles ({min(sizes) // 1024}-{max(sizes) // 1024} KB each) "
        f"verified with no network, trusting only the genesis hash; each says: {'; '.join(said)}."
    )


def _bank_table(scene: Scene, now: datetime) -> str:
    """One line per credential as the bank checks it at ``now``; returns the verdict counts."""
    verdicts: dict[str, int] = {}
    for (office, suite), credential in scene.issued.items():
        check = check_credential(scene.replica, credential, now, scene.contexts)
        verdicts[check.verdict] = verdicts.get(check.verdict, 0) + 1
        anchored = _t(check.anchored_at) if check.anchored_at else "-"
        say(
            f"      {cast.LABELS[office]:<21} {suite:<16} anchored {anchored}  proof {check.proof}"
            f"  key {check.key_state}  accredited {check.accredited}  {check.status:<11}  "
            f"{check.period:<13} -> {check.verdict.upper()}"
        )
    return ", ".join(f"{n} {verdict}" for verdict, n in sorted(verdicts.items()))


def bank(scene: Scene) -> str:
    synced = sync_replica(scene.replica, scene.registry, scene.folder, cast.BANK_AT)
    say(
        f"[6] Bank, at {_t(cast.BANK_AT)}: its replica takes the registry's signed export and "
        f"verifies {synced.added_blocks} blocks from the genesis hash; it checks each credential "
        "(proof by the did:ecert key as of the anchor time, key and accreditation at that time, "
        "status and validity period now), never calling an office:"
    )
    counts = _bank_table(scene, cast.BANK_AT)
    say(
        "    (the professional licence is valid from 2024-06-01 and the social credit record "
        "until 2024-06-01: no one day has all five examples current)"
    )
    return counts


def revocation(scene: Scene) -> str:
    registry, at = scene.registry, cast.REVOKED_AT
    office = next(o for o in scene.offices if o.spec.name == cast.REVOKED_OFFICE)
    credential = scene.issued[cast.REVOKED_OFFICE, CRYPTOSUITES[0]]
    tx = submit(registry, office.revoke(registry, credential, cast.REVOCATION_REASON, at), at)
    block = seal(registry, [tx], at + cast.SEALED)
    say(
        f"[7] {office.spec.did} revokes the driver licence {credential['id']} (status event, "
        f"block {block.height} at {_t(block.time)}): {cast.REVOCATION_REASON}."
    )
    synced = sync_replica(scene.replica, registry, scene.folder, cast.BANK_AGAIN_AT)
    say(
        f"    Bank, at {_t(cast.BANK_AGAIN_AT)}: its replica verifies {synced.added_blocks} new "
        "block; it checks again:"
    )
    counts = _bank_table(scene, cast.BANK_AGAIN_AT)
    say(
        "    Status lists the registry builds from the chain's status events, signed by its node "
        "(the producer the genesis names), read by the bank:"
    )
    for o in scene.offices:
        document = scene.issued[o.spec.name, CRYPTOSUITES[0]]
        result = published_status(
            registry, scene.replica, document, cast.BANK_AGAIN_AT, scene.contexts
        )
        entry = document["credentialStatus"]
        say(
            f"      {entry['statusListCredential']} bit {entry['statusListIndex']} = "
            f"{result.status} ({'revoked' if result.status else 'not revoked'})"
        )
    return counts


def tampering(scene: Scene) -> None:
    say(
        "[8] A tampered copy: the business licence with its registered capital changed from "
        "5000000.00 to 50000000.00 CNY, shown with its genuine receipt:"
    )
    now = cast.BANK_AGAIN_AT
    for suite in CRYPTOSUITES:
        forged = deepcopy(scene.issued[cast.TAMPERED_OFFICE, suite])
        forged["credentialSubject"]["registeredCapital"]["amount"] = "50000000.00"
        receipt = scene.receipts[cast.TAMPERED_OFFICE, suite]
        proof = check_proof(
            scene.replica, forged, anchored_at=receipt.anchored_at, now=now, contexts=scene.contexts
        )
        try:
            check_receipt(receipt, forged, scene.registry.genesis)
            linked = "accepted"
        except VCError as exc:
            linked = exc.code
        verdict = check_credential(scene.replica, forged, now, scene.contexts).verdict
        say(f"      {suite:<16} proof {proof}; receipt {linked}; bank's replica: {verdict}")


def not_built_yet() -> None:
    say("Not built yet, so not shown:")
    say(
        "      issuer service: anchoring outbox and status endpoint (issue 8); the demo signs "
        "the offices' transactions itself"
    )
    say("      verifier service: numbered report with stable codes, HTTP, signed receipt (issue 9)")
    say("      wallet: receive, keep, present, selective disclosure (issue 10)")
