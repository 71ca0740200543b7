"""``ecert``: the operators' command line, and the one place CLI errors are mapped.

Exit codes: 0 success, 1 verification failed or not trusted, 2 malformed input or usage,
3 could not check (infrastructure), 70 an internal error (a bug; EX_SOFTWARE), 130 interrupted.
No traceback ever reaches the user: the root command group catches
:class:`~vc_core.errors.VCError` once and prints its diagnostics, maps the file system's refusal
of a path the user named (a directory for a file, a file for a folder) to exit 2 with
:func:`~vc_core.jsonio.file_error`; anything it did not plan for
is reported as ``INTERNAL_ERROR`` naming only the exception's type. Because the mapping lives in
the group itself, an in-process run (``typer.testing.CliRunner``) answers exactly as the
installed command does. Usage errors and ``--help`` are handled by typer's click, which ends in
``SystemExit``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from ecert.commands import credential, demo, key, receipt
from ecert.commands import verify as verify_cmd
from issuer import cli as issuer_cli
from registry import cli as registry_cli
from registry.office_cli import office_app
from registry.replica_cli import replica_app
from vc_core.errors import InternalError, VCError
from vc_core.jsonio import PATH_ERRORS, file_error
from verifier import cli as verifier_cli

if TYPE_CHECKING:
    # typer vendors click; its Context is the type TyperGroup.invoke takes.
    from typer._click import Context

# What typer (its vendored click) uses to end a command on purpose, usage errors included:
# never mapped here, always passed on.
_CLICK_FLOW = (typer.Exit, typer.Abort, typer.TyperException)


class EdgeGroup(TyperGroup):
    """The root group: maps every error of every subcommand to a message and an exit code."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_FLOW:
            raise
        except VCError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except PATH_ERRORS as exc:
            refusal = file_error(exc)
            typer.echo(f"error: {refusal.diagnostics()}", err=True)
            raise typer.Exit(refusal.exit_code) from None
        except Exception as exc:  # noqa: BLE001 (the last edge: a bug must not print a traceback)
            error = InternalError(f"unexpected {type(exc).__name__}; this is a bug in ecert")
            typer.echo(f"error: {error.diagnostics()}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="ecert",
    cls=EdgeGroup,
    help="ecert: electronic certificates as W3C verifiable credentials, anchored in a registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(key.app, name="key")
app.add_typer(credential.app, name="credential")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(registry_cli.council_app, name="council")
app.add_typer(office_app, name="office")
app.add_typer(replica_app, name="replica")
app.add_typer(issuer_cli.app, name="issuer")
app.add_typer(verifier_cli.app, name="verifier")
app.add_typer(receipt.app, name="receipt")
app.command("demo")(demo.demo)
app.command("verify")(verify_cmd.verify)


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
