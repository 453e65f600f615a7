"""An uploaded CSV file of invitees, checked while it is read: the rules of a bulk import's file.

Pure: it reads bytes and answers rows or a refusal (:class:`FileRefused`, whose ``code`` says why); nothing is
stored. Reading stops at the first problem, and never reads past the row after the last one allowed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError, ValidationFailed
from .invitations import normalize_email

MAX_ROWS = 9_999  # the reference product's limit
MAX_BYTES = 2 * 1024 * 1024  # about 200 bytes a row at the row limit; API Gateway takes 10 MB, Lambda 6 MB
MAX_NAME = 100  # as the single invite's first_name / last_name
MAX_EMAIL = 320  # as the single invite's email
MAX_CHOICE = 20  # user_type, role
MAX_COLUMNS = 20  # the header's cells: the five known columns and a few others (they are listed, not read)
MAX_COLUMN_NAME = 100  # an ignored column's name is stored in the import item: bounded
COLUMNS = ("email", "first_name", "last_name", "user_type", "role")
ALIASES = {"e_mail": "email", "email_address": "email", "firstname": "first_name", "lastname": "last_name"}
CSV_TYPES = ("text/csv", "application/csv", "text/comma-separated-values", "application/vnd.ms-excel")


class FileRefused(DomainError):
    """The upload is not an importable file; nothing was created. ``code`` says why."""

    def __init__(self, message: str, *, code: str, status: int = 400, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]]  # {"row", "email", "first_name", "last_name", "user_type", "role", "reason"?}
    ignored_columns: list[str] = field(default_factory=list)


def parse(body: bytes, content_type: str | None) -> ParsedFile:
    """Check the upload while reading it; raise :class:`FileRefused` on the first thing that is wrong.

    UTF-8 (a BOM is dropped), a header row naming an ``email`` column (case and spaces do not matter),
    comma-separated (semicolon or tab when the header has no comma: what Excel writes in many locales).
    Rows are numbered from 1 after the header, counting blank lines (skipped) too, so that row *n* is
    line *n + 1* of a file without line breaks inside quoted cells.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise FileRefused(
            "send the file as text/csv",
            code="unsupported_media_type",
            status=415,
            details={"content_type": media_type or None, "accepted": list(CSV_TYPES)},
        )
    if len(body) > MAX_BYTES:
        raise FileRefused(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            code="file_too_large",
            status=413,
            details={"max_bytes": MAX_BYTES, "bytes": len(body)},
        )
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused("the file is UTF-16; save it as CSV UTF-8", code="not_utf8")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            "the file is not UTF-8 text; save it as CSV UTF-8",
            code="not_utf8",
            details={"byte_offset": error.start},
        ) from None
    if not text.strip():
        raise FileRefused("the file is empty", code="empty_file")
    if "\x00" in text:
        raise FileRefused("the file holds NUL characters: it is not a CSV text file", code="not_csv")
    first_line = text.split("\n", 1)[0]
    delimiter = "," if "," in first_line else ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _read(reader)
    except csv.Error as error:
        raise FileRefused(
            f"the file is not valid CSV (line {reader.line_num}: {error})",
            code="not_csv",
            details={"line": reader.line_num},
        ) from None


def _read(reader: Any) -> ParsedFile:
    """Read the header, then the rows one by one, refusing at the first problem: nothing past the row after
    ``MAX_ROWS`` is read."""
    header: list[str] | None = None
    for record in reader:
        if len(record) > MAX_COLUMNS:
            raise FileRefused(
                f"the first row has {len(record):,} columns; at most {MAX_COLUMNS} are read",
                code="too_many_columns",
                details={"max_columns": MAX_COLUMNS, "columns": len(record)},
            )
        if any(cell.strip() for cell in record):
            header = record
            break
    if header is None:  # cells, but all of them blank: '""', ',,,'
        raise FileRefused("the file has no header row naming the columns", code="empty_file")
    too_long = [cell.strip()[:MAX_COLUMN_NAME] for cell in header if len(cell.strip()) > MAX_COLUMN_NAME]
    if too_long:
        raise FileRefused(
            f"a column name is longer than {MAX_COLUMN_NAME} characters",
            code="column_name_too_long",
            details={"max_length": MAX_COLUMN_NAME, "column": too_long[0]},
        )
    names = [_column(cell) for cell in header]
    if "email" not in names:
        looks_like_data = any("@" in cell for cell in header)
        raise FileRefused(
            "the first row must name the columns, one of them email"
            + (" (it looks like a row of data)" if looks_like_data else ""),
            code="no_email_column",
            details={"columns": [c.strip() for c in header], "expected": list(COLUMNS)},
        )
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, name in enumerate(names):
        if name in COLUMNS:
            if name in index:
                raise FileRefused(f"the column {name} appears twice", code="duplicate_column", details={"column": name})
            index[name] = position
        elif name:
            ignored.append(header[position].strip())
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    number = 0
    for record in reader:
        number += 1
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) == MAX_ROWS:  # this is the row after the last one allowed: stop reading here
            raise FileRefused(
                f"the file has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} can be imported at once",
                code="too_many_rows",
                details={"max_rows": MAX_ROWS, "rows": MAX_ROWS + 1},
            )
        rows.append(_row(number, record, index, seen))
    if not rows:
        raise FileRefused("the file has a header but no rows", code="no_rows")
    return ParsedFile(rows=rows, ignored_columns=ignored)


def _column(cell: str) -> str:
    name = re.sub(r"[\s-]+", "_", cell.strip().lower())
    return ALIASES.get(name, name)


def _row(number: int, record: list[str], index: dict[str, int], seen: set[str]) -> dict[str, Any]:
    def cell(name: str) -> str:
        position = index.get(name)
        return record[position].strip() if position is not None and position < len(record) else ""

    email, first_name, last_name = cell("email"), cell("first_name"), cell("last_name")
    row: dict[str, Any] = {  # every field cut to its limit: a row is stored as it is read
        "row": number,
        "email": email[:MAX_EMAIL],
        "first_name": first_name[:MAX_NAME],
        "last_name": last_name[:MAX_NAME],
        "user_type": cell("user_type").lower()[:MAX_CHOICE] or "licensed",  # the single invite's defaults
        "role": cell("role").lower()[:MAX_CHOICE] or "member",
    }
    if len(email) > MAX_EMAIL:
        row["reason"] = "invalid_email"
        return row
    if len(first_name) > MAX_NAME or len(last_name) > MAX_NAME:
        row["reason"] = "invalid_name"
        return row
    try:
        email = normalize_email(row["email"])
    except ValidationFailed:
        return row  # the invite rejects it as invalid_email, as it would a single invite
    if email in seen:
        row["reason"] = "duplicate_in_request"  # the file is the request
    seen.add(email)
    return row
