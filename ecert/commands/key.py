"""``ecert key``: Ed25519 key files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from vc_core.did import did_key
from vc_core.errors import MalformedError
from vc_core.jsonio import FileCode
from vc_core.keys import KeyPair

app = typer.Typer(help="Create and inspect Ed25519 key files.", no_args_is_help=True)


@app.command("new")
def new(
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (mode 0600) instead of stdout.")
    ] = None,
) -> None:
    """Print a new key file: {"publicKeyMultibase", "secretKeyMultibase"}."""
    text = KeyPair.generate().to_json() + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    # The file is created with owner-only permissions before the secret is written into it, and
    # never over an existing file (a key is not to be lost by a slip of the command line).
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise MalformedError(
            f"{out} exists; a key file is never overwritten", code=FileCode.FILE_EXISTS
        ) from None
    except OSError as exc:
        raise MalformedError(
            f"cannot write {out}: {exc.strerror or exc}", code=FileCode.UNWRITABLE
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    typer.echo(f"wrote {out}", err=True)


@app.command("show")
def show(key: Annotated[Path, typer.Argument(help="Key file.")]) -> None:
    """Print the public key and its did:key (never the secret)."""
    from ecert.io import read_key

    pair = read_key(key)
    typer.echo(f"publicKeyMultibase: {pair.public_multibase}\ndid: {did_key(pair.public)}")
