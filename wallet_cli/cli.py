"""``ecert-wallet``: the holder's command line. Its commands arrive with the wallet issue."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(name="ecert-wallet", help="The ecert holder wallet.", no_args_is_help=True)


@app.command("version")
def version() -> None:
    """Print the wallet's version."""
    typer.echo("ecert-wallet 0.1.0")


def main() -> None:
    sys.exit(app(standalone_mode=True))
