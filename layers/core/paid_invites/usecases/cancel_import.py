"""Cancel a running bulk import: rows not begun are never invited; what was created stays.

The cancel is one conditional write on the import item (running -> cancelled). A chunk begins only in a
transaction that checks the import still runs (``store.begin_attempt``), so no chunk begins once the
cancel is recorded. A chunk that had begun before (at most ``ImportMaxConcurrency`` of them, one by
default) finishes: its invitations exist, and its results and counts are stored, so the import's totals
may still grow by that chunk's rows after the cancel answers. Cancelling a cancelled import answers it
again (idempotent); a completed or failed one is refused with ``import_finished`` (409).
"""

from __future__ import annotations

from .. import clock
from ..errors import Conflict
from ..store import import_records as store
from .access import own_import


def cancel(caller_id: str | None, account_id: str, import_id: str) -> store.ImportRecord:
    caller, record = own_import(caller_id, account_id, import_id)
    if record.status == store.RUNNING:
        record = store.cancel(import_id, caller.id, clock.now()) or store.get(import_id) or record
    if record.status == store.CANCELLED:
        return record
    raise Conflict(
        f"the import has {record.status} already; only a running import can be cancelled",
        code="import_finished",
        details={"status": record.status},
    )
