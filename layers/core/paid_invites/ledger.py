"""A money entry of the ledger, as the account summary shows it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LedgerEntry:
    invitation_id: str
    kind: str  # subscription_cancelled | refund_requested | credit_transferred
    account_id: str  # whose money moves
    user_id: str | None
    amount_minor: int
    currency: str
    created_at: datetime
