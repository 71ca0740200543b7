"""``ecert issuer batch FILE --type T --url URL --token-file F``: send a batch, watch it, sum up.

The client side of ``POST /batches`` (nothing here touches the office's folder or keys). The file
goes as ``text/csv`` (``.csv``) or ``application/jsonl`` (``.jsonl``, ``.ndjson``) with an
``Idempotency-Key`` derived from the type and the file's bytes, so running the same command
again (after a dropped connection, say) watches the batch already stored instead of issuing it
twice. A Rich progress bar follows ``GET /batches/{id}`` (rows done, then anchored) until every
row is issued or failed and every issued credential is anchored (``--no-wait-anchored`` stops
at issued); a table then sums the batch up and lists the failed rows by line, JSON pointer and
reason. Exit 0 when every row was issued, 1 when some failed, 2 for bad input (an unreadable
file, an unknown type, a refused token), 3 when the issuer cannot be reached.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from vc_core.errors import MalformedError, RegistryError, VCError

MEDIA_BY_SUFFIX = {
    ".csv": "text/csv",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/jsonl",
}
LISTED_FAILURES = 50


class BatchFailedRowsError(VCError):
    """Some rows of the batch failed (exit 1); the table above lists them."""

    default_code = "BATCH_ROWS_FAILED"
    exit_code = 1


def _token(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MalformedError(f"cannot read {path}: {exc.strerror}", code="TOKEN_FILE") from None
    if not lines or not lines[0].strip():
        raise MalformedError(f"{path} holds no token", code="TOKEN_FILE")
    return lines[0].strip()


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a 2xx answer; a problem report becomes one error line (exit 2 or 3)."""
    if response.is_success:
        data: dict[str, Any] = response.json()
        return data
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    code = str(problem.get("code") or f"HTTP_{response.status_code}")
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    if response.status_code >= 500:
        raise RegistryError(f"the issuer answered {response.status_code}: {detail}", code=code)
    raise MalformedError(
        f"the issuer refused the batch ({response.status_code}): {detail}", code=code
    )


def batch(
    file: Annotated[Path, typer.Argument(help="The rows: .csv or .jsonl (one draft per line).")],
    *,
    credential_type: Annotated[str, typer.Option("--type", help="The credential type.")],
    url: Annotated[str, typer.Option("--url", help="The issuer's base URL.")],
    token_file: Annotated[
        Path, typer.Option("--token-file", help="File whose first line is the operator token.")
    ],
    wait_anchored: Annotated[
        bool,
        typer.Option("--wait-anchored/--no-wait-anchored", help="Wait until all are anchored."),
    ] = True,
    poll_s: Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between polls.")] = 0.5,
) -> None:
    """Issue every row of FILE as a credential of one type, with a progress bar and a summary."""
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise MalformedError(f"cannot read {file}: {exc.strerror}", code="BATCH_FILE") from None
    media = MEDIA_BY_SUFFIX.get(file.suffix.lower())
    if media is None:
        raise MalformedError(
            f"{file.name}: name a .csv, .jsonl or .ndjson file", code="BATCH_FILE_TYPE"
        )
    key = hashlib.sha256(credential_type.encode() + b"\n" + body).hexdigest()
    headers = {"Authorization": f"Bearer {_token(token_file)}"}
    base = url.rstrip("/")
    console = Console(stderr=True)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            sent = _answer(
                client.post(
                    "/batches",
                    params={"type": credential_type},
                    content=body,
                    headers={"Content-Type": media, "Idempotency-Key": key},
                )
            )
            final = _watch(client, sent, console, wait_anchored=wait_anchored, poll_s=poll_s)
    except httpx.TransportError as exc:
        raise RegistryError(
            f"cannot reach {base}: {type(exc).__name__}", code="ISSUER_UNREACHABLE"
        ) from None
    _summary(Console(), final)
    if final["failed"]:
        raise BatchFailedRowsError(f"{final['failed']} of {final['total']} rows failed")


def _watch(
    client: httpx.Client,
    batch: dict[str, Any],
    console: Console,
    *,
    wait_anchored: bool,
    poll_s: float,
) -> dict[str, Any]:
    """Poll the batch until it is done (and anchored), drawing two progress bars."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    path = f"/batches/{batch['id']}"
    with Progress(*columns, console=console, transient=False) as progress:
        rows = progress.add_task("rows issued or failed", total=batch["total"])
        anchored = progress.add_task("anchored", total=max(batch["total"] - batch["failed"], 1))
        while True:
            done = batch["issued"] + batch["failed"]
            progress.update(rows, completed=done)
            progress.update(anchored, completed=batch["anchored"], total=max(batch["issued"], 1))
            finished = batch["state"] == "done"
            if finished and (not wait_anchored or batch["anchored"] >= batch["issued"]):
                return batch
            time.sleep(poll_s)
            batch = _answer(client.get(path))


def _plain(value: object) -> Text:
    """A value of the issuer's answer as plain text. Pointers and reasons quote the submitted
    rows, so Rich markup in them is shown rather than applied (``[/]`` would end the report in
    a MarkupError), and control and format characters (terminal escapes, bidirectional
    overrides) are shown as ``\\uXXXX`` instead of reaching the operator's terminal."""
    shown = "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in str(value)
    )
    return Text(shown)


def _summary(console: Console, batch: dict[str, Any]) -> None:
    title = _plain(f"batch {batch['id']} ({batch['type']})")
    table = Table(title=title)
    for name in ("total", "issued", "failed", "anchored"):
        table.add_column(name, justify="right")
    table.add_row(*(str(batch[k]) for k in ("total", "issued", "failed", "anchored")))
    console.print(table)
    errors = batch.get("errors") or []
    if not errors:
        return
    failed = Table(title=f"failed rows (first {min(len(errors), LISTED_FAILURES)})")
    for name in ("line", "field", "code", "reason"):
        failed.add_column(name)
    for error in errors[:LISTED_FAILURES]:
        cells = (error["line"], error["pointer"] or "-", error["code"], error["detail"])
        failed.add_row(*(_plain(cell) for cell in cells))
    console.print(failed)
