"""Admin: read invitations (a page of a list, or one)."""

from __future__ import annotations

from ..invitations import Invitation
from ..store import repository as repo
from .access import managed_account, own_invitation


def list_invitations(
    caller_id: str | None, account_id: str, status: str, limit: int, cursor: str | None, email_prefix: str | None
) -> tuple[list[Invitation], str | None]:
    """A page of the account's invitations in ``status``, newest first, and the cursor of the next page."""
    managed_account(caller_id, account_id)
    return repo.list_invitations(account_id, status, limit, cursor, email_prefix)


def get_invitation(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    return own_invitation(caller_id, account_id, invitation_id)[1]
