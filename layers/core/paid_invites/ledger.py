"""A money entry of the ledger, as the account summary shows it, with billing's answer to it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REQUESTED, COMPLETED, FAILED = "requested", "completed", "failed"
SETTLEMENT_STATES = (REQUESTED, COMPLETED, FAILED)


@dataclass(frozen=True)
class LedgerEntry:
    invitation_id: str
    kind: str  # subscription_cancelled | refund_requested | credit_transferred
    account_id: str  # whose money moves
    user_id: str | None
    amount_minor: int
    currency: str
    created_at: datetime
    # billing's answer: builtin billing books an entry completed; external billing requests it and the
    # billing system's outcome completes it (or fails it: an operator may request it again, attempt + 1)
    state: str = COMPLETED
    attempt: int = 1
    failure: str | None = None
    org_account_id: str = ""
    payment_method: str | None = None
    requested_at: datetime | None = None
    answered_at: datetime | None = None
    external_id: str | None = None
