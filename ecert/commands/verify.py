"""``ecert verify``: every step of DESIGN §5 for one credential, against a chain the caller trusts.

The chain facts come from exactly one of:

- ``--replica PATH``: a replica file already synced (``vc_core.replica``), opened read-only in
  spirit: nothing is fetched, so this works with the registry unreachable;
- ``--registry URL``: a temporary replica synced from that node first, then verified against
  (the sync is the only network use; verification itself makes none);
- ``--bundle``: FILE is an offline bundle (credential, receipt, checkpoint and chain facts).

Each trusts only ``--genesis`` (the chain's genesis block hash, DESIGN §2). The report is printed
as a table (or JSON with ``--json``). Exit 0 valid, 1 invalid, 2 malformed input or usage,
3 could not check.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ecert.io import read_bytes
from vc_core.errors import MalformedError, NotFoundError, RegistryError, UsageCode
from vc_core.jsonio import FileCode
from vc_core.ledger import ChainError
from vc_core.replica import HttpSource, Replica
from vc_core.times import parse_date_or_instant, parse_duration
from vc_core.verification import (
    FreshnessPolicy,
    VerificationReport,
    check_bundle,
    check_credential,
)
from vc_core.verification.render import print_report


def _source_count(replica: Path | None, registry: str | None, bundle: bool) -> None:
    given = sum((replica is not None, registry is not None, bundle))
    if given != 1:
        raise MalformedError(
            "give exactly one of --replica PATH, --registry URL or --bundle",
            code=UsageCode.BAD_OPTION,
        )


def _open_replica(path: Path, genesis: str) -> Replica:
    """Open a replica trusted from ``genesis``. A file that does not verify from it says nothing
    about the credential either way: "could not check" (exit 3), not "invalid"."""
    try:
        return Replica.open(path, genesis_hash=genesis)
    except ChainError as exc:
        raise RegistryError(
            f"the replica {path} does not verify from the trusted genesis: {exc.message}",
            code=exc.code,
        ) from exc


def _from_replica(
    data: bytes,
    *,
    path: Path,
    genesis: str,
    now: datetime,
    as_of: datetime | None,
    policy: FreshnessPolicy,
) -> VerificationReport:
    if not path.is_file():
        raise NotFoundError(f"no replica file at {path}", code=FileCode.FILE_NOT_FOUND)
    replica = _open_replica(path, genesis)
    try:
        return check_credential(
            data, reader=replica, now=now, as_of=as_of, policy=policy, source=f"the replica {path}"
        )
    finally:
        replica.close()


def _from_registry(
    data: bytes,
    *,
    url: str,
    genesis: str,
    now: datetime,
    as_of: datetime | None,
    policy: FreshnessPolicy,
) -> VerificationReport:
    with tempfile.TemporaryDirectory(prefix="ecert-verify-") as folder:
        replica = _open_replica(Path(folder) / "replica.sqlite", genesis)
        source = HttpSource(url)
        try:
            replica.sync([source], now=now)
            return check_credential(
                data,
                reader=replica,
                now=now,
                as_of=as_of,
                policy=policy,
                source=f"a replica of {url}",
            )
        finally:
            source.close()
            replica.close()


def verify(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="The credential (or, with --bundle, the offline bundle); - for stdin.",
        ),
    ],
    *,
    genesis: Annotated[
        str,
        typer.Option(
            "--genesis",
            envvar="ECERT_GENESIS",
            help="The trusted genesis block hash of the registry chain (hex).",
        ),
    ],
    replica: Annotated[
        Path | None,
        typer.Option("--replica", help="A synced replica file to read chain facts from."),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option("--registry", help="A registry node URL: sync a temporary replica from it."),
    ] = None,
    bundle: Annotated[
        bool, typer.Option("--bundle", help="FILE is an offline bundle; check it with no network.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Judge status, office suspension and validity as of this date or time."
        ),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="The time of the check (default: the clock).")
    ] = None,
    max_age: Annotated[
        str,
        typer.Option("--max-age", help="The oldest chain head accepted, before now (15m, 2h, 7d)."),
    ] = "15m",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify a credential: parse, structure, proof, issuer key, accreditation, anchor, status,
    validity period and freshness (DESIGN §5).

    Exit 0 valid, 1 invalid, 2 malformed input or usage, 3 could not check.
    """
    _source_count(replica, registry, bundle)
    checked_at = _when(now, "--now") or datetime.now(UTC)
    when = _when(as_of, "--as-of")
    policy = FreshnessPolicy(max_age=parse_duration(max_age, field="--max-age"))
    data = read_bytes(source)
    if bundle:
        report = check_bundle(data, genesis_hash=genesis, now=checked_at, as_of=when, policy=policy)
    elif replica is not None:
        report = _from_replica(
            data, path=replica, genesis=genesis, now=checked_at, as_of=when, policy=policy
        )
    else:
        report = _from_registry(
            data, url=str(registry), genesis=genesis, now=checked_at, as_of=when, policy=policy
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report, title="ecert verify")
    raise typer.Exit(report.exit_code)


def _when(value: str | None, option: str) -> datetime | None:
    return None if value is None else parse_date_or_instant(value, field=option)
