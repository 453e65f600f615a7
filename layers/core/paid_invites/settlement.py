"""What settling an acceptance tells the other services (billing, meetings, recordings). Pure.

Each event carries a stable ``event_id`` (the invitation's id and what happened), so a consumer drops what
a retried settle publishes again.
"""

from __future__ import annotations

from typing import Any

from .acceptance import Acceptance
from .proration import Subscription

Event = tuple[str, dict[str, Any]]  # (detail-type, detail)


def settlement_events(acc: Acceptance) -> list[Event]:
    """``InvitationAccepted`` always; ``ProrationRefundRequested`` when a refund of more than zero is due."""
    events: list[Event] = [
        (
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
    ]
    refund = acc.refund
    if refund is not None and refund.amount_minor > 0:
        events.append(
            (
                "ProrationRefundRequested",
                {
                    "event_id": f"{acc.invitation_id}:refund",
                    "invitation_id": acc.invitation_id,
                    "account_id": acc.invitee_account_id,
                    "user_id": acc.invitee_user_id,
                    "amount_minor": refund.amount_minor,
                    "currency": refund.currency,
                    "payment_method": _payment_method(acc.subscription),
                },
            )
        )
    return events


def _payment_method(sub: Subscription | None) -> str | None:
    return sub.payment_method if sub else None
