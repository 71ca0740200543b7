"""Operator commands: ``ecert verifier init`` and ``ecert verifier serve``.

Every option falls back to its ``VERIFIER_*`` environment variable (see
:mod:`verifier.config`), so a deployment may configure the service either way. Commands raise
:class:`~vc_core.errors.VCError`; the ``ecert`` composition root (and :func:`main`, for
``python -m verifier``) turn it into ``diagnostics()`` and an exit code, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from pydantic import ValidationError

from vc_core.errors import MalformedError, VCError
from vc_core.tls import TLS_CERT_HELP, TLS_KEY_HELP, server_tls

__all__ = ["app", "main"]

app = typer.Typer(
    help="Verify credentials against a replica of the registry: the verifier API.",
    no_args_is_help=True,
)


def _settings(**given: Any) -> Any:
    """Settings from the options given, the environment for the rest (a bad value: exit 2)."""
    from verifier.config import Settings

    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise MalformedError(f"{where}: {first.get('msg')}", code="BAD_OPTION") from None


@app.callback()
def verifier() -> None:
    """Verify credentials against a replica of the registry: the verifier API."""


@app.command()
def serve(
    *,
    genesis: Annotated[
        str | None, typer.Option("--genesis", help="The trusted chain's genesis block hash.")
    ] = None,
    registry: Annotated[
        list[str] | None,
        typer.Option("--registry", help="A registry node URL to sync from (repeatable)."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the replica and challenges live.")
    ] = None,
    replica: Annotated[
        Path | None, typer.Option("--replica", help="The replica file (default: in data dir).")
    ] = None,
    max_age: Annotated[
        float | None,
        typer.Option("--max-age", help="Oldest accepted chain view, in seconds (freshness)."),
    ] = None,
    sync_interval: Annotated[
        float | None, typer.Option("--sync-interval", help="Seconds between syncs.")
    ] = None,
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            help="File whose first line unlocks the receipt key (else $VERIFIER_PASSPHRASE).",
        ),
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help=TLS_CERT_HELP)] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help=TLS_KEY_HELP)] = None,
) -> None:
    """Open the replica, sync it in the background, and serve the verifier API and the clerk's
    page at /. The receipt key is unsealed first (made at the first start)."""
    import uvicorn

    from verifier.app import create_app, open_replica, receipt_key_of
    from verifier.oid4vp.signer import load_signer

    settings = _settings(
        genesis_hash=genesis,
        registry_urls=registry or None,
        data_dir=data_dir,
        replica_path=replica,
        freshness_max_age_s=max_age,
        sync_interval_s=sync_interval,
        host=host,
        port=port,
        passphrase_file=passphrase_file,
        tls_cert_file=tls_cert,
        tls_key_file=tls_key,
    )
    tls = server_tls(settings.tls_cert_file, settings.tls_key_file)
    opened = open_replica(settings)
    try:
        # A wrong passphrase for either key is one line and exit 2, before serving.
        signer = load_signer(settings)
        receipt_key = receipt_key_of(settings)
    except BaseException:
        opened.close()
        raise
    typer.echo(
        f"verifying against chain {settings.genesis_hash[:16]}… from "
        f"{', '.join(settings.registry_urls) or 'no registry (replica as it stands)'}",
        err=True,
    )
    uvicorn.run(
        create_app(settings, opened=opened, signer=signer, receipt_key=receipt_key),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        **tls,  # type: ignore[arg-type]
    )


@app.command("api-key")
def api_key() -> None:
    """Make a requester API key for OpenID4VP presentation requests: give the key to the
    requester, and add its hash to VERIFIER_REQUESTER_KEY_HASHES (only the hash is kept)."""
    from verifier.oid4vp.auth import new_api_key

    key, digest = new_api_key()
    typer.echo(f"key:  {key}")
    typer.echo(f"hash: {digest}")


@app.command()
def init(
    *,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the receipt key is sealed.")
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            help="File whose first line seals the receipt key (else $VERIFIER_PASSPHRASE).",
        ),
    ] = None,
    kdf: Annotated[
        str, typer.Option("--kdf", help="argon2id strength: interactive, moderate, sensitive.")
    ] = "moderate",
) -> None:
    """Make the verifier's receipt key, sealed in the data dir; print its did:key."""
    from vc_core.did import did_key
    from vc_core.keystore import KdfLimits
    from verifier.config import RECEIPT_KEY_FILE
    from verifier.receipts import init_key, passphrase_from

    folder = data_dir or Path(os.environ.get("VERIFIER_DATA_DIR", "verifier-data"))
    path = folder / RECEIPT_KEY_FILE
    limits = KdfLimits.preset(kdf)
    pair = init_key(path, passphrase_from(passphrase_file), limits)
    typer.echo(did_key(pair.public))


def main() -> None:
    """``python -m verifier``: run :data:`app`, mapping ``VCError`` to an exit code."""
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
