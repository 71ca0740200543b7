"""``ecert-wallet receive`` and ``ecert-wallet sync``: the OpenID4VCI commands.

They are registered on the root group by :mod:`wallet_cli.cli`, whose ``ctx.obj`` carries the
home and the passphrase source, and whose root group maps every error to one line and an exit
code. ``receive`` holds the home's lock from opening the store to its atomic rewrite, so a
concurrent command never loses the new credential, and a process killed at any moment leaves
the store as it was or with the credential added.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from vc_core.anchoring import credential_digest
from vc_core.errors import MalformedError
from vc_core.jsonio import read_file
from vc_core.times import parse_duration
from vc_core.verification import FreshnessPolicy
from wallet_cli.oid4vci import TxCodeSpec, parse_offer_uri
from wallet_cli.oid4vci import receive as receive_offer
from wallet_cli.qrimage import read_qr
from wallet_cli.records import LOCAL_ID_LENGTH, Record, credential_type
from wallet_cli.sync import SyncReport, check_replica, fetch_receipts, refresh_bundles

TX_CODE_ENV = "ECERT_WALLET_TX_CODE"


def _tx_code_reader(file: Path | None) -> Callable[[TxCodeSpec], str]:
    """The tx_code from ``--tx-code-file`` (read now, so a missing file fails before any
    request), else ``ECERT_WALLET_TX_CODE``, else a hidden prompt showing the offer's hint."""
    if file is not None:
        lines = read_file(file, max_bytes=1024).decode("utf-8", "replace").splitlines()
        from_file = lines[0] if lines else ""
        return lambda spec: from_file
    if os.environ.get(TX_CODE_ENV):
        return lambda spec: os.environ[TX_CODE_ENV]

    def ask(spec: TxCodeSpec) -> str:
        if spec.description:
            typer.echo(spec.description, err=True)
        try:
            value = typer.prompt("Transaction code", hide_input=True, err=True)
        except (typer.Abort, EOFError):
            raise MalformedError(
                f"no transaction code: type it at the prompt, set {TX_CODE_ENV}, or give "
                "--tx-code-file",
                code="TX_CODE_MISSING",
            ) from None
        return str(value)

    return ask


def receive(
    ctx: typer.Context,
    uri: Annotated[
        str | None,
        typer.Argument(metavar="URI", help="The openid-credential-offer:// URI the office gave."),
    ] = None,
    qr_image: Annotated[
        Path | None, typer.Option("--qr-image", help="Read the offer URI from a QR code image.")
    ] = None,
    tx_code_file: Annotated[
        Path | None,
        typer.Option(
            "--tx-code-file",
            help=f"Read the transaction code from this file (else ${TX_CODE_ENV}, else a prompt).",
        ),
    ] = None,
) -> None:
    """Receive a credential from an office's offer (OpenID4VCI 1.0, pre-authorized code).

    Asks for the transaction code the office sent separately, proves control of this wallet's
    DID, checks the credential's proof and keeps it.
    """
    settings = ctx.obj
    if (uri is None) == (qr_image is None):
        raise MalformedError("give the offer URI or --qr-image FILE (one of them)", code="USAGE")
    offer_uri = read_qr(qr_image) if qr_image is not None else str(uri)
    parse_offer_uri(offer_uri)  # an unknown scheme is refused before the store is opened
    tx_code = _tx_code_reader(tx_code_file)
    passphrase = settings.passphrase()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        got = receive_offer(
            offer_uri, holder=wallet.holder, tx_code=tx_code, now=lambda: datetime.now(UTC)
        )
        incoming = Record(
            local_id=credential_digest(got.credential)[:LOCAL_ID_LENGTH],
            credential=got.credential,
            added=datetime.now(UTC).isoformat(timespec="seconds"),
            issuer_url=got.credential_issuer,
        )
        if any(r.local_id == incoming.local_id for r in wallet.records):
            typer.echo(f"already held as {incoming.local_id}; nothing was changed")
            return
        wallet.records.append(incoming)
        settings.home.save(wallet, passphrase)
    kind = credential_type(got.credential)
    typer.echo(f"received {incoming.local_id} ({kind}) from {got.credential_issuer}")


def sync(
    ctx: typer.Context,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar="ECERT_REGISTRY_URL",
            help="Rebuild each anchored credential's offline bundle from this registry node.",
        ),
    ] = None,
    replica: Annotated[
        Path | None,
        typer.Option("--replica", help="Check every credential against this synced replica."),
    ] = None,
    genesis: Annotated[
        str | None,
        typer.Option("--genesis", envvar="ECERT_GENESIS", help="Trusted genesis hash (--replica)."),
    ] = None,
    max_age: Annotated[
        str, typer.Option("--max-age", help="The oldest replica head accepted (--replica).")
    ] = "7d",
) -> None:
    """Fetch pending anchor receipts from the offices, refresh bundles and status.

    Exit 0 when done (receipts still pending are not an error), 3 when an office or the
    registry could not be reached or read.
    """
    settings = ctx.obj
    if replica is not None and genesis is None:
        raise MalformedError("--replica needs --genesis (the trusted genesis hash)", code="USAGE")
    policy = FreshnessPolicy(max_age=parse_duration(max_age, field="--max-age"))
    passphrase = settings.passphrase()
    report = SyncReport()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        with httpx.Client(timeout=15.0, follow_redirects=False) as http:
            fetch_receipts(wallet.records, report, http)
        if registry is not None:
            refresh_bundles(wallet.records, report, registry)
        if replica is not None and genesis is not None:
            check_replica(
                wallet.records,
                report,
                replica=replica,
                genesis=genesis,
                now=datetime.now(UTC),
                policy=policy,
            )
        settings.home.save(wallet, passphrase)
    typer.echo(
        f"receipts: {len(report.receipts)} new, {len(report.pending)} pending; "
        f"bundles refreshed: {len(report.bundles)}; checked: {len(report.checked)}"
    )
    for local_id, verdict in report.checked:
        typer.echo(f"{local_id}: {verdict}")
    for failure in report.failed:
        typer.echo(f"could not sync {failure}", err=True)
    raise typer.Exit(report.exit_code)
