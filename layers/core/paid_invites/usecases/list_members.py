"""Admin: a page of the organization's members (by e-mail; one user type, one role, an address prefix)."""

from __future__ import annotations

from ..accounts import User
from ..members import MemberFilter
from ..store import members as store
from .access import managed_account


def list_members(
    caller_id: str | None, account_id: str, which: MemberFilter, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """The members ``which`` lets through, ordered by e-mail, and the cursor of the next page."""
    managed_account(caller_id, account_id)
    return store.list_members(account_id, which, limit, cursor)
