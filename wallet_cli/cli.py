"""``ecert-wallet``: the holder's command line, and the one place its errors are mapped.

Exit codes (the CLI convention of DESIGN §6): 0 success or valid, 1 verification failed,
2 malformed input or usage (a wrong passphrase and a damaged store file included), 3 could not
check, 70 a bug, 130 interrupted. The root group catches :class:`~vc_core.errors.VCError` once
and prints one line, ``error: CODE: message``; no traceback reaches the user.

Every command reads the encrypted store (see :mod:`wallet_cli.store`) under the passphrase
(see :mod:`wallet_cli.access`); commands that change it hold the home's lock from the read to
the atomic rewrite. Commands: ``init``, ``import``, ``list``, ``show``, ``delete``, ``export``,
``verify``, ``present``, ``backup``, ``restore``, ``receive`` (OpenID4VCI,
:mod:`wallet_cli.oid4vci`) and ``sync`` (:mod:`wallet_cli.sync`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from vc_core.anchoring import OfflineBundle
from vc_core.did import did_key
from vc_core.errors import InternalError, MalformedError, VCError
from vc_core.jsonio import PATH_ERRORS, file_error, read_file
from vc_core.keys import KeyPair
from vc_core.times import parse_date_or_instant, parse_duration
from vc_core.verification import FreshnessPolicy
from vc_core.verification.render import print_report
from wallet_cli import access, receive_cli
from wallet_cli.check import summary, verify_record
from wallet_cli.oid4vp import answer_link
from wallet_cli.present import build_presentation, show_qr
from wallet_cli.records import (
    Record,
    credential_type,
    issuer_name,
    read_incoming,
    subject_summary,
    valid_until,
)
from wallet_cli.store import BACKUP_FORMAT, MAX_STORE_BYTES, Home, Wallet, atomic_write, seal
from wallet_cli.store import unseal as unseal_bytes

if TYPE_CHECKING:
    from typer._click import Context

_CLICK_FLOW = (typer.Exit, typer.Abort, typer.TyperException)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class WalletGroup(TyperGroup):
    """The root group: maps every error of every command to one line and an exit code."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_FLOW:
            raise
        except VCError as exc:
            typer.echo(f"error: {_one_line(exc.diagnostics())}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except PATH_ERRORS as exc:
            refusal = file_error(exc)
            typer.echo(f"error: {_one_line(refusal.diagnostics())}", err=True)
            raise typer.Exit(refusal.exit_code) from None
        except Exception as exc:  # noqa: BLE001 (the last edge: a bug must not print a traceback)
            error = InternalError(f"unexpected {type(exc).__name__}; this is a bug in ecert-wallet")
            typer.echo(f"error: {error.diagnostics()}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="ecert-wallet",
    cls=WalletGroup,
    help="The ecert holder wallet: keep credentials encrypted, verify them offline, present them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@dataclass(frozen=True)
class Settings:
    home: Home
    passphrase_file: Path | None

    def passphrase(self, *, confirm: bool = False) -> str:
        return access.passphrase(self.passphrase_file, confirm=confirm)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help=f"The wallet's folder (default: ${access.HOME_ENV}, else XDG data)."
        ),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            help=f"Read the passphrase from this file's first line (else ${access.PASSPHRASE_ENV}"
            ", else a prompt).",
        ),
    ] = None,
) -> None:
    """The ecert holder wallet."""
    ctx.obj = Settings(Home(access.home_path(home)), passphrase_file)


def _when(value: str | None, option: str) -> datetime | None:
    return None if value is None else parse_date_or_instant(value, field=option)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def _write_out(out: Path | None, text: str) -> None:
    if out is None:
        typer.echo(text)
    else:
        atomic_write(out, text.encode("utf-8"))
        typer.echo(f"wrote {out}", err=True)


# init ---------------------------------------------------------------------------------------


@app.command("init")
def init(
    ctx: typer.Context,
    kdf: Annotated[
        str,
        typer.Option("--kdf", help="Argon2id cost: interactive, moderate (default) or sensitive."),
    ] = "moderate",
) -> None:
    """Create a wallet: a new holder did:key and an empty encrypted store."""
    settings = _settings(ctx)
    limits = access.kdf_limits(kdf)
    if settings.home.exists():
        raise MalformedError(
            f"a wallet already exists at {settings.home.path}; nothing was changed",
            code="WALLET_EXISTS",
        )
    passphrase = settings.passphrase(confirm=True)
    wallet = Wallet(
        holder=KeyPair.generate(),
        limits=limits,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    with settings.home.locked():
        if settings.home.exists():
            raise MalformedError(
                f"a wallet already exists at {settings.home.path}", code="WALLET_EXISTS"
            )
        settings.home.save(wallet, passphrase)
    typer.echo(f"created a wallet at {settings.home.path}")
    typer.echo(f"holder: {did_key(wallet.holder.public)}")


# import, list, show, delete, export -------------------------------------------------------


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="A credential or an offline bundle (JSON); - for stdin."
        ),
    ],
) -> None:
    """Keep a credential, or an offline bundle (credential, receipt and chain facts)."""
    settings = _settings(ctx)
    if source == "-":
        data = sys.stdin.buffer.read(OfflineBundle.max_bytes + 1)
    else:
        data = read_file(Path(source), max_bytes=OfflineBundle.max_bytes)
    incoming = read_incoming(data)
    passphrase = settings.passphrase()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        held = next((r for r in wallet.records if r.local_id == incoming.local_id), None)
        if held is not None and (incoming.bundle_json is None or held.bundle_json is not None):
            typer.echo(f"already held as {held.local_id}; nothing was changed")
            return
        if held is not None:
            held.bundle_json = incoming.bundle_json
            message = f"added the offline bundle to {held.local_id}"
        else:
            added = datetime.now(UTC).isoformat(timespec="seconds")
            record = Record(incoming.local_id, incoming.credential, added, incoming.bundle_json)
            wallet.records.append(record)
            kind = "with its offline bundle" if incoming.bundle_json else "without a bundle"
            message = f"imported {record.local_id} ({credential_type(record.credential)}, {kind})"
        settings.home.save(wallet, passphrase)
    typer.echo(message)


def _last_check(record: Record) -> str:
    check = record.last_check
    if not check:
        return "not checked"
    codes = ", ".join(str(c) for c in check.get("codes", [])[:2])
    at = str(check.get("checkedAt", ""))[:10]
    return f"{check.get('verdict')} ({at}){': ' + codes if codes else ''}"


def _row(record: Record) -> dict[str, Any]:
    c = record.credential
    return {
        "id": record.local_id,
        "type": credential_type(c),
        "issuer": issuer_name(c),
        "subject": subject_summary(c),
        "validUntil": valid_until(c),
        "bundle": record.bundle_json is not None,
        "lastCheck": record.last_check,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """The credentials held: type, issuer, subject, valid until, last known verdict."""
    settings = _settings(ctx)
    wallet = settings.home.open(settings.passphrase())
    if as_json:
        typer.echo(json.dumps([_row(r) for r in wallet.records], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"ecert-wallet ({len(wallet.records)} credentials)")
    for column in ("id", "type", "issuer", "subject", "valid until", "bundle", "last check"):
        table.add_column(column, overflow="fold")
    for record in wallet.records:
        row = _row(record)
        table.add_row(
            row["id"],
            row["type"],
            row["issuer"],
            row["subject"],
            row["validUntil"],
            "yes" if row["bundle"] else "no",
            _last_check(record),
        )
    Console().print(table)


@app.command("show")
def show(ctx: typer.Context, ref: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """One credential in full (JSON), with what the wallet knows about it."""
    settings = _settings(ctx)
    record = settings.home.open(settings.passphrase()).find(ref)
    out = _row(record)
    out["added"] = record.added
    bundle = record.bundle
    if bundle is not None:
        out["anchoredAt"] = bundle.receipt.anchored_at.isoformat()
        out["checkpointHeight"] = bundle.checkpoint.height
    out["credential"] = record.credential
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@app.command("delete")
def delete(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a credential from the wallet."""
    settings = _settings(ctx)
    passphrase = settings.passphrase()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        record = wallet.find(ref)
        if not yes and not typer.confirm(
            f"delete {record.local_id} ({credential_type(record.credential)})?", default=False
        ):
            typer.echo("nothing was deleted")
            return
        wallet.records.remove(record)
        settings.home.save(wallet, passphrase)
    typer.echo(f"deleted {record.local_id}")


@app.command("export")
def export(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here (default: standard output).")
    ] = None,
) -> None:
    """The credential's offline bundle as received, or the credential alone if it has none."""
    settings = _settings(ctx)
    record = settings.home.open(settings.passphrase()).find(ref)
    text = record.bundle_json or json.dumps(record.credential, ensure_ascii=False, indent=2)
    _write_out(out, text)


# verify -------------------------------------------------------------------------------------


@app.command("verify")
def verify(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID")],
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
        typer.Option("--replica", help="Check against this synced replica, not the bundle."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge status and validity as of this date or time."),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="The time of the check (default: the clock).")
    ] = None,
    max_age: Annotated[
        str,
        typer.Option(
            "--max-age",
            help="The oldest chain facts accepted, before now (90s, 15m, 2h, 7d). A bundle is "
            "as of its checkpoint; after that, a revocation would not show.",
        ),
    ] = "7d",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify a held credential with every step the bank runs, offline.

    Exit 0 valid, 1 invalid, 2 malformed input or usage, 3 could not check.
    """
    settings = _settings(ctx)
    checked_at = _when(now, "--now") or datetime.now(UTC)
    when = _when(as_of, "--as-of")
    policy = FreshnessPolicy(max_age=parse_duration(max_age, field="--max-age"))
    passphrase = settings.passphrase()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        record = wallet.find(ref)
        report = verify_record(
            record, genesis=genesis, now=checked_at, as_of=when, policy=policy, replica=replica
        )
        source = f"replica {replica}" if replica is not None else "offline bundle"
        record.last_check = summary(report, source=source)
        settings.home.save(wallet, passphrase)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report, title=f"ecert-wallet verify {record.local_id} ({source})")
    raise typer.Exit(report.exit_code)


# present ------------------------------------------------------------------------------------


@app.command("present")
def present(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="ID|LINK", help="A held credential's id, or an openid4vp:// request link."
        ),
    ],
    *,
    challenge: Annotated[
        str | None, typer.Option("--challenge", help="The verifier's challenge (VC-API).")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="The verifier's domain (VC-API).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here (default: standard output).")
    ] = None,
    cryptosuite: Annotated[
        str,
        typer.Option("--cryptosuite", help="eddsa-rdfc-2022 (default) or eddsa-jcs-2022."),
    ] = "eddsa-rdfc-2022",
    now: Annotated[
        str | None, typer.Option("--now", help="The proof's creation time (default: the clock).")
    ] = None,
    qr: Annotated[
        bool,
        typer.Option(
            "--qr", help="VC-API: also print the presentation as a QR code and write it as a PNG."
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="OpenID4VP: present without asking for consent.")
    ] = False,
    credential: Annotated[
        str | None,
        typer.Option("--credential", help="OpenID4VP: present this held credential (an id)."),
    ] = None,
) -> None:
    """Prove a credential to a verifier, signed by the holder (Data Integrity, purpose
    authentication). With an ``openid4vp://`` link: fetch the verifier's signed request, show
    who asks and what, ask for consent and post the presentation (OpenID4VP 1.0). With an id:
    the body of a VC-API ``POST /presentations/verify`` for --challenge and --domain."""
    settings = _settings(ctx)
    wallet = settings.home.open(settings.passphrase())
    created = _when(now, "--now") or datetime.now(UTC)
    if "://" in target:
        agreed = answer_link(
            wallet, target, now=created, yes=yes, choose=credential, cryptosuite=cryptosuite
        )
        raise typer.Exit(0 if agreed else 1)
    record = wallet.find(target)
    vp = build_presentation(
        [record.credential],
        wallet.holder,
        challenge=challenge or "",
        domain=domain or "",
        now=created,
        cryptosuite=cryptosuite,
    )
    text = json.dumps(vp, ensure_ascii=False, indent=2)
    if not qr:
        _write_out(out, text)
        return
    _present_qr(json.dumps(vp, ensure_ascii=False, separators=(",", ":")), text, out)


def _present_qr(compact: str, text: str, out: Path | None) -> None:
    """``present --qr``: the QR code on the terminal and in a PNG beside ``--out``; a payload
    too large for one code is said so, and the presentation is written as a file instead."""
    base = out or Path("presentation.json")
    png = base.with_suffix(".png")
    if show_qr(compact, png):
        typer.echo(f"wrote the QR code to {png}", err=True)
        if out is not None:
            _write_out(out, text)
        return
    _write_out(base, text)
    typer.echo(
        f"the presentation ({len(compact.encode())} bytes) is too large for one QR code; "
        f"give the verifier the file {base} instead",
        err=True,
    )


# backup, restore ----------------------------------------------------------------------------


@app.command("backup")
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the backup.")],
) -> None:
    """An encrypted, portable copy of the whole wallet, sealed under its passphrase."""
    settings = _settings(ctx)
    passphrase = settings.passphrase()
    with settings.home.locked():
        wallet = settings.home.open(passphrase)
        atomic_write(target, seal(wallet, passphrase, kind=BACKUP_FORMAT))
    typer.echo(f"backed up {len(wallet.records)} credentials to {target}")


@app.command("restore")
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="FILE", help="A file `backup` wrote.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the wallet already in this home.")
    ] = False,
) -> None:
    """Restore a backup into this home (sealed again under the backup's passphrase)."""
    settings = _settings(ctx)
    if settings.home.exists() and not replace:
        raise MalformedError(
            f"a wallet already exists at {settings.home.path}; give --replace to overwrite it",
            code="WALLET_EXISTS",
        )
    data = read_file(source, max_bytes=MAX_STORE_BYTES)
    passphrase = settings.passphrase()
    wallet = unseal_bytes(
        data,
        passphrase,
        kind=BACKUP_FORMAT,
        what=f"the backup {source}",
        hint="nothing was changed; use another copy of the backup",
    )
    with settings.home.locked():
        if settings.home.exists() and not replace:
            raise MalformedError(
                f"a wallet already exists at {settings.home.path}", code="WALLET_EXISTS"
            )
        settings.home.save(wallet, passphrase)
    typer.echo(f"restored {len(wallet.records)} credentials into {settings.home.path}")
    typer.echo(f"holder: {did_key(wallet.holder.public)}")


# receive, sync (OpenID4VCI; the commands live in wallet_cli/receive_cli.py) -----------------

app.command("receive")(receive_cli.receive)
app.command("sync")(receive_cli.sync)


@app.command("version")
def version() -> None:
    """Print the wallet's version."""
    typer.echo("ecert-wallet 0.1.0")


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by ``main`` and by tests)."""
    try:
        app(args=args, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return 0


def main() -> None:
    sys.exit(run())
