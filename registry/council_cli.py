"""``ecert council …``: prepare a council transaction, sign it member by member, submit it.

The transaction travels as a JSON file. ``accredit`` writes it signed by the proposer; each
``sign`` adds one member's signature (members sign the same bytes, in any order); ``submit``
posts it and waits for its block. Key files are read, never printed. The registry is reached
only through :class:`~vc_core.registry_client.RegistryClient`, so an unreachable node is exit 3
("could not check") and a refusal carries the node's rule code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from registry.setup import read_key
from vc_core.errors import MalformedError, VerificationError
from vc_core.jsonio import read_object_file
from vc_core.ledger import AccreditBody, Scope, Transaction, add_signature, office_did, unsigned_tx
from vc_core.ledger.fields import parse_time
from vc_core.ledger.tx import MAX_TX_BYTES
from vc_core.registry_client import RegistryClient

council_app = typer.Typer(
    help="Prepare, sign and submit council transactions.", no_args_is_help=True
)
KeyOpt = Annotated[Path, typer.Option("--key", help="Your council key file (never printed).")]
RegistryOpt = Annotated[str, typer.Option("--registry", help="Registry node URL.")]


def _scope(text: str) -> Scope:
    kind, _, prefixes = text.partition("=")
    if not kind or not prefixes:
        raise MalformedError("a scope is TYPE=PREFIX[,PREFIX…]", code="INVALID_SCOPE")
    return Scope(credential_type=kind, division_prefixes=tuple(prefixes.split(",")))


def _read_tx(file: Path) -> Transaction:
    """A transaction file, through the bounded I-JSON parser like any untrusted input."""
    return Transaction.from_dict(read_object_file(file, max_bytes=MAX_TX_BYTES))


def _time(value: str | None, default: datetime | None) -> datetime | None:
    if value is None:
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        raise MalformedError(str(exc), code="INVALID_TIME") from exc


@council_app.command()
def accredit(  # noqa: PLR0917 — typer options
    office: Annotated[str, typer.Option(help="Office name, e.g. traffic-police.")],
    name: Annotated[str, typer.Option(help="The office's legal name.")],
    uscc: Annotated[str, typer.Option(help="Unified social credit code.")],
    scope: Annotated[list[str], typer.Option(help="TYPE=PREFIX[,PREFIX…], repeatable.")],
    key: KeyOpt,
    registry: RegistryOpt,
    out: Annotated[Path, typer.Option(help="Where to write the transaction.")],
    initial_key: Annotated[str | None, typer.Option(help="The office's first key.")] = None,
    valid_from: Annotated[str | None, typer.Option(help="RFC 3339; default now.")] = None,
    valid_until: Annotated[str | None, typer.Option(help="RFC 3339.")] = None,
) -> None:
    """Prepare an ``issuer.accredit`` transaction, signed by you as the proposer."""
    proposer = read_key(key)
    now = datetime.now(UTC)
    author = proposer.public_multibase
    with RegistryClient(registry, timeout_s=30) as client:
        chain_id = client.checkpoint().chain_id
        seq = client.next_seq(author)
    body = AccreditBody(
        office=office_did(chain_id, office),
        name=name,
        uscc=uscc,
        scopes=tuple(_scope(s) for s in scope),
        valid_from=_time(valid_from, now),
        valid_until=_time(valid_until, None),
        initial_key=initial_key,
    )
    tx = unsigned_tx(
        chain_id=chain_id, tx_type="issuer.accredit", author=author, seq=seq, time=now, body=body
    )
    out.write_text(add_signature(tx, proposer).to_json(), encoding="utf-8")
    typer.echo(f"wrote {out}: issuer.accredit {body.office}, seq {seq}, 1 signature")


@council_app.command()
def sign(file: Path, key: KeyOpt) -> None:
    """Add your signature to a council transaction file."""
    tx = add_signature(_read_tx(file), read_key(key))
    file.write_text(tx.to_json(), encoding="utf-8")
    typer.echo(f"{file}: {len(tx.signatures)} signatures ({', '.join(tx.signers)})")


@council_app.command()
def submit(file: Path, registry: RegistryOpt) -> None:
    """Submit a council transaction and wait for its block."""
    tx = _read_tx(file)
    with RegistryClient(registry, timeout_s=30) as client:
        status = client.submit(tx, wait_s=10)
    if status.state == "rejected":
        problem = status.problem or {}
        raise VerificationError(
            str(problem.get("detail", "rejected")), code=str(problem.get("code", "REJECTED"))
        )
    where = f" in block {status.height}" if status.height is not None else ""
    typer.echo(f"{tx.hash}: {status.state}{where}")
