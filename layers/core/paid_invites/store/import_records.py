"""Persistence of the bulk import: one table (``ImportsTable``, key ``id``) with two kinds of items.

- ``import#<id>``: the import itself: who, which account, status and the counters the chunks add to.
- ``chunk#<id>#<n>``: up to 100 rows of the file as parsed, and once processed their per-row results.

An organization's imports are listed newest first through the ``by_account_created`` index (import items
only: chunk items carry no ``account_id``). A cancel is a conditional write on the import item, and a chunk
begins only in a transaction that checks the import still runs, so no chunk begins after a cancel is
recorded (:func:`begin_attempt`).

The counters and a chunk's results are written in one transaction conditioned on the chunk not being
done yet, so a retried chunk is counted once. Items expire (TTL) ``RETENTION`` after the upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from .. import clock
from ..fields import same_named
from ..invitations import Invitation
from . import models as m
from .mapping import to_invitation
from .repository import Tx, TxCancelled, decode_cursor, encode_cursor, key_item, read_many, update_if

RETENTION = timedelta(days=90)
RUNNING, COMPLETED, FAILED, CANCELLED = "running", "completed", "failed", "cancelled"


class _ImportsModel(m._Model):
    """Bound to the imports table and to the container's one DynamoDB client on first use (``models._Model``)."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        bind()
        return super()._get_connection()


class ImportsByAccount(GlobalSecondaryIndex["ImportModel"]):
    class Meta:
        index_name = "by_account_created"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ImportModel(_ImportsModel):
    class Meta:
        table_name = "imports"

    id = UnicodeAttribute(hash_key=True)  # import#<import id>
    import_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    caller_id = UnicodeAttribute()
    status = UnicodeAttribute()  # running | completed | failed | cancelled
    total_rows = NumberAttribute()
    chunks = NumberAttribute()
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    rejected = NumberAttribute(default=0)
    ignored_columns = ListAttribute[Any](of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    finished_at = UnicodeAttribute(null=True)  # ISO-8601 text: the workflow's failure step writes it too
    failure_code = UnicodeAttribute(null=True)
    failure_message = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    expiration = TTLAttribute()
    by_account_created = ImportsByAccount()

    @staticmethod
    def key(import_id: str) -> str:
        return f"import#{import_id}"


class ImportChunkModel(_ImportsModel):
    class Meta:
        table_name = "imports"

    id = UnicodeAttribute(hash_key=True)  # chunk#<import id>#<n>
    import_id = UnicodeAttribute()
    number = NumberAttribute()
    rows = JSONAttribute()  # [{"row", "email", "first_name", "last_name", "user_type", "role", "reason"?}]
    results = JSONAttribute(null=True)  # [{"row", "email", "status", "invitation_id"?, "reason"?, "warnings"?}]
    done = BooleanAttribute(null=True)
    attempts = NumberAttribute(default=0)
    first_attempt_at = UTCDateTimeAttribute(null=True)
    expiration = TTLAttribute()

    @staticmethod
    def key(import_id: str, number: int) -> str:
        return f"chunk#{import_id}#{number}"


bind = m.TableBinding("imports_table", ImportModel, ImportChunkModel)


# ---------------------------------------------------------------- the domain's view of the items


@dataclass
class ImportRecord:
    id: str
    account_id: str
    caller_id: str
    status: str
    total_rows: int
    chunks: int
    processed: int
    created: int
    rejected: int
    created_at: datetime
    ignored_columns: list[str] = field(default_factory=list)
    finished_at: datetime | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    cancelled_by: str | None = None


@dataclass
class Chunk:
    import_id: str
    number: int
    rows: list[dict[str, Any]]
    results: list[dict[str, Any]] | None
    done: bool
    attempts: int
    first_attempt_at: datetime | None


def _record(item: ImportModel) -> ImportRecord:
    return ImportRecord(
        id=item.import_id,
        account_id=item.account_id,
        caller_id=item.caller_id,
        status=item.status,
        total_rows=int(item.total_rows),
        chunks=int(item.chunks),
        processed=int(item.processed),
        created=int(item.created),
        rejected=int(item.rejected),
        created_at=item.created_at,
        ignored_columns=list(item.ignored_columns or []),
        finished_at=clock.parse(item.finished_at) if item.finished_at else None,
        failure_code=item.failure_code,
        failure_message=item.failure_message,
        cancelled_by=item.cancelled_by,
    )


def _chunk(item: ImportChunkModel) -> Chunk:
    return Chunk(
        import_id=item.import_id,
        number=int(item.number),
        rows=list(item.rows or []),
        results=list(item.results) if item.results is not None else None,
        done=bool(item.done),
        attempts=int(item.attempts or 0),
        first_attempt_at=item.first_attempt_at,
    )


# ---------------------------------------------------------------- writes and reads


def create(record: ImportRecord, chunks: list[list[dict[str, Any]]]) -> None:
    """The chunks first, then the import item: an import that can be read has all its rows."""
    expiration = record.created_at + RETENTION
    with ImportChunkModel.batch_write() as batch:
        for number, rows in enumerate(chunks):
            batch.save(
                ImportChunkModel(
                    id=ImportChunkModel.key(record.id, number),
                    import_id=record.id,
                    number=number,
                    rows=rows,
                    attempts=0,
                    expiration=expiration,
                )
            )
    ImportModel(
        id=ImportModel.key(record.id),
        import_id=record.id,
        **same_named(record, ("account_id", "caller_id", "status", "total_rows", "chunks", "ignored_columns")),
        processed=0,
        created=0,
        rejected=0,
        created_at=record.created_at,
        expiration=expiration,
    ).save(ImportModel.id.does_not_exist())


def get(import_id: str) -> ImportRecord | None:
    (item,) = read([import_id], [])
    return item  # type: ignore[return-value]


def read(import_ids: list[str], chunks: list[tuple[str, int]]) -> list[ImportRecord | Chunk | None]:
    """Imports and chunks in one strongly consistent batched read, in the order asked."""
    bind()  # read_many takes the table names from the models
    keys: list[Any] = [(ImportModel, ImportModel.key(i)) for i in import_ids]
    keys += [(ImportChunkModel, ImportChunkModel.key(i, n)) for i, n in chunks]
    items = read_many(keys)
    found: list[ImportRecord | Chunk | None] = []
    for item in items:
        if item is None:
            found.append(None)
        elif isinstance(item, ImportModel):
            found.append(_record(item))
        else:
            found.append(_chunk(item))
    return found


def begin_attempt(import_id: str, number: int, now: datetime) -> Chunk | str:
    """Count an attempt at a chunk not done yet (the first one's time is kept) and answer the chunk; or
    ``"done"`` when it is done, or the import's status when it no longer runs and the chunk never began.

    A chunk's first attempt commits only together with a check that the import still runs: once a cancel
    (or a failure) is recorded no chunk begins. A chunk that began before may attempt again (a retry) and
    finish, so that what it invited is recorded.
    """
    item = key_item(ImportChunkModel, ImportChunkModel.key(import_id, number))
    actions = [
        ImportChunkModel.attempts.add(1),
        ImportChunkModel.first_attempt_at.set(ImportChunkModel.first_attempt_at | now),
    ]
    tx = Tx()
    tx.check("import", ImportModel, ImportModel.key(import_id), ImportModel.status == RUNNING)
    tx.update("chunk", item, actions, ImportChunkModel.id.exists() & ImportChunkModel.done.does_not_exist())
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "chunk" in cancelled.failed:
            return "done"
        begun = ImportChunkModel.id.exists() & ImportChunkModel.done.does_not_exist() & (ImportChunkModel.attempts > 0)
        if not update_if(item, actions, begun):
            (record,) = read([import_id], [])
            return record.status if isinstance(record, ImportRecord) else "missing"
    (chunk,) = read([], [(import_id, number)])
    assert isinstance(chunk, Chunk)
    return chunk


def cancel(import_id: str, caller_id: str, now: datetime) -> ImportRecord | None:
    """Record the cancel of a running import (status ``cancelled``, who, when): the import afterwards, or
    None when it was not running (cancelled already, completed or failed: the caller reads which)."""
    item = key_item(ImportModel, ImportModel.key(import_id))
    done = update_if(
        item,
        [
            ImportModel.status.set(CANCELLED),
            ImportModel.cancelled_by.set(caller_id),
            ImportModel.finished_at.set(clock.iso(now)),
        ],
        ImportModel.status == RUNNING,
    )
    return get(import_id) if done else None


def list_for_account(account_id: str, limit: int, cursor: str | None) -> tuple[list[ImportRecord], str | None]:
    """One page of an organization's imports, newest first, and the cursor of the next page (None: no more).
    A cursor that is not one of this list's own is refused (``invalid_cursor``)."""
    bind()
    result = ImportModel.by_account_created.query(
        account_id,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(
            cursor,
            {"id", "account_id", "created_at"},
            lambda k: k["account_id"] == account_id and k["id"].startswith("import#"),
        ),
    )
    records = [_record(item) for item in result]
    return records, encode_cursor(result.last_evaluated_key)


def finish_chunk(import_id: str, number: int, results: list[dict[str, Any]], total_rows: int) -> bool:
    """Store a chunk's results and add them to the import's counters, once. False if it was done already."""
    created = sum(1 for r in results if r["status"] == "created")
    tx = Tx()
    tx.update(
        "chunk",
        key_item(ImportChunkModel, ImportChunkModel.key(import_id, number)),
        [ImportChunkModel.done.set(True), ImportChunkModel.results.set(results)],
        ImportChunkModel.done.does_not_exist(),
    )
    tx.update(
        "import",
        key_item(ImportModel, ImportModel.key(import_id)),
        [
            ImportModel.processed.add(len(results)),
            ImportModel.created.add(created),
            ImportModel.rejected.add(len(results) - created),
        ],
        ImportModel.processed <= total_rows - len(results),
    )
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "chunk" in cancelled.failed:
            return False
        raise
    return True


def complete_if_all_processed(import_id: str, now: datetime) -> bool:
    """The chunk that brings ``processed`` to the total marks the import completed."""
    return update_if(
        key_item(ImportModel, ImportModel.key(import_id)),
        [ImportModel.status.set(COMPLETED), ImportModel.finished_at.set(clock.iso(now))],
        (ImportModel.status == RUNNING) & (ImportModel.processed == ImportModel.total_rows),
    )


def fail(import_id: str, code: str, message: str, now: datetime) -> bool:
    """Mark a running import failed, with why (the workflow's own failure step keeps what is set here)."""
    return update_if(
        key_item(ImportModel, ImportModel.key(import_id)),
        [
            ImportModel.status.set(FAILED),
            ImportModel.failure_code.set(code),
            ImportModel.failure_message.set(message[:500]),
            ImportModel.finished_at.set(clock.iso(now)),
        ],
        ImportModel.status == RUNNING,
    )


def open_invitations(account_id: str, emails: list[str]) -> dict[str, Invitation]:
    """The open invitation each address has in the account (through its pending guard), where there is one."""
    guards = read_many([(m.PendingGuardModel, m.PendingGuardModel.key(account_id, e)) for e in emails])
    ids = {e: g.invitation_id for e, g in zip(emails, guards, strict=True) if g is not None}
    items = read_many([(m.InvitationModel, i) for i in ids.values()]) if ids else []
    by_id = {item.id: to_invitation(item) for item in items if item is not None}
    return {e: by_id[i] for e, i in ids.items() if i in by_id}
