"""``ecert receipt verify FILE``: check a verifier's signed receipt offline.

A receipt (:mod:`vc_core.verification.receipt`) is a verification report signed by a verifier's
``did:key``, or by a bank's ``did:web`` whose DID document the checker supplies with
``--did-document`` (never fetched). This command checks it with nothing but the file: its shape, its
``eddsa-jcs-2022`` proof, and that the signing key is the issuing verifier's own (and, with
``--verifier DID``, that the verifier is the one expected). It prints the verdict, the verifier,
the chain checkpoint the report used and its ``as_of``. Exit 0 the receipt is good, 1 its
signature or key does not hold, 2 it is not a receipt (malformed, unreadable).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from ecert.io import read_bytes
from vc_core.did_web import DidWebCode
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_object
from vc_core.times import parse_instant
from vc_core.verification.receipt import MAX_RECEIPT_BYTES, CheckedReceipt, check_receipt

app = typer.Typer(help="Verifiers' signed receipts.", no_args_is_help=True)


def _lines(checked: CheckedReceipt) -> list[str]:
    summary = checked.summary()
    point = checked.checkpoint
    where = "none (the report used no chain view)"
    if point is not None:
        where = (
            f"chain {point.chain_id} (genesis {point.genesis_hash[:16]}…) at height "
            f"{point.height}, head {point.head_hash[:16]}…, {summary['checkpoint']['time']}"
        )
    lines = [
        f"receipt: good signature by {checked.verifier}",
        f"verdict: {checked.verdict.value}",
        f"checkpoint: {where}",
        f"as of: {summary['asOf'] or 'the time of the check'}",
        f"signed: {summary['issued']}",
    ]
    for label, member in (("credential", "credential_id"), ("type", "credential_type")):
        if member in summary:
            lines.append(f"{label}: {summary[member]}")
    return lines


def _documents(paths: list[str]) -> dict[str, dict[str, Any]]:
    """The DID documents given, by their ``id`` (a document without one is malformed)."""
    documents: dict[str, dict[str, Any]] = {}
    for path in paths:
        document = parse_object(read_bytes(path, max_bytes=MAX_RECEIPT_BYTES))
        did = document.get("id")
        if not isinstance(did, str):
            raise MalformedError(
                f"{path} is not a DID document: it has no id", code=DidWebCode.INVALID_DID_DOCUMENT
            )
        documents[did] = document
    return documents


@app.callback()
def receipt() -> None:
    """Verifiers' signed receipts."""


@app.command()
def verify(
    file: Annotated[str, typer.Argument(help="The receipt (JSON), or - for stdin.")],
    verifier: Annotated[
        str | None,
        typer.Option("--verifier", help="Require the receipt to be signed by this did:key."),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Check at this date-time (default: now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    did_document: Annotated[
        list[str] | None,
        typer.Option(
            "--did-document",
            help="A bank's did:web DID document you trust (repeatable); never fetched.",
        ),
    ] = None,
) -> None:
    """Check a receipt offline: exit 0 good, 1 bad signature or key, 2 malformed, 3 a did:web
    receipt without its DID document (could not check)."""
    at = parse_instant(now, field="--now") if now else datetime.now(UTC)
    documents = _documents(did_document or [])
    checked = check_receipt(
        read_bytes(file, max_bytes=MAX_RECEIPT_BYTES),
        now=at,
        verifier=verifier,
        did_documents=documents,
    )
    if as_json:
        typer.echo(json.dumps(checked.summary(), ensure_ascii=False, indent=2))
        return
    for line in _lines(checked):
        typer.echo(line)
