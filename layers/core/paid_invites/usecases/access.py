"""Who may manage what: the admin use cases' first read."""

from __future__ import annotations

import re

from ..accounts import Account, User, ensure_can_manage
from ..errors import NotFound
from ..invitations import Invitation
from ..store import import_records
from ..store import repository as repo

_IMPORT_ID = re.compile(r"^[0-9a-f]{32}$")


def managed_account(caller_id: str | None, account_id: str) -> Account:
    """The account, if the caller may manage it (else 401/403; 404 when there is no such account)."""
    caller = repo.get_user(caller_id) if caller_id else None
    ensure_can_manage(caller, account_id)
    org = repo.get_account(account_id)
    if org is None:
        raise NotFound("no such account")
    return org


def own_invitation(caller_id: str | None, account_id: str, invitation_id: str) -> tuple[User, Invitation]:
    """The caller may manage the account, and the invitation is the account's (else 404, like another tenant)."""
    caller = ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    inv = repo.get_invitation(invitation_id) if len(invitation_id) <= 64 else None
    if inv is None or inv.account_id != account_id:
        raise NotFound("no such invitation")
    return caller, inv


def own_import(caller_id: str | None, account_id: str, import_id: str) -> tuple[User, import_records.ImportRecord]:
    """The caller may manage the account, and the import is the account's (else 404, like another tenant's or a
    malformed id)."""
    caller = ensure_can_manage(repo.get_user(caller_id) if caller_id else None, account_id)
    record = import_records.get(import_id) if _IMPORT_ID.match(import_id) else None
    if record is None or record.account_id != account_id:
        raise NotFound("no such import")
    return caller, record
