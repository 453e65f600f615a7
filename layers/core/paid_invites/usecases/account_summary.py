"""Admin: the account's licenses, money and latest ledger entries."""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts import Account
from ..ledger import LedgerEntry
from ..store import repository as repo
from .access import managed_account


@dataclass(frozen=True)
class AccountSummary:
    account: Account
    ledger: list[LedgerEntry]


def account_summary(caller_id: str | None, account_id: str) -> AccountSummary:
    org = managed_account(caller_id, account_id)
    return AccountSummary(org, repo.ledger_for(account_id))
