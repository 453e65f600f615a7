"""An organization's bulk imports, newest first, a page at a time (the admin's import history)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import paging
from ..accounts import ensure_can_manage
from ..store import import_records as store
from ..store import repository as repo


@dataclass(frozen=True)
class ImportHistory:
    imports: list[store.ImportRecord]
    next_cursor: str | None


def list_imports(caller_id: str | None, account_id: str, limit: int, cursor: str | None) -> ImportHistory:
    """The account's imports (each with its status and counters), newest first; owner or admin only."""
    ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    records, next_cursor = store.list_for_account(account_id, max(1, min(limit, paging.IMPORTS)), cursor)
    return ImportHistory(records, next_cursor)
