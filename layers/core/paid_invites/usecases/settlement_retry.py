"""An operator requests the failed billing requests of an invitation again, each in its next attempt.

Only failed entries, each once per attempt: the write is conditional on the entry still being failed in the
attempt read, so a completed entry is never requested again and two retries at once request one new
attempt. A retry while the new attempt is still requested finds nothing failed and does nothing. The new
attempt has a new ``request_id`` (``<invitation_id>:<kind>:<attempt>``); an outcome of the old attempt that
comes late changes nothing (settlement_outcomes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .. import clock, events
from ..billing_ids import request_id
from ..config import get_settings
from ..errors import NotFound
from ..ledger import LedgerEntry
from ..settlement import retried, settlement_state
from ..store import settlements
from .settling import billing_requests


@dataclass(frozen=True)
class RetryOutcome:
    invitation_id: str
    requested: list[str] = field(default_factory=list)  # the request ids published now
    state: str | None = None  # the invitation's settlement state after it

    def as_dict(self) -> dict[str, object]:
        return {"invitation_id": self.invitation_id, "requested": self.requested, "settlement_state": self.state}


def retry_settlement(invitation_id: str, actor: str = "operator") -> RetryOutcome:
    """Request every failed entry of the invitation again (attempt + 1) and publish those requests."""
    now = clock.now()
    answer_due = now + timedelta(seconds=get_settings().settlement_answer_seconds)
    found: list[tuple[settlements.Snapshot, list[LedgerEntry], str | None]] = []

    def change() -> RetryOutcome:
        snap = settlements.snapshot(invitation_id)
        if snap is None:
            raise NotFound(f"no invitation {invitation_id}", code="invitation_not_found")
        again = retried(snap.entries)
        current, _ = settlement_state(snap.entries)
        if not again:
            return RetryOutcome(invitation_id, [], current)
        by_kind = {e.kind: e for e in again}
        state, _ = settlement_state([by_kind.get(e.kind, e) for e in snap.entries])
        assert state is not None
        settlements.request_again(snap, again, state, now, answer_due, actor)  # Conflict: read again
        found.append((snap, again, state))
        return RetryOutcome(invitation_id, [request_id(e.invitation_id, e.kind, e.attempt) for e in again], state)

    outcome = settlements.retrying(change)
    if found:
        snap, again, _ = found[-1]
        events.publish(billing_requests(again, snap.invitation.subscription))
    return outcome
