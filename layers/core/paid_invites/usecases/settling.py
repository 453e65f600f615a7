"""Settle an accepted invitation exactly once: the ledger, the subscription, the credit, then the events."""

from __future__ import annotations

from typing import Any

from .. import clock, events
from ..acceptance import Acceptance
from ..settlement import settlement_events
from ..store import transactions as tx


def settle(acc: Acceptance, actor: str = "workflow") -> dict[str, Any]:
    """Book the money (if the invitee's own paid subscription ends), publish the events, mark it settled.

    The booking is conditioned on the invitation: accepted as ``acc`` says, not settled yet; one it disagrees
    with books nothing and raises ``SettlementRefused`` (not retried: recorded on the invitation).
    Safe to run again: the ledger is booked once whatever the runs (``first_time`` says whether this run
    booked it) and the events carry stable ids. It is marked settled only once its events are out, so a
    run that failed before that stays due and runs again."""
    now = clock.now()
    sub = acc.subscription
    booked_now = True
    if acc.settle_due and sub is not None and acc.invitee_account_id:
        booked_now = tx.book_settlement(
            tx.Booking(
                invitation_id=acc.invitation_id,
                org_account_id=acc.account_id,
                own_account_id=acc.invitee_account_id,
                user_id=acc.invitee_user_id or "",
                refund=acc.refund,
                credit=acc.credit,
                cancelled_amount=sub.paid,
                payment_method=sub.payment_method,
                settlement=acc.settlement,
                accepted_at=acc.accepted_at,
            ),
            now,
        )
    events.publish(settlement_events(acc))
    tx.mark_settled(acc.invitation_id, now, actor)
    amount = acc.amount
    return {
        "invitation_id": acc.invitation_id,
        "settlement": acc.settlement,
        "amount_minor": amount.amount_minor if amount else 0,
        "first_time": booked_now,
    }
