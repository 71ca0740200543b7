"""``ecert``: the operators' command line, and the one place CLI errors are mapped.

Exit codes: 0 success, 1 verification failed or not trusted, 2 malformed input or usage,
3 could not check (infrastructure), 130 interrupted. No traceback ever reaches the user:
:class:`~vc_core.errors.VCError` is caught here, once, and printed as its diagnostics. Usage
errors and ``--help`` are handled by typer's standalone mode, which ends in ``SystemExit``.
"""

from __future__ import annotations

import sys

import typer

from ecert.commands import credential, demo, key
from issuer import cli as issuer_cli
from registry import cli as registry_cli
from vc_core.errors import VCError

app = typer.Typer(
    name="ecert",
    help="ecert: electronic certificates as W3C verifiable credentials, anchored in a registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(key.app, name="key")
app.add_typer(credential.app, name="credential")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(registry_cli.council_app, name="council")
app.add_typer(issuer_cli.app, name="issuer")
app.command("demo")(demo.demo)


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by ``main`` and by tests)."""
    try:
        app(args=args, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except VCError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return 0


def main() -> None:
    sys.exit(run())
