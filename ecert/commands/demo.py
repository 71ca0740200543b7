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
    bank_check,
    bundle_check,
    bundle_facts,
    bundle_for,
    check_proof,
    check_receipt,
    published_status,
    receipt_for,
    sync_replica,
)
from ecert.story.chain import (
    Council,
    Registry,
    cosign,
    create_registry,
    propose_accreditations,
    seal,
    submit,
)
from ecert.story.office import Office
from ecert.story.wallet import holder_did, new_wallet, present_to_bank, receive_by_offer
from vc_core.anchoring import AnchorReceipt
from vc_core.canon import LocalContexts, default_contexts
from vc_core.dataintegrity import CRYPTOSUITES
from vc_core.errors import VCError
from vc_core.ledger import AnchorBody
from vc_core.replica import Replica
from vc_core.verification import Step, StepStatus, VerificationReport

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
        verdict = wallet(scene)
        not_built_yet()
        say(
            f"Summary: 1 chain ({registry.ledger.head().height + 1} blocks), {len(offices)} "
            f"offices, {len(scene.issued)} credentials issued, anchored and verified offline; "
            f"bank at {_t(cast.BANK_AT)}: {first}; at {_t(cast.BANK_AGAIN_AT)}: {later}; "
            f"tampered copies refused; a wallet received a licence by OpenID4VCI and presented "
            f"it by OpenID4VP: {verdict}. No network beyond 127.0.0.1 was used."
        )


def genesis(scene: Scene) -> None:
    say(
        f"[1] Council of {cast.COUNCIL_SIZE} (any {cast.THRESHOLD} sign) creates chain "
        f"'{scene.registry.genesis.header.chain_id}': genesis block 0 at {_t(cast.GENESIS_AT)} "
        "on the embedded registry node (SQLite in a temporary folder, driven in-process)."
    )
    say(f"    genesis hash {scene.registry.genesis_hash} (the one value verifiers trust)")


def accreditation(scene: Scene) -> None:
    registry, council, at = scene.registry, scene.council, cast.ACCREDITED_AT
    proposals = propose_accreditations(
        registry,
        council,
        [(o.spec, o.first_key) for o in scene.offices],
        valid_from=at,
        proposed_at=cast.PROPOSED_AT,
        expires=cast.PROPOSAL_EXPIRES,
    )
    txs = []
    for proposal in proposals:
        signed = proposal
        for member in council.members[1 : council.threshold]:
            signed = cosign(signed, member)
        txs.append(submit(registry, signed, at))
    block = seal(registry, txs, at + cast.SEALED)
    say(
        f"[2] Council accredits {len(txs)} offices: member 1 proposes each issuer.accredit at "
        f"{_t(cast.PROPOSED_AT)} (expires {_t(cast.PROPOSAL_EXPIRES)}), member 2 co-signs at "
        f"{_t(at)}: {len(txs[0].signatures)} of {cast.COUNCIL_SIZE} signatures, block "
        f"{block.height}:"
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
        f"named and by the new key: proof of possession), block {block.height}."
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
    sizes, said, verdicts = [], set(), []
    for key, credential in scene.issued.items():
        receipt = scene.receipts[key] = receipt_for(registry, credential)
        check_receipt(receipt, credential, registry.genesis)
        text = bundle_for(registry, credential, receipt, checkpoint)
        facts = bundle_facts(text, registry.genesis_hash)
        verdicts.append(bundle_check(text, registry.genesis_hash, cast.BANK_AT))
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
    first = next(iter(scene.receipts))
    receipt = scene.receipts[first]
    say(
        f"    e.g. the {cast.LABELS[first[0]]} ({first[1]}): leaf {receipt.leaf_index + 1} of "
        f"{receipt.tree_size} under root {receipt.batch_root[:16]}..., anchor tx "
        f"{receipt.tx_inclusion.index + 1} of {receipt.header.tx_count} in block {receipt.height}"
    )
    say(
        f"    {len(sizes)} offline bundles (what a citizen's wallet would keep: credential, "
        f"receipt, signed checkpoint and the chain facts that cover it; {min(sizes) // 1024}-"
        f"{max(sizes) // 1024} KB each) verified with no network, trusting only the genesis "
        f"hash; each says: {'; '.join(sorted(said))}."
    )
    say(
        "    The same numbered checks as the bank's (below), from each bundle alone: "
        f"{_counts(verdicts)}."
    )


def _counts(reports: list[VerificationReport]) -> str:
    counted: dict[str, int] = {}
    for report in reports:
        found = f"{report.verdict.value}{''.join(f' {c}' for c in report.codes)}"
        counted[found] = counted.get(found, 0) + 1
    return ", ".join(f"{n} {found}" for found, n in sorted(counted.items(), reverse=True))


def _outcome(report: VerificationReport) -> str:
    """``steps 0-8 ok``, or each step that was not ok: number, name, code and message."""
    bad = [r for r in report.steps if r.status is not StepStatus.OK]
    if not bad:
        return f"steps 0-{len(report.steps) - 1} ok"
    return "; ".join(
        f"step {r.step.value} {r.name} {r.code or r.status.value}: {r.message}" for r in bad
    )


def _bank_table(scene: Scene, now: datetime) -> str:
    """One line per credential as the bank checks it at ``now``; returns the verdict counts."""
    reports = []
    for (office, suite), credential in scene.issued.items():
        report = bank_check(scene.replica, credential, now)
        reports.append(report)
        say(
            f"      {cast.LABELS[office]:<21} {suite:<16} {report.verdict.value.upper():<8} "
            f"{_outcome(report)}"
        )
    return _counts(reports)


def bank(scene: Scene) -> str:
    synced = sync_replica(scene.replica, scene.registry, scene.folder, cast.BANK_AT)
    say(
        f"[6] Bank, at {_t(cast.BANK_AT)}: its replica takes the registry's signed export and "
        f"verifies {synced.added_blocks} blocks from the genesis hash; it runs the numbered "
        "checks (0 parse, 1 structure, 2 proof by the did:ecert key as of the anchor time, "
        "3 issuer key, 4 accreditation for type and region, 5 anchor, 6 status, 7 validity "
        "period, 8 freshness) on each credential, never calling an office:"
    )
    counts = _bank_table(scene, cast.BANK_AT)
    say(
        "    (the professional licence is valid from 2024-06-01 and the social credit record "
        "until 2024-06-01: no one day has all five examples current)"
    )
    name = cast.REVOKED_OFFICE
    report = bank_check(scene.replica, scene.issued[name, CRYPTOSUITES[0]], cast.BANK_AT)
    say(f"    The bank's report for the {cast.LABELS[name]} ({CRYPTOSUITES[0]}):")
    for result in report.steps:
        say(
            f"      {result.step.value} {result.name:<16} {result.status.value:<6} {result.message}"
        )
    stale = bank_check(scene.replica, scene.issued[name, CRYPTOSUITES[0]], cast.BANK_STALE_AT)
    say(
        f"    At {_t(cast.BANK_STALE_AT)}, with no newer block in its replica: "
        f"{stale.verdict.value.upper()} ({', '.join(stale.codes)}), never 'invalid' for a "
        "view older than its policy."
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
    earlier = bank_check(scene.replica, credential, cast.BANK_AGAIN_AT, as_of=cast.LOAN_SIGNED_AT)
    say(
        f"    Asked as of {_t(cast.LOAN_SIGNED_AT)} (the day a loan was signed, before the "
        f"revocation), the same driver licence: {earlier.verdict.value.upper()} "
        f"({_outcome(earlier)}; {earlier.step(Step.STATUS).message})"
    )
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
        report = bank_check(scene.replica, forged, now)
        say(
            f"      {suite:<16} proof {proof}; receipt {linked}; bank: {report.verdict.value} "
            f"({', '.join(report.codes)})"
        )


def wallet(scene: Scene) -> str:
    """[9] OpenID4VCI into the citizen's wallet, the anchor, OpenID4VP to the bank's verifier."""
    registry, at = scene.registry, cast.WALLET_RECEIVES_AT
    office = next(o for o in scene.offices if o.spec.name == cast.WALLET_OFFICE)
    home = new_wallet(scene.folder / "citizen-wallet", at)
    holder = holder_did(home)
    say(
        f"[9] A citizen's wallet (ecert-wallet's encrypted store; holder {holder[:24]}...) and "
        "the real issuer and verifier services (their FastAPI apps on 127.0.0.1, clocks pinned):"
    )
    got = receive_by_offer(scene.folder, office, home, at)
    bound = got.credential["credentialSubject"].get("id") == holder
    binding = "issued to the holder DID" if bound else "NOT bound to the holder DID"
    say(
        f"    At {_t(at)} a clerk of {office.spec.did} makes an offer on its issuer service "
        "(POST /offers): an openid-credential-offer:// URI with a pre-authorized code, and a "
        f"{got.tx_code_length}-digit tx_code sent separately. The wallet (OpenID4VCI 1.0) "
        "fetches the offer and the issuer metadata, trades code + tx_code for an access token, "
        "proves its holder key with an openid4vci-proof+jwt over a fresh c_nonce, checks the "
        f"signed {got.credential['type'][-1]} ({binding}) and keeps it in its sealed store."
    )
    at = cast.WALLET_ANCHORED_AT
    tx = submit(registry, office.anchor(registry, [got.credential], "2024-05-11-1", at), at)
    block = seal(registry, [tx], at + cast.SEALED)
    synced = sync_replica(scene.replica, registry, scene.folder, cast.WALLET_PRESENTS_AT)
    say(
        f"    The office anchors it (block {block.height}); the bank's replica verifies "
        f"{synced.added_blocks} new block."
    )
    shown = present_to_bank(
        scene.folder, scene.replica, registry.genesis_hash, got, cast.WALLET_PRESENTS_AT
    )
    say(
        f"    At {_t(cast.WALLET_PRESENTS_AT)} the bank's verifier ({shown.client_id[:48]}...) "
        f"asks by an openid4vp:// link (signed Request Object, DCQL) for a {shown.asked_type} "
        f"with {', '.join(shown.claims)}; the wallet shows who asks and which claims, the "
        "citizen agrees, and the wallet posts a presentation signed by the holder key over the "
        "request's nonce (direct_post)."
    )
    subject = got.credential["credentialSubject"]
    same = all(shown.revealed.get(c) == subject.get(c.split(".", 1)[1]) for c in shown.claims)
    say(
        f"    The bank reads the verdict: {shown.verdict.upper()}, with the {len(shown.revealed)} "
        f"claims it asked ({'equal to' if same else 'NOT equal to'} the credential's); the same "
        f"answer posted again is refused: {shown.replay}."
    )
    return shown.verdict


def not_built_yet() -> None:
    say("Not built yet, or built as a service but driven in-process here:")
    say(
        "      issuer service (`ecert issuer serve`): issues one by one or in batches "
        "(POST /batches), anchors through its outbox, publishes status, transfers and "
        "encumbers deeds under dual control, rotates its key (`ecert issuer rotate-key`), "
        "offers credentials by OpenID4VCI (step 9, its chain worker off; a deed's offer once "
        "an approver approved it), serves HTTPS (--tls-cert); batches reach issue 8's rates "
        "(bench/issuer.py), one-by-one POSTs about 300 a second"
    )
    say(
        "      verifier service (`ecert verifier serve`): the same checks over HTTP, challenges, "
        "presentations, OpenID4VP requests (step 9, and from the clerk's page), signed receipts "
        "(by its did:key or the bank's did:web) and the clerk's page, over HTTPS (--tls-cert); "
        "a deed verifies in about 0.15 ms in process (issue 9's target, with `make native`), "
        "but over HTTP at about 13 % of a hello-world app's rate, not the 60 % issue 9 asks"
    )
    say(
        "      registry: this story runs on the embedded chain; `ecert registry serve --backend "
        "evm` runs the same rules over an EVM chain (tested on anvil, not on Besu; issue 11)"
    )
    say(
        "      wallet (`ecert-wallet`): receives by OpenID4VCI, keeps, syncs, verifies offline, "
        "presents by OpenID4VP or to a VC-API verifier, backs up; not yet selective disclosure "
        "(issue 10)"
    )
