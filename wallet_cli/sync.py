"""``ecert-wallet sync``: fetch pending anchor receipts and refresh what the wallet knows.

(1) Receipts: for each credential received over OpenID4VCI and not yet anchored, ask its
    Credential Issuer (``GET /credential-receipts/{leaf}``, the leaf being the credential's
    digest, which only its holder can compute) for the anchor receipt; keep it once the office
    has one and it is this credential's (its leaf matches).
(2) With ``--registry URL``: read the registry's checkpoint and chain once, and build each
    anchored credential's offline bundle again as of that checkpoint
    (:func:`vc_core.anchoring.build_bundle`): its status facts are then as fresh as the chain,
    and ``verify`` can check it offline. Nothing read here is trusted yet; ``verify`` checks the
    bundle from the trusted genesis.
(3) With ``--replica FILE`` (and ``--genesis``): check every credential against that replica
    (``vc_core.verification``) and keep the verdict as its last check.

An office or registry that cannot be reached is reported and skipped; nothing already stored is
ever dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from vc_core.anchoring import AnchorReceipt, build_bundle, credential_digest
from vc_core.errors import MalformedError, VCError
from vc_core.registry_client import RegistryClient
from vc_core.verification import FreshnessPolicy
from wallet_cli.check import summary, verify_record
from wallet_cli.records import Record

TIMEOUT_S = 15.0


@dataclass
class SyncReport:
    """What one ``sync`` did, for the summary lines."""

    receipts: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bundles: list[str] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """3 (could not check) when something could not be reached or read, else 0."""
        return 3 if self.failed else 0


def fetch_receipts(records: Iterable[Record], report: SyncReport, http: httpx.Client) -> None:
    """Step (1)."""
    for record in records:
        if record.issuer_url is None or record.receipt_json or record.bundle_json:
            continue
        leaf = credential_digest(record.credential)
        url = f"{record.issuer_url.rstrip('/')}/credential-receipts/{leaf}"
        try:
            answer = http.get(url)
        except httpx.HTTPError as exc:
            report.failed.append(f"{record.local_id}: office unreachable ({type(exc).__name__})")
            continue
        if answer.status_code == 404:
            report.pending.append(record.local_id)
            continue
        try:
            if answer.status_code != 200:
                raise MalformedError(f"HTTP {answer.status_code}", code="RECEIPT_REFUSED")
            receipt = AnchorReceipt.from_json(answer.content)
        except VCError as exc:
            report.failed.append(f"{record.local_id}: receipt refused ({exc.code})")
            continue
        if receipt.leaf != leaf:
            report.failed.append(f"{record.local_id}: the office sent another credential's receipt")
            continue
        record.receipt_json = receipt.to_json()
        report.receipts.append(record.local_id)


def refresh_bundles(records: Iterable[Record], report: SyncReport, registry: str) -> None:
    """Step (2)."""
    anchored = [r for r in records if r.receipt_json or r.bundle_json]
    if not anchored:
        return
    try:
        with RegistryClient(registry, timeout_s=TIMEOUT_S, retries=1) as client:
            checkpoint = client.checkpoint()
            blocks = list(client.iter_blocks(0, checkpoint.height))
    except VCError as exc:
        report.failed.append(f"registry {registry}: {exc.code}")
        return
    for record in anchored:
        receipt = (
            AnchorReceipt.from_json(record.receipt_json)
            if record.receipt_json
            else record.bundle.receipt  # type: ignore[union-attr]
        )
        try:
            bundle = build_bundle(record.credential, receipt, checkpoint, blocks)
        except VCError as exc:
            report.failed.append(f"{record.local_id}: bundle not built ({exc.code})")
            continue
        record.bundle_json = bundle.to_json()
        report.bundles.append(record.local_id)


def check_replica(
    records: Iterable[Record],
    report: SyncReport,
    *,
    replica: Path,
    genesis: str,
    now: datetime,
    policy: FreshnessPolicy,
) -> None:
    """Step (3)."""
    for record in records:
        verdict = verify_record(
            record, genesis=genesis, now=now, as_of=None, policy=policy, replica=replica
        )
        record.last_check = summary(verdict, source=f"replica {replica}")
        report.checked.append((record.local_id, verdict.verdict.value))
