"""The billing requests' and outcomes' names and ids, without their models (``billing_events``).

Settling names the request of each ledger entry (its detail-type and ``request_id``) whether or not billing
is external; only the functions that validate a request or an outcome need pydantic and the models. Pure.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = ("subscription_cancelled", "refund_requested", "credit_transferred")

# kind -> the detail-type of its request (billing_events.REQUESTS)
REQUEST_OF_KIND: dict[str, str] = {
    "subscription_cancelled": "SubscriptionCancellationRequested",
    "refund_requested": "ProrationRefundRequested",
    "credit_transferred": "CreditTransferRequested",
}
# kind -> (detail-type when the money moved, detail-type when it did not) (billing_events.OUTCOMES)
OUTCOME_OF_KIND: dict[str, tuple[str, str]] = {
    "refund_requested": ("RefundCompleted", "RefundFailed"),
    "credit_transferred": ("CreditApplied", "CreditFailed"),
    "subscription_cancelled": ("SubscriptionCancelled", "SubscriptionCancellationFailed"),
}


def request_id(invitation_id: str, kind: str, attempt: int) -> str:
    """The idempotency key of one attempt at one ledger entry's money movement."""
    return f"{invitation_id}:{kind}:{attempt}"


def split_request_id(value: str) -> tuple[str, str, int] | None:
    """(invitation_id, kind, attempt) of a request id, or None when it is not one of ours."""
    invitation_id, _, rest = value.partition(":")
    kind, _, attempt = rest.rpartition(":")
    if not invitation_id or kind not in KINDS or not attempt.isdigit() or int(attempt) < 1:
        return None
    return invitation_id, kind, int(attempt)
