"""What settling an acceptance tells the other services (billing, meetings, recordings), and the rules of
billing's answers. Pure.

Each event carries a stable ``event_id`` (the invitation's id and what happened), so a consumer drops what
a retried settle publishes again. A billing request also carries its ``request_id``
(``<invitation_id>:<kind>:<attempt>``, billing_events.py): the idempotency key of one attempt at moving the
money of one ledger entry.

Billing modes:

- ``builtin`` (the ledger is the system of record): the entries are booked ``completed`` at once and the
  organization's credit rises in the same transaction; only a refund (money back to the invitee's card) is
  published as a request, for whatever pays it out.
- ``external`` (a billing system moves the money): every entry is booked ``requested`` and published as a
  request; its outcome completes it (a credit rises only then) or fails it.

The outcome rule (``judge``): an outcome applies to the entry its request names only while that entry is
``requested`` in the same attempt, so it applies once (a success also to an entry that failed in that same
attempt: the money moved after all, and the entry must not be requested again); an outcome of an earlier
attempt, of an entry already answered, or of a request we never made changes nothing. Hence at most one attempt
of an entry counts, and a success of an attempt that no longer counts (money that may have moved twice) is
reported, not booked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from .acceptance import Acceptance
from .billing_ids import REQUEST_OF_KIND, request_id
from .ledger import COMPLETED, FAILED, REQUESTED, LedgerEntry
from .proration import Subscription

Event = tuple[str, dict[str, Any]]  # (detail-type, detail)
BUILTIN, EXTERNAL = "builtin", "external"
BILLING_MODES = (BUILTIN, EXTERNAL)

# the event id's word for each kind: a request's id is "<invitation_id>:<word>" in attempt 1 (as the refund
# event always had), "<invitation_id>:<word>:<attempt>" after an operator's retry
_EVENT_WORD = {"refund_requested": "refund", "credit_transferred": "credit", "subscription_cancelled": "cancellation"}


def settlement_events(acc: Acceptance, requests: list[Event] | None = None) -> list[Event]:
    """``InvitationAccepted`` always, then the billing requests: ``requests`` when given (external billing:
    one per ledger entry), else (builtin) ``ProrationRefundRequested`` when a refund of more than zero is due."""
    events: list[Event] = [accepted_event(acc)]
    if requests is not None:
        return events + requests
    refund = acc.refund
    if refund is not None and refund.amount_minor > 0 and acc.invitee_account_id:
        entry = LedgerEntry(
            invitation_id=acc.invitation_id,
            kind="refund_requested",
            account_id=acc.invitee_account_id,
            user_id=acc.invitee_user_id,
            amount_minor=refund.amount_minor,
            currency=refund.currency,
            created_at=acc.accepted_at,
            org_account_id=acc.account_id,
            payment_method=_payment_method(acc.subscription),
        )
        events.append(request_event(entry))
    return events


def accepted_event(acc: Acceptance) -> Event:
    return (
        "InvitationAccepted",
        {
            "event_id": f"{acc.invitation_id}:accepted",
            "invitation_id": acc.invitation_id,
            "user_id": acc.invitee_user_id,
            "from_account_id": acc.invitee_account_id,
            "to_account_id": acc.account_id,
            "user_type": acc.user_type,
            "role": acc.role,
        },
    )


def event_id(invitation_id: str, kind: str, attempt: int) -> str:
    word = f"{invitation_id}:{_EVENT_WORD[kind]}"
    return word if attempt == 1 else f"{word}:{attempt}"


def request_event(
    entry: LedgerEntry, subscription_external_id: str | None = None, billing_customer_id: str | None = None
) -> Event:
    """The billing request of one ledger entry in its current attempt (billing_events.BillingRequest)."""
    detail: dict[str, Any] = {
        "event_id": event_id(entry.invitation_id, entry.kind, entry.attempt),
        "request_id": request_id(entry.invitation_id, entry.kind, entry.attempt),
        "invitation_id": entry.invitation_id,
        "kind": entry.kind,
        "account_id": entry.account_id,
        "org_account_id": entry.org_account_id,
        "user_id": entry.user_id,
        "amount_minor": entry.amount_minor,
        "currency": entry.currency,
        "payment_method": entry.payment_method,
        "attempt": entry.attempt,
    }
    if subscription_external_id:
        detail["subscription_external_id"] = subscription_external_id
    if billing_customer_id:
        detail["billing_customer_id"] = billing_customer_id
    return REQUEST_OF_KIND[entry.kind], detail


def _payment_method(sub: Subscription | None) -> str | None:
    return sub.payment_method if sub else None


# ---------------------------------------------------------------- billing's answers


def settlement_state(entries: list[LedgerEntry]) -> tuple[str | None, str | None]:
    """The invitation's (state, failure) from its entries: ``failed`` while any entry failed (its reason),
    else ``requested`` while any waits for its answer, else ``completed``; (None, None) without entries."""
    if not entries:
        return None, None
    failed = [e for e in entries if e.state == FAILED]
    if failed:
        return FAILED, "; ".join(f"{e.kind}: {e.failure or 'failed'}" for e in failed)
    if any(e.state == REQUESTED for e in entries):
        return REQUESTED, None
    return COMPLETED, None


Verdict = Literal["apply", "unknown", "old_attempt", "answered"]


def judge(entry: LedgerEntry | None, attempt: int, succeeded: bool) -> Verdict:
    """Whether an outcome of ``attempt`` applies to ``entry`` (the one its request names, None if none):
    to a requested entry in that very attempt; a success also to one that failed in that attempt (the billing
    system's last word: the money moved, so it must not be requested again). ``old_attempt``: an operator
    requested it again since; ``answered``: this attempt was answered already (a repeated outcome)."""
    if entry is None or attempt > entry.attempt:
        return "unknown"
    if attempt < entry.attempt:
        return "old_attempt"
    if entry.state == REQUESTED or (succeeded and entry.state == FAILED):
        return "apply"
    return "answered"


@dataclass(frozen=True)
class Answer:
    """An outcome as the store applies it to one entry."""

    invitation_id: str
    kind: str
    attempt: int
    succeeded: bool
    at: datetime
    reason: str | None = None
    external_id: str | None = None


def answered(entries: list[LedgerEntry], answer: Answer) -> list[LedgerEntry]:
    """The entries once ``answer`` applied to its entry (for the invitation's new state)."""
    state = COMPLETED if answer.succeeded else FAILED
    return [
        _with(e, state=state, failure=None if answer.succeeded else answer.reason) if e.kind == answer.kind else e
        for e in entries
    ]


def retried(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """The entries an operator's retry requests again: the failed ones, each in its next attempt."""
    return [_with(e, state=REQUESTED, attempt=e.attempt + 1, failure=None) for e in entries if e.state == FAILED]


def _with(entry: LedgerEntry, **changes: Any) -> LedgerEntry:
    return replace(entry, **changes)
