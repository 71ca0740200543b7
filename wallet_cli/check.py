"""Verifying a held credential with the same ``vc_core`` steps the bank runs (DESIGN §5).

Against the record's offline bundle (:func:`vc_core.verification.check_bundle`: no network,
the chain facts come from the bundle and are trusted only from ``--genesis``), or against a
replica file already synced (:func:`vc_core.verification.check_credential`). Nothing is fetched
either way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from vc_core.errors import MalformedError, NotFoundError, RegistryError
from vc_core.ledger import ChainError
from vc_core.replica import Replica
from vc_core.verification import FreshnessPolicy, VerificationReport, check_bundle, check_credential
from wallet_cli.records import Record


def verify_record(
    record: Record,
    *,
    genesis: str,
    now: datetime,
    as_of: datetime | None,
    policy: FreshnessPolicy,
    replica: Path | None,
) -> VerificationReport:
    """The report for ``record``, from the replica when one is given, else its bundle.

    Raises:
        MalformedError: ``NO_CHAIN_FACTS`` when the record has no bundle and no replica is given.
        NotFoundError: the replica file does not exist.
        RegistryError: the replica does not verify from ``genesis`` (could not check).
    """
    if replica is not None:
        return _against_replica(record, replica, genesis, now=now, as_of=as_of, policy=policy)
    if record.bundle_json is None:
        raise MalformedError(
            "this credential came without an offline bundle: give --replica PATH "
            "(a replica synced with `ecert replica sync`) to check it",
            code="NO_CHAIN_FACTS",
        )
    return check_bundle(
        record.bundle_json, genesis_hash=genesis, now=now, as_of=as_of, policy=policy
    )


def _against_replica(
    record: Record,
    path: Path,
    genesis: str,
    *,
    now: datetime,
    as_of: datetime | None,
    policy: FreshnessPolicy,
) -> VerificationReport:
    if not path.is_file():
        raise NotFoundError(f"no replica file at {path}", code="FILE_NOT_FOUND")
    try:
        opened = Replica.open(path, genesis_hash=genesis)
    except ChainError as exc:
        # A replica that does not verify from the trusted genesis says nothing about the
        # credential either way: could not check, not invalid.
        raise RegistryError(
            f"the replica {path} does not verify from the trusted genesis: {exc.message}",
            code=exc.code,
        ) from exc
    try:
        return check_credential(
            record.credential,
            reader=opened,
            now=now,
            as_of=as_of,
            policy=policy,
            source=f"the replica {path}",
        )
    finally:
        opened.close()


def summary(report: VerificationReport, *, source: str) -> dict[str, Any]:
    """What ``list`` shows of the last check: verdict, when, against what, and the codes."""
    return {
        "verdict": report.verdict.value,
        "checkedAt": report.checked_at.isoformat(),
        "source": source,
        "codes": list(report.codes),
    }
