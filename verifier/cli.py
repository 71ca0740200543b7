"""Operator commands: ``ecert verifier serve``.

Every option falls back to its ``VERIFIER_*`` environment variable (see
:mod:`verifier.config`), so a deployment may configure the service either way. Commands raise
:class:`~vc_core.errors.VCError`; the ``ecert`` composition root (and :func:`main`, for
``python -m verifier``) turn it into ``diagnostics()`` and an exit code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from pydantic import ValidationError

from vc_core.errors import MalformedError, VCError

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
) -> None:
    """Open the replica, sync it in the background, and serve the verifier API."""
    import uvicorn

    from verifier.app import create_app, open_replica
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
    )
    opened = open_replica(settings)
    # A wrong passphrase for the request-signing key is one line and exit 2, before serving.
    signer = load_signer(settings)
    typer.echo(
        f"verifying against chain {settings.genesis_hash[:16]}… from "
        f"{', '.join(settings.registry_urls) or 'no registry (replica as it stands)'}",
        err=True,
    )
    uvicorn.run(
        create_app(settings, opened=opened, signer=signer),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


@app.command("api-key")
def api_key() -> None:
    """Make a requester API key for OpenID4VP presentation requests: give the key to the
    requester, and add its hash to VERIFIER_REQUESTER_KEY_HASHES (only the hash is kept)."""
    from verifier.oid4vp.auth import new_api_key

    key, digest = new_api_key()
    typer.echo(f"key:  {key}")
    typer.echo(f"hash: {digest}")


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
