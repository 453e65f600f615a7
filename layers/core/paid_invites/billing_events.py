"""The billing requests the service publishes and the outcomes a billing system answers: typed details.

With external billing, settling an acceptance books each ledger entry as ``requested`` and publishes one
request per entry on the service's bus (``SettlementBus``, source ``paid-account-invites``). The billing
system (a platform's own, or the Stripe bridge) moves the money and answers on the platform bus with one
outcome per request, naming the request by its ``request_id`` = ``<invitation_id>:<kind>:<attempt>``: the
idempotency key. A request published again (a retried step) has the same ``event_id`` and ``request_id``; an
operator's retry of a failed request is a new attempt, so a new ``request_id``.

Only pydantic: no AWS, no store. ``parse_outcome``/``parse_request`` validate a detail by its detail-type. The
names and ids alone are in ``billing_ids`` (settling imports those, not pydantic).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["subscription_cancelled", "refund_requested", "credit_transferred"]

_CURRENCY = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, upper case")
_AMOUNT = Field(ge=0, description="integer minor units (cents)")


class _Detail(BaseModel):
    # each model's validator is built on first use: a cold start builds the ones its events need
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- requests (SettlementBus; the service publishes, a billing system consumes) ---------------------------


class BillingRequest(_Detail):
    """One ledger entry's money movement a billing system is asked to make (and answer)."""

    event_id: str = Field(description="stable: the same request published again has the same id")
    request_id: str = Field(description="`<invitation_id>:<kind>:<attempt>`: the idempotency key")
    invitation_id: str
    kind: Kind
    account_id: str = Field(description="whose money moves (the invitee's own account; for a credit the organization)")
    org_account_id: str = Field(description="the organization the invitee joined")
    amount_minor: int = _AMOUNT
    currency: str = _CURRENCY
    payment_method: str | None = None
    subscription_external_id: str | None = Field(None, description="the billing system's subscription id, if known")
    billing_customer_id: str | None = Field(
        None, description="the billing customer of the account the money goes to (for a credit: the organization's)"
    )
    user_id: str | None = Field(None, description="the invitee")
    attempt: int = Field(ge=1, description="1 first; an operator's retry of a failed request is the next")


class SubscriptionCancellationRequested(BillingRequest):
    """Cancel the invitee's own subscription (its account was closed by the accept)."""

    kind: Literal["subscription_cancelled"] = "subscription_cancelled"


class ProrationRefundRequested(BillingRequest):
    """Refund the unused part of the invitee's own subscription to its payment method."""

    kind: Literal["refund_requested"] = "refund_requested"


class CreditTransferRequested(BillingRequest):
    """Credit the unused part of the invitee's own subscription to the organization's billing customer."""

    kind: Literal["credit_transferred"] = "credit_transferred"


# --- outcomes (platform bus; a billing system publishes, SettlementOutcomesFunction consumes) -------------


class BillingOutcome(_Detail):
    """The answer to one request, named by its ``request_id``."""

    request_id: str = Field(description="the request's `<invitation_id>:<kind>:<attempt>`")
    invitation_id: str
    kind: Kind
    amount_minor: int | None = Field(None, ge=0, description="what moved, if the billing system says")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    external_id: str | None = Field(None, description="the billing system's id (e.g. a Stripe refund `re_...`)")
    version: int | None = Field(None, description="ignored: an outcome applies once, by request and attempt")

    succeeded: ClassVar[bool] = True  # not in the detail: what the detail-type says


class _Failed(BillingOutcome):
    reason: str = Field(min_length=1, max_length=500, description="why the money did not move")
    succeeded: ClassVar[bool] = False


class RefundCompleted(BillingOutcome):
    kind: Literal["refund_requested"] = "refund_requested"


class RefundFailed(_Failed):
    kind: Literal["refund_requested"] = "refund_requested"


class CreditApplied(BillingOutcome):
    kind: Literal["credit_transferred"] = "credit_transferred"


class CreditFailed(_Failed):
    kind: Literal["credit_transferred"] = "credit_transferred"


class SubscriptionCancelled(BillingOutcome):
    kind: Literal["subscription_cancelled"] = "subscription_cancelled"


class SubscriptionCancellationFailed(_Failed):
    kind: Literal["subscription_cancelled"] = "subscription_cancelled"


REQUESTS: dict[str, type[BillingRequest]] = {
    "SubscriptionCancellationRequested": SubscriptionCancellationRequested,
    "ProrationRefundRequested": ProrationRefundRequested,
    "CreditTransferRequested": CreditTransferRequested,
}

OUTCOMES: dict[str, type[BillingOutcome]] = {
    "RefundCompleted": RefundCompleted,
    "RefundFailed": RefundFailed,
    "CreditApplied": CreditApplied,
    "CreditFailed": CreditFailed,
    "SubscriptionCancelled": SubscriptionCancelled,
    "SubscriptionCancellationFailed": SubscriptionCancellationFailed,
}
MODELS: dict[str, type[_Detail]] = {**REQUESTS, **OUTCOMES}


def parse_request(detail_type: str, detail: Any) -> BillingRequest:
    """The request a detail is; ``KeyError`` for an unknown detail-type, pydantic's ``ValidationError`` else."""
    return REQUESTS[detail_type].model_validate(detail)


def parse_outcome(detail_type: str, detail: Any) -> BillingOutcome:
    """The outcome a detail is; ``KeyError`` for an unknown detail-type, pydantic's ``ValidationError`` else."""
    return OUTCOMES[detail_type].model_validate(detail)
