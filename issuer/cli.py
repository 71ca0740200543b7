"""Operator commands: ``ecert issuer init | serve | operator add|revoke|list | batch``.

Commands raise :class:`~vc_core.errors.VCError`; the ``ecert`` composition root (and
:func:`main`, for ``python -m issuer``) turn it into ``diagnostics()`` and an exit code, so a
wrong passphrase is one line and exit 2, never a traceback. Passphrases are read from
``--passphrase-file`` or ``ISSUER_PASSPHRASE`` (or typed, hidden, at a terminal) and are never
printed; an operator's token is printed exactly once, by ``operator add``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import click
import typer
from sqlmodel import Session

from issuer import batch_cli
from issuer.config import PASSPHRASE_ENV, Settings
from vc_core.errors import MalformedError, VCError
from vc_core.keystore import KdfLimits, read_passphrase
from vc_core.tls import TLS_CERT_HELP, TLS_KEY_HELP, server_tls

__all__ = ["app", "main"]

app = typer.Typer(
    help="Run an issuing office: keys, operators, the issuer API.", no_args_is_help=True
)
operator_app = typer.Typer(help="Operator tokens: add, revoke, list.", no_args_is_help=True)
app.add_typer(operator_app, name="operator")
# The client side of POST /batches (issuer/batch_cli.py): it needs only a URL and a token.
app.command("batch")(batch_cli.batch)

DataDir = Annotated[Path, typer.Option("--data-dir", help="The office's folder.")]
PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"File whose first line is the passphrase (else ${PASSPHRASE_ENV}).",
    ),
]
DEFAULT_DIR = Path("issuer-data")
MIN_PASSPHRASE = 12


def _settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, **extra)  # type: ignore[arg-type]


def _passphrase(file: Path | None, *, confirm: bool) -> str:
    """From the file or the environment; at a terminal with neither, ask (hidden)."""
    try:
        return read_passphrase(env_var=PASSPHRASE_ENV, file=file)
    except MalformedError:
        if file is not None or not sys.stdin.isatty():
            raise
    value: str = typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


@app.command()
def init(
    did: Annotated[str, typer.Option("--did", help="The office DID, did:ecert:<chain>:<office>.")],
    name: Annotated[str, typer.Option("--name", help="The office's name.")],
    data_dir: DataDir = DEFAULT_DIR,
    passphrase_file: PassphraseFile = None,
    kdf: Annotated[
        str, typer.Option("--kdf", help="Argon2id cost: interactive, moderate or sensitive.")
    ] = "moderate",
) -> None:
    """Create an office's folder with a new signing key, sealed under the passphrase."""
    from issuer.office import init_office

    limits = KdfLimits.preset(kdf)
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < MIN_PASSPHRASE:
        raise MalformedError(
            f"the passphrase must have at least {MIN_PASSPHRASE} characters",
            code="PASSPHRASE_TOO_SHORT",
        )
    result = init_office(
        settings=_settings(data_dir),
        did=did,
        name=name,
        passphrase=passphrase,
        limits=limits,
        now=datetime.now(UTC),
    )
    typer.echo(f"office:      {result.did}")
    typer.echo(f"description: {result.office_path}")
    typer.echo(f"signing key: {result.public_key}")
    typer.echo(f"sealed key:  {result.key_path} (encrypted, mode 0600)")
    typer.echo(f"database:    {result.db_url}")


@app.command()
def serve(  # noqa: PLR0917 — typer options
    data_dir: DataDir = DEFAULT_DIR,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8400,
    passphrase_file: PassphraseFile = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help=TLS_CERT_HELP)] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help=TLS_KEY_HELP)] = None,
) -> None:
    """Unlock the office key and serve the issuer API."""
    import uvicorn

    from issuer.app import create_app
    from issuer.keyring import unsealer
    from issuer.office import unlock_office

    given_tls = {"tls_cert_file": tls_cert, "tls_key_file": tls_key}
    settings = _settings(
        data_dir, host=host, port=port, **{k: v for k, v in given_tls.items() if v}
    )
    tls = server_tls(settings.tls_cert_file, settings.tls_key_file)
    passphrase = _passphrase(passphrase_file or settings.passphrase_file, confirm=False)
    office = unlock_office(settings=settings, passphrase=passphrase)
    typer.echo(f"unlocked {office.did} key {office.signer.public_multibase}", err=True)
    app = create_app(settings, office, unseal=unsealer(settings, passphrase))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, **tls)  # type: ignore[arg-type]


@app.command("rotate-key")
def rotate_key(  # noqa: PLR0917 — typer options
    data_dir: DataDir = DEFAULT_DIR,
    passphrase_file: PassphraseFile = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="Registry URL (else $ISSUER_REGISTRY_URL).")
    ] = None,
    issuer_url: Annotated[
        str | None,
        typer.Option("--issuer-url", help="The running issuer: wait until it signs anew."),
    ] = None,
    grace: Annotated[
        float, typer.Option("--grace", min=0, help="Without --issuer-url: seconds to wait.")
    ] = 10.0,
    kdf: Annotated[
        str, typer.Option("--kdf", help="Argon2id cost: interactive, moderate or sensitive.")
    ] = "moderate",
    wait: Annotated[float, typer.Option("--wait", min=1, help="Seconds per transaction.")] = 60.0,
) -> None:
    """Publish a new office key (proof of possession), switch to it, retire the old one."""
    from issuer.keyring import rotate_key as rotate
    from issuer.keyring import wait_for_issuer

    settings = _settings(data_dir)
    url = registry or settings.registry_url
    if not url:
        raise MalformedError(
            "--registry (or ISSUER_REGISTRY_URL) is needed", code="REGISTRY_URL_MISSING"
        )
    limits = KdfLimits.preset(kdf)
    passphrase = _passphrase(passphrase_file or settings.passphrase_file, confirm=False)
    done = rotate(
        settings=settings,
        passphrase=passphrase,
        registry_url=url,
        limits=limits,
        wait_switch=wait_for_issuer(issuer_url, grace_s=grace, timeout_s=wait),
        wait_s=wait,
    )
    typer.echo(f"added:   {done.new_key} (tx {done.added_tx})")
    typer.echo(f"retired: {done.old_key} (tx {done.retired_tx})")


def _session(data_dir: Path) -> Session:
    from issuer.db import make_engine
    from issuer.office import read_description

    settings = _settings(data_dir)
    read_description(settings)  # A mistyped folder is an error, not a new empty database.
    return Session(make_engine(settings.db_url))


@operator_app.command("add")
def operator_add(
    name: Annotated[str, typer.Option("--name", help="Who holds the token.")],
    role: Annotated[list[str], typer.Option("--role", help="issuer, approver or admin.")],
    type_: Annotated[
        list[str], typer.Option("--type", help="A credential type in scope (repeatable).")
    ],
    days: Annotated[int, typer.Option("--days", help="Days until the token expires.")] = 90,
    data_dir: DataDir = DEFAULT_DIR,
) -> None:
    """Create an operator token; it is printed once and only its hash is kept."""
    from issuer.auth import add_operator

    with _session(data_dir) as session:
        made = add_operator(
            session,
            name=name,
            roles=role,
            credential_types=type_,
            lifetime=timedelta(days=days),
            now=datetime.now(UTC),
        )
    op = made.operator
    typer.echo(f"operator: {op.id} ({op.name})")
    typer.echo(f"roles:    {', '.join(sorted(op.roles))}")
    typer.echo(f"types:    {', '.join(sorted(op.credential_types))}")
    typer.echo(f"expires:  {op.expires_at.isoformat()}")
    typer.echo(f"token (shown once; only its hash is stored): {made.token}")


@operator_app.command("revoke")
def operator_revoke(
    operator_id: Annotated[str, typer.Argument(metavar="ID")],
    data_dir: DataDir = DEFAULT_DIR,
) -> None:
    """Revoke an operator's token from now on."""
    from issuer.auth import revoke_operator

    with _session(data_dir) as session:
        op = revoke_operator(session, operator_id=operator_id, now=datetime.now(UTC))
    revoked = op.revoked_at.isoformat() if op.revoked_at else "?"
    typer.echo(f"revoked {op.id} ({op.name}) at {revoked}")


@operator_app.command("list")
def operator_list(data_dir: DataDir = DEFAULT_DIR) -> None:
    """Every operator: id, name, roles, types, state and expiry (never a token)."""
    from issuer.auth import list_operators

    now = datetime.now(UTC)
    with _session(data_dir) as session:
        operators = list_operators(session)
    for op in operators:
        typer.echo(
            f"{op.id}  {op.name}  roles={','.join(sorted(op.roles))}  "
            f"types={','.join(sorted(op.credential_types))}  {op.state(now)}  "
            f"expires={op.expires_at.isoformat()}"
        )


def main() -> None:
    """``python -m issuer``: run :data:`app`, mapping ``VCError`` to an exit code."""
    try:
        app(standalone_mode=False)
    except VCError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
