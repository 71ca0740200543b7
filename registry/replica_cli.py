"""``ecert replica …``: keep a verified replica of a registry and ask it questions offline.

``sync`` pulls blocks from a node (or a snapshot file) into a replica file, verifying each from
the trusted genesis (:class:`vc_core.replica.Replica`). ``show office|leaf|status`` answer from
the replica alone — nothing is fetched — as of a time (``--at``, default now), printing canonical
JSON with the head the answer is as of. Every answer goes through the replica's
``LedgerReader``, the same one verifiers use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from registry.codes import CliCode
from registry.txfiles import check_writable
from vc_core.canon.jcs import jcs
from vc_core.errors import MalformedError, NotFoundError, UsageCode
from vc_core.jsonio import FileCode
from vc_core.replica import HttpSource, Replica, SnapshotSource
from vc_core.times import parse_instant

replica_app = typer.Typer(help="A verified replica of a registry, queried offline.")
show_app = typer.Typer(help="What the replica says about an office, a leaf or a credential.")
replica_app.add_typer(show_app, name="show")
for _group in (replica_app, show_app):
    _group.info.no_args_is_help = True

ReplicaOpt = Annotated[Path, typer.Option("--replica", help="The replica's SQLite file.")]
GenesisOpt = Annotated[str, typer.Option("--genesis-hash", help="The genesis you trust.")]
AtOpt = Annotated[str | None, typer.Option("--at", help="RFC 3339; default now.")]


def _at(value: str | None) -> datetime:
    return datetime.now(UTC) if value is None else parse_instant(value, field="--at")


def _open(path: Path, genesis_hash: str) -> Replica:
    """An existing replica file (``show`` never creates one)."""
    if not path.is_file():
        raise NotFoundError(
            f"no replica file {path}; run `ecert replica sync`", code=CliCode.NO_REPLICA
        )
    return Replica.open(path, genesis_hash=genesis_hash)


def _print(replica: Replica, answer: dict[str, Any]) -> None:
    head = replica.head
    as_of = None if head is None else head.model_dump(mode="json")
    typer.echo(jcs({"head": as_of, **answer}).decode("utf-8"))


@replica_app.command()
def sync(
    replica: ReplicaOpt,
    genesis_hash: GenesisOpt,
    registry: Annotated[str | None, typer.Option("--registry", help="A node's URL.")] = None,
    snapshot: Annotated[Path | None, typer.Option("--snapshot", help="A .jsonl file.")] = None,
) -> None:
    """Bring the replica up to the node's (or the snapshot's) head, verifying every block."""
    if (registry is None) == (snapshot is None):
        raise MalformedError(
            "give exactly one of --registry or --snapshot", code=UsageCode.BAD_OPTION
        )
    if snapshot is not None and not snapshot.is_file():
        raise NotFoundError(f"no such snapshot file: {snapshot}", code=FileCode.FILE_NOT_FOUND)
    check_writable(replica)
    source = HttpSource(registry) if registry is not None else SnapshotSource(snapshot)  # type: ignore[arg-type]
    opened = Replica.open(replica, genesis_hash=genesis_hash)
    try:
        result = opened.sync([source], now=datetime.now(UTC))
    finally:
        opened.close()
    typer.echo(
        f"verified {result.added_blocks} new blocks ({result.added_transactions} txs); "
        f"head {result.head.height} {result.head.hash}"
    )


@show_app.command("office")
def show_office(
    office: Annotated[str, typer.Argument(help="The office's did:ecert DID.")],
    replica: ReplicaOpt,
    genesis_hash: GenesisOpt,
    at: AtOpt = None,
) -> None:
    """The office's accreditation and keys as of ``--at``."""
    when = _at(at)
    opened = _open(replica, genesis_hash)
    try:
        acc = opened.accreditation(office, when)
        keys = [
            {"key": k.key, "state": k.state_at(when), **k.model_dump(mode="json")}
            for k in opened.office_keys(office)
        ]
        _print(
            opened,
            {
                "office": office,
                "at": when.isoformat(),
                "accreditation": None if acc is None else acc.model_dump(mode="json"),
                "keys": keys,
            },
        )
    finally:
        opened.close()


@show_app.command("leaf")
def show_leaf(
    leaf: Annotated[str, typer.Argument(help="A credential digest (64 hex digits).")],
    replica: ReplicaOpt,
    genesis_hash: GenesisOpt,
) -> None:
    """Where a published leaf was anchored (exit 1 if it was not)."""
    opened = _open(replica, genesis_hash)
    try:
        found = opened.leaf_anchor(leaf.lower())
        _print(opened, {"leaf": leaf.lower(), "anchor": found and found.model_dump(mode="json")})
    finally:
        opened.close()
    if found is None:
        raise typer.Exit(1)


@show_app.command("status")
def show_status(  # noqa: PLR0917 — typer options
    office: Annotated[str, typer.Argument(help="The office's did:ecert DID.")],
    replica: ReplicaOpt,
    genesis_hash: GenesisOpt,
    credential_id: Annotated[str | None, typer.Option("--credential-id")] = None,
    index: Annotated[int | None, typer.Option("--index", min=0)] = None,
    at: AtOpt = None,
) -> None:
    """A credential's status (revoked, suspended, superseded, encumbrances) as of ``--at``."""
    if credential_id is None and index is None:
        raise MalformedError(
            "name the credential: --credential-id or --index", code=CliCode.NO_TARGET
        )
    when = _at(at)
    opened = _open(replica, genesis_hash)
    try:
        status = opened.credential_status(
            office, credential_id=credential_id, status_index=index, as_of=when
        )
        _print(opened, {"status": status.model_dump(mode="json")})
    finally:
        opened.close()
