"""``ecert credential``: sign a credential and check its proofs, offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ecert.io import read_context_files, read_key, read_object
from vc_core.canon import (
    UTF16_ORDER_RISK,
    LocalContexts,
    default_contexts,
    utf16_order_warning,
)
from vc_core.dataintegrity import Expectations, ProofReport, check_proofs
from vc_core.errors import MalformedError, RegistryError, UsageCode
from vc_core.issuance import issue_credential
from vc_core.times import parse_instant

app = typer.Typer(help="Sign credentials and verify their proofs.", no_args_is_help=True)

ContextOpt = Annotated[
    list[str] | None,
    typer.Option("--context", help="Extra local context as URL=FILE (repeatable); never fetched."),
]


def _contexts(pairs: list[str] | None) -> LocalContexts:
    base = default_contexts()
    return base.with_documents(read_context_files(pairs)) if pairs else base


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@app.command("sign")
def sign(
    source: Annotated[
        str, typer.Argument(metavar="IN.json", help="Credential to sign, or - for stdin.")
    ],
    key: Annotated[Path, typer.Option("--key", help="Key file from `ecert key new`.")],
    suite: Annotated[
        str, typer.Option("--suite", help="eddsa-rdfc-2022 or eddsa-jcs-2022.")
    ] = "eddsa-rdfc-2022",
    created: Annotated[
        str | None,
        typer.Option(
            help="Issuance time, ISO 8601 with zone: the proof's created, and the time "
            "validUntil must still lie ahead of (default: now)."
        ),
    ] = None,
    context: ContextOpt = None,
) -> None:
    """Validate the credential and print it with a Data Integrity proof added.

    Without an issuer, the key's did:key becomes the issuer. A credential whose validity period
    has already ended is refused (exit 1), as are schema and identifier errors.
    """
    pair = read_key(key)
    now = parse_instant(created, field="--created") if created else datetime.now(UTC)
    document = read_object(source)
    signed = issue_credential(document, pair, suite=suite, now=now, contexts=_contexts(context))
    warning = utf16_order_warning(document, suite)
    if warning:
        typer.echo(f"warning: {UTF16_ORDER_RISK}: {warning}", err=True)
    _print_json(signed)


@app.command("verify-proof")
def verify_proof(
    source: Annotated[
        str, typer.Argument(metavar="IN.json", help="Secured document, or - for stdin.")
    ],
    *,
    context: ContextOpt = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Check as of this time, ISO 8601 with zone (default: now)."),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose",
            help="Proof purpose to require (default: assertionMethod for a credential, "
            "authentication for a presentation).",
        ),
    ] = None,
    any_purpose: Annotated[
        bool, typer.Option("--any-purpose", help="Relax: accept any proof purpose.")
    ] = False,
    allow_uncontrolled_key: Annotated[
        bool,
        typer.Option(
            "--allow-uncontrolled-key",
            help="Relax: accept a key that is not the issuer's (or holder's), as in the W3C "
            "test vectors.",
        ),
    ] = False,
    allow_future_created: Annotated[
        bool,
        typer.Option("--allow-future-created", help="Relax: accept `created` in the future."),
    ] = False,
    allow_expired: Annotated[
        bool, typer.Option("--allow-expired", help="Relax: accept a proof whose `expires` passed.")
    ] = False,
) -> None:
    """Check the document and every proof (did:key, offline), failing closed.

    Exit 0 verified, 1 failed, 2 malformed input, 3 could not check (did:ecert needs a replica).
    """
    if purpose is not None and any_purpose:
        raise MalformedError("give --purpose or --any-purpose, not both", code=UsageCode.BAD_OPTION)
    when = parse_instant(now, field="--now") if now else datetime.now(UTC)
    expect = Expectations(
        proof_purpose=purpose,
        any_purpose=any_purpose,
        allow_uncontrolled_key=allow_uncontrolled_key,
        allow_future_created=allow_future_created,
        allow_expired=allow_expired,
    )
    document = read_object(source)
    report = check_proofs(document, now=when, contexts=_contexts(context), expect=expect)
    _print_json(report.to_dict())
    if not report:
        typer.echo(f"{report.verdict}: {_first_failure(report)}", err=True)
        # A proof that failed is "invalid" (1); when only a key resolution could not run, the
        # answer is "could not check" (3). Unparseable input exits 2 before any of this.
        raise typer.Exit(report.exit_code)


def _first_failure(report: ProofReport) -> str:
    """The failure to name: a definite one before a "could not check" one."""
    if report.document_error is not None:
        return f"document: {report.errors[0].diagnostics()}"
    # check_proofs records one error per failed proof, in proof order.
    failed = zip((r for r in report.results if not r.verified), report.errors, strict=True)
    result, error = min(failed, key=lambda pair: isinstance(pair[1], RegistryError))
    return f"proof {result.index} failed: {error.diagnostics()}"
