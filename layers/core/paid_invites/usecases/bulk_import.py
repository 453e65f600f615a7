"""Bulk import: a CSV of up to 9,999 people, invited asynchronously and at a pace AWS allows.

The upload is checked while it is read, before anything is written (:func:`parse`): reading stops at the
first thing that is wrong, at the row after the last one allowed, and at a header wider than
``MAX_COLUMNS``, so a hostile file is refused in the time it takes to read ``MAX_ROWS`` rows. A good file
becomes an import item and chunks of ``CHUNK_ROWS`` rows, and a Standard execution of the import
workflow (``statemachine/import.asl.json``) named after the import walks the chunks one at a time,
pausing between them. Each chunk is one :func:`usecases.invite.invite` call, so a row gets exactly the
outcome (and reason code) the same person would get from a single invite; :func:`process_chunk` is safe
to retry. See ``docs/import.md``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .. import clock
from ..accounts import ensure_can_invite, ensure_can_manage
from ..aws import client, error_code
from ..config import get_settings
from ..errors import DomainError, NotFound, TransientError, ValidationFailed
from ..invitations import Invitee, new_id, normalize_email
from ..store import import_records as store
from ..store import repository as repo
from ..workflow import TRANSIENT
from . import invite as invite_usecase

MAX_ROWS = 9_999  # the reference product's limit
MAX_BYTES = 2 * 1024 * 1024  # about 200 bytes a row at the row limit; API Gateway takes 10 MB, Lambda 6 MB
CHUNK_ROWS = 100  # one invite call (MaxInviteesPerRequest) per chunk; ~100 StartExecutions and e-mails
MAX_NAME = 100  # as the single invite's first_name / last_name
MAX_EMAIL = 320  # as the single invite's email
MAX_CHOICE = 20  # user_type, role
MAX_COLUMNS = 20  # the header's cells: the five known columns and a few others (they are listed, not read)
MAX_COLUMN_NAME = 100  # an ignored column's name is stored in the import item: bounded
COLUMNS = ("email", "first_name", "last_name", "user_type", "role")
ALIASES = {"e_mail": "email", "email_address": "email", "firstname": "first_name", "lastname": "last_name"}
CSV_TYPES = ("text/csv", "application/csv", "text/comma-separated-values", "application/vnd.ms-excel")
RESULT_PAGE_MAX = 1000
RETRY_MARGIN = timedelta(seconds=1)  # clock skew allowed between a chunk's attempts (see _recover)
_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")


class FileRefused(DomainError):
    """The upload is not an importable file; nothing was created. ``code`` says why."""

    def __init__(self, message: str, *, code: str, status: int = 400, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


class ServiceUnavailable(DomainError):
    code = "unavailable"
    status = 503


class ImportAborted(Exception):
    """A chunk met a refusal that no retry changes (the caller lost the right to invite, the account is no
    longer eligible...). The import item already says why; the workflow catches this and ends failed."""


# ---------------------------------------------------------------- the file


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


# ---------------------------------------------------------------- upload (the admin API)


def start(caller_id: str | None, account_id: str, body: bytes, content_type: str | None) -> dict[str, Any]:
    """Refuse a bad file before anything is created; else store it in chunks and start the workflow."""
    caller = ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    org = ensure_can_invite(repo.get_account(account_id))
    parsed = parse(body, content_type)
    chunks = [parsed.rows[i : i + CHUNK_ROWS] for i in range(0, len(parsed.rows), CHUNK_ROWS)]
    record = store.ImportRecord(
        id=new_id(),
        account_id=org.id,
        caller_id=caller.id,
        status=store.RUNNING,
        total_rows=len(parsed.rows),
        chunks=len(chunks),
        processed=0,
        created=0,
        rejected=0,
        created_at=clock.now(),
        ignored_columns=parsed.ignored_columns,
    )
    store.create(record, chunks)
    _start_workflow(record)
    return public_import(record)


def _start_workflow(record: store.ImportRecord) -> None:
    sfn = client("stepfunctions")
    payload = {"import_id": record.id, "chunks": list(range(record.chunks)), "last_chunk": record.chunks - 1}
    try:
        sfn.start_execution(
            stateMachineArn=get_settings().import_state_machine_arn, name=record.id, input=json.dumps(payload)
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return
    except Exception as error:  # botocore's error classes are made at run time
        store.fail(record.id, "not_started", f"the import could not be started: {error_code(error)}", clock.now())
        if error_code(error) in TRANSIENT:
            raise ServiceUnavailable("imports are busy; try again in a minute") from error
        raise


# ---------------------------------------------------------------- progress and results (the admin API)


def get(caller_id: str | None, account_id: str, import_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The import's status and counters, and one page of per-row results in row order.

    A page stops at the first chunk not processed yet while the import runs (``next_cursor`` then
    points there: ask again later); rows a failed import never reached are ``not_processed``.
    """
    ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    record = store.get(import_id) if _IMPORT_ID.match(import_id) else None
    if record is None or record.account_id != account_id:
        raise NotFound("no such import")
    limit = max(1, min(limit, RESULT_PAGE_MAX))
    number, offset = _decode_cursor(cursor, record)
    wanted = range(number, min(record.chunks, number + (offset + limit + CHUNK_ROWS - 1) // CHUNK_ROWS))
    chunks = [c for c in store.read([], [(record.id, n) for n in wanted]) if isinstance(c, store.Chunk)]
    results: list[dict[str, Any]] = []
    next_cursor: tuple[int, int] | None = None
    for chunk in chunks:
        if chunk.done and chunk.results is not None:
            page = chunk.results
        elif record.status == store.FAILED:
            page = [{"row": r["row"], "email": r["email"], "status": "not_processed"} for r in chunk.rows]
        else:
            next_cursor = (chunk.number, offset)
            break
        taken = page[offset : offset + limit - len(results)]
        results += taken
        offset += len(taken)
        if offset < len(page):
            next_cursor = (chunk.number, offset)
            break
        offset = 0
        if len(results) == limit:
            next_cursor = (chunk.number + 1, 0) if chunk.number + 1 < record.chunks else None
            break
    else:
        if chunks and chunks[-1].number + 1 < record.chunks:
            next_cursor = (chunks[-1].number + 1, 0)
    return {**public_import(record), "results": results, "next_cursor": _encode_cursor(next_cursor)}


def public_import(record: store.ImportRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "status": record.status,
        "created_at": clock.iso(record.created_at),
        "finished_at": clock.iso(record.finished_at) if record.finished_at else None,
        "totals": {
            "rows": record.total_rows,
            "processed": record.processed,
            "created": record.created,
            "rejected": record.rejected,
        },
        "progress_percent": record.processed * 100 // record.total_rows if record.total_rows else 100,
        "ignored_columns": record.ignored_columns,
        "failure": {"code": record.failure_code, "message": record.failure_message or ""}
        if record.failure_code
        else None,
    }


def _encode_cursor(position: tuple[int, int] | None) -> str | None:
    if position is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _decode_cursor(cursor: str | None, record: store.ImportRecord) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    try:
        number, offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        valid = isinstance(number, int) and isinstance(offset, int)
        valid = valid and 0 <= number < record.chunks and 0 <= offset < CHUNK_ROWS
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise ValidationFailed("the cursor is not valid for this import", code="invalid_cursor")
    return number, offset


# ---------------------------------------------------------------- one chunk (the workflow's task)


def process_chunk(import_id: str, number: int) -> dict[str, Any]:
    """Invite one chunk's rows and record their results and counts, once.

    Safe to run again (Step Functions retries, a Lambda retried after a lost answer): a chunk whose
    results are stored is not invited again, and the results and the counters land in one transaction
    conditioned on that. A run that died after the invite created invitations but before the
    results were stored finds those people ``already_invited`` on the next attempt; :func:`_recover`
    reports them as the ``created`` they are.
    """
    (record,) = store.read([import_id], [])
    if not isinstance(record, store.ImportRecord):
        raise NotFound(f"no import {import_id}")
    if record.status != store.RUNNING:
        return {"chunk": number, "skipped": record.status}
    chunk = store.begin_attempt(import_id, number, clock.now())
    if chunk is None:
        return {"chunk": number, "replayed": True}
    results = _invite_rows(record, chunk)
    if not store.finish_chunk(import_id, number, results, record.total_rows):
        return {"chunk": number, "replayed": True}
    store.complete_if_all_processed(import_id, clock.now())
    created = sum(1 for r in results if r["status"] == "created")
    return {"chunk": number, "created": created, "rejected": len(results) - created, "attempt": chunk.attempts}


def _invite_rows(record: store.ImportRecord, chunk: store.Chunk) -> list[dict[str, Any]]:
    decided: dict[int, dict[str, Any]] = {}
    todo: list[dict[str, Any]] = []
    for row in chunk.rows:
        if row.get("reason"):
            decided[row["row"]] = {
                "row": row["row"],
                "email": row["email"],
                "status": "rejected",
                "reason": row["reason"],
            }
        else:
            todo.append(row)
    size = max(1, get_settings().max_invitees_per_request)
    for start_at in range(0, len(todo), size):
        batch = todo[start_at : start_at + size]
        invitees = [
            Invitee(
                email=r["email"],
                user_type=r["user_type"],
                role=r["role"],
                first_name=r["first_name"],
                last_name=r["last_name"],
            )
            for r in batch
        ]
        try:
            outcomes = invite_usecase.invite(record.caller_id, record.account_id, invitees)
        except DomainError as refusal:
            store.fail(record.id, refusal.code, refusal.message, clock.now())
            raise ImportAborted(f"{refusal.code}: {refusal.message}") from refusal
        except Exception as error:
            if error_code(error) in TRANSIENT:  # Step Functions or DynamoDB throttled us: retry the chunk
                raise TransientError(f"throttled: {error_code(error)}") from error
            raise
        for row, outcome in zip(batch, outcomes, strict=True):  # an outcome per invitee, in order
            shown = {k: v for k, v in vars(outcome).items() if v not in (None, [])}
            decided[row["row"]] = {"row": row["row"], **shown}
    if chunk.attempts > 1:
        _recover(record, chunk, decided)
    return [decided[row["row"]] for row in chunk.rows]


def _recover(record: store.ImportRecord, chunk: store.Chunk, decided: dict[int, dict[str, Any]]) -> None:
    """On a repeated attempt, an ``already_invited`` row whose open invitation this caller created since the
    chunk's first attempt began was created by that attempt: report it as created."""
    again = [r for r in decided.values() if r.get("reason") == "already_invited"]
    if not again or chunk.first_attempt_at is None:
        return
    since = chunk.first_attempt_at - RETRY_MARGIN
    found = store.open_invitations(record.account_id, [r["email"] for r in again])
    for result in again:
        inv = found.get(result["email"])
        if inv is not None and inv.inviter_id == record.caller_id and inv.created_at >= since:
            result.update(status="created", invitation_id=inv.id)
            result.pop("reason", None)
