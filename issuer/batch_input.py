"""The rows of a batch (``POST /batches``): CSV or JSON Lines, each row a credential draft.

No FastAPI here, and no database: :func:`parse_rows` turns the body into one :class:`Row` per
data line, each either a draft or the reason it could not be read (with its line number), so a
bad line never stops the good ones.

- **JSON Lines** (``application/jsonl``, also ``application/x-ndjson``): each non-blank line is a
  JSON object, the credential draft as ``POST /credentials/issue`` takes it. ``@context`` and
  ``type`` may be left out: the batch's type fills them in (:func:`draft_for`).
- **CSV** (``text/csv``, RFC 4180, UTF-8): the first line names the columns. A column named by a
  JSON pointer (RFC 6901, ``/validUntil``, ``/credentialSubject/name``) sets that member of the
  draft; a bare name (``licenceNumber``) is short for ``/credentialSubject/licenceNumber``. A
  cell is text, except one that starts with ``[`` or ``{``, which is JSON (``["C1","C2"]``); an
  empty cell leaves its member out. Line numbers count physical lines, so a quoted cell spanning
  lines is reported at the line its row starts on.

Example:
    >>> rows = parse_rows(b"name,/validUntil\\nLi,2030-01-01T00:00:00Z\\n", "text/csv", "T")
    >>> rows[0].line, rows[0].draft["credentialSubject"], rows[0].draft["validUntil"]
    (2, {'name': 'Li'}, '2030-01-01T00:00:00Z')
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vc_core.canon import ECERT_CONTEXT_URL
from vc_core.errors import MalformedError, UnsupportedMediaTypeError
from vc_core.jsonio import parse_object

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CSV, JSONL = "text/csv", "application/jsonl"
MEDIA_TYPES = {CSV: CSV, JSONL: JSONL, "application/x-ndjson": JSONL, "application/ndjson": JSONL}
MAX_ROWS = 100_000
MAX_ROW_BYTES = 64 * 1024


class RowCode(StrEnum):
    """Why a line could not be read as a draft (the issuance steps add their own codes)."""

    ROW_NOT_JSON = "ROW_NOT_JSON"
    ROW_NOT_OBJECT = "ROW_NOT_OBJECT"
    ROW_TOO_LARGE = "ROW_TOO_LARGE"
    CSV_ROW_INVALID = "CSV_ROW_INVALID"


@dataclass(frozen=True)
class Row:
    """One data line: its draft, or why it could not be read."""

    line: int
    draft: dict[str, Any] | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None


def media_type_of(content_type: str | None) -> str:
    """The batch format named by a ``Content-Type`` header (415 otherwise)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UnsupportedMediaTypeError(
            f"send the rows as text/csv or application/jsonl, not {media or 'no media type'}"
        )
    return MEDIA_TYPES[media]


def draft_for(row: dict[str, Any], credential_type: str) -> dict[str, Any]:
    """``row`` with the batch type's ``@context`` and ``type`` filled in where left out."""
    draft = dict(row)
    draft.setdefault("@context", [VC_V2_CONTEXT, ECERT_CONTEXT_URL])
    draft.setdefault("type", ["VerifiableCredential", credential_type])
    return draft


def parse_rows(body: bytes, media_type: str, credential_type: str) -> list[Row]:
    """Every data line of ``body`` as a :class:`Row`, in order.

    Raises:
        MalformedError: the body is not UTF-8, the CSV has no header, or there are no rows or
            more than ``MAX_ROWS`` (400); the whole batch is refused, as nothing could be read.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("the rows must be UTF-8 text", code="BATCH_NOT_UTF8") from None
    text = text.removeprefix("\ufeff")
    rows = _csv_rows(text, credential_type) if media_type == CSV else _jsonl_rows(text)
    if not rows:
        raise MalformedError("the batch has no rows", code="BATCH_EMPTY")
    if len(rows) > MAX_ROWS:
        raise MalformedError(
            f"a batch holds at most {MAX_ROWS} rows, not {len(rows)}", code="BATCH_TOO_MANY_ROWS"
        )
    return [
        Row(line=r.line, draft=draft_for(r.draft, credential_type)) if r.draft is not None else r
        for r in rows
    ]


def _jsonl_rows(text: str) -> list[Row]:
    rows = []
    # Lines end at "\n" only (JSON Lines), not at the other breaks str.splitlines knows, so line
    # numbers match what an editor shows.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        data = line.encode("utf-8")
        if len(data) > MAX_ROW_BYTES:
            rows.append(_too_large(number))
            continue
        try:
            rows.append(Row(line=number, draft=parse_object(data, max_bytes=MAX_ROW_BYTES)))
        except MalformedError as exc:
            code = RowCode.ROW_NOT_OBJECT if exc.code == "NOT_AN_OBJECT" else exc.code
            rows.append(Row(line=number, code=code, field="", message=exc.message))
    return rows


def _too_large(line: int) -> Row:
    return Row(
        line=line,
        code=RowCode.ROW_TOO_LARGE,
        field="",
        message=f"a row holds at most {MAX_ROW_BYTES} bytes",
    )


def _csv_rows(text: str, credential_type: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise MalformedError("the CSV has no header line", code="CSV_NO_HEADER") from None
    pointers = [_column_pointer(name) for name in header]
    rows: list[Row] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            rows.append(Row(line=start, code=RowCode.CSV_ROW_INVALID, field="", message=str(exc)))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_csv_row(line, pointers, cells))


def _column_pointer(name: str) -> list[str]:
    """The draft path a column names (RFC 6901 tokens; a bare name is in credentialSubject)."""
    name = name.strip()
    if not name.startswith("/"):
        return ["credentialSubject", name]
    return [t.replace("~1", "/").replace("~0", "~") for t in name[1:].split("/")]


def _csv_row(line: int, pointers: list[list[str]], cells: list[str]) -> Row:
    if len(cells) != len(pointers):
        return Row(
            line=line,
            code=RowCode.CSV_ROW_INVALID,
            field="",
            message=f"the row has {len(cells)} cells, the header {len(pointers)} columns",
        )
    if sum(len(c) for c in cells) > MAX_ROW_BYTES:
        return _too_large(line)
    draft: dict[str, Any] = {}
    for path, cell in zip(pointers, cells, strict=True):
        if cell == "":
            continue
        value: Any = cell
        if cell[:1] in "[{":
            try:
                value = json.loads(cell)
            except ValueError:
                return Row(
                    line=line,
                    code=RowCode.ROW_NOT_JSON,
                    field="/" + "/".join(path),
                    message="a cell that starts with [ or { must be JSON",
                )
        target = draft
        for token in path[:-1]:
            nested = target.setdefault(token, {})
            if not isinstance(nested, dict):
                return Row(
                    line=line,
                    code=RowCode.CSV_ROW_INVALID,
                    field="/" + "/".join(path),
                    message="two columns set the same member",
                )
            target = nested
        target[path[-1]] = value
    return Row(line=line, draft=draft)
