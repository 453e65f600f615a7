"""Bulk import: a CSV of up to 9,999 people, invited asynchronously and at a pace AWS allows.

The upload is checked while it is read, before anything is written (``csv_upload.parse``): reading stops
at the first thing that is wrong, at the row after the last one allowed, and at a header wider than
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
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .. import clock, paging
from ..accounts import ensure_can_invite, ensure_can_manage
from ..aws import client, error_code
from ..config import get_settings
from ..csv_upload import parse
from ..errors import DomainError, NotFound, ServiceUnavailable, TransientError, ValidationFailed
from ..invitations import Invitee, new_id
from ..store import import_records as store
from ..store import repository as repo
from ..workflow import TRANSIENT
from . import invite as invite_usecase

CHUNK_ROWS = 100  # one invite call (MaxInviteesPerRequest) per chunk; ~100 StartExecutions and e-mails
RETRY_MARGIN = timedelta(seconds=1)  # clock skew allowed between a chunk's attempts (see _recover)
_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")


class ImportAborted(Exception):
    """A chunk met a refusal that no retry changes (the caller lost the right to invite, the account is no
    longer eligible...). The import item already says why; the workflow catches this and ends failed."""


# ---------------------------------------------------------------- upload (the admin API)


@dataclass(frozen=True)
class ImportPage:
    """An import and one page of its per-row results (as stored: ``{"row", "email", "status", ...}``)."""

    record: store.ImportRecord
    results: list[dict[str, Any]]
    next_cursor: str | None


def start(caller_id: str | None, account_id: str, body: bytes, content_type: str | None) -> store.ImportRecord:
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
    return record


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
            raise ServiceUnavailable("imports are busy; try again in a minute", code="unavailable") from error
        raise


# ---------------------------------------------------------------- progress and results (the admin API)


def get(caller_id: str | None, account_id: str, import_id: str, limit: int, cursor: str | None) -> ImportPage:
    """The import's status and counters, and one page of per-row results in row order.

    A page stops at the first chunk not processed yet while the import runs (``next_cursor`` then
    points there: ask again later); rows a failed or cancelled import never reached are ``not_processed``
    (a chunk that was being invited when the cancel came shows its results once it has stored them).
    """
    ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    record = store.get(import_id) if _IMPORT_ID.match(import_id) else None
    if record is None or record.account_id != account_id:
        raise NotFound("no such import")
    limit = max(1, min(limit, paging.IMPORT_RESULTS))
    number, offset = _decode_cursor(cursor, record)
    wanted = range(number, min(record.chunks, number + (offset + limit + CHUNK_ROWS - 1) // CHUNK_ROWS))
    chunks = [c for c in store.read([], [(record.id, n) for n in wanted]) if isinstance(c, store.Chunk)]
    results: list[dict[str, Any]] = []
    next_cursor: tuple[int, int] | None = None
    for chunk in chunks:
        if chunk.done and chunk.results is not None:
            page = chunk.results
        elif record.status in (store.FAILED, store.CANCELLED):
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
    return ImportPage(record, results, _encode_cursor(next_cursor))


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

    A chunk of a cancelled import that had not begun when the cancel was recorded is skipped (the check
    and the chunk's first attempt are one transaction: :func:`store.begin_attempt`).

    Safe to run again (Step Functions retries, a Lambda retried after a lost answer): a chunk whose
    results are stored is not invited again, and the results and the counters land in one transaction
    conditioned on that. A run that died after the invite created invitations but before the
    results were stored finds those people ``already_invited`` on the next attempt; :func:`_recover`
    reports them as the ``created`` they are.
    """
    (record,) = store.read([import_id], [])
    if not isinstance(record, store.ImportRecord):
        raise NotFound(f"no import {import_id}")
    if record.status not in (store.RUNNING, store.CANCELLED):
        return {"chunk": number, "skipped": record.status}
    chunk = store.begin_attempt(import_id, number, clock.now())
    if chunk == "done":
        return {"chunk": number, "replayed": True}
    if not isinstance(chunk, store.Chunk):  # cancelled (or failed) before this chunk began: it never will
        return {"chunk": number, "skipped": chunk}
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
