"""Prorated value of the unused part of a subscription period. Pure arithmetic, to the second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .money import Money


@dataclass(frozen=True)
class Subscription:
    amount_minor: int
    currency: str
    interval: str  # "month" | "year"
    current_period_start: datetime
    current_period_end: datetime
    payment_method: str
    status: str = "active"  # "active" | "cancelled"
    external_id: str | None = None  # the billing system's id of it (e.g. Stripe's sub_...), when it has one

    def __post_init__(self) -> None:
        if self.interval not in ("month", "year"):
            raise ValueError(f"unknown interval {self.interval!r}")
        # Proration counts whole seconds: a shorter period would have none to divide by.
        if self.current_period_end - self.current_period_start < timedelta(seconds=1):
            raise ValueError("a subscription period must end at least a second after it starts")
        if self.amount_minor < 0:
            raise ValueError("a subscription cannot cost a negative amount")

    @property
    def paid(self) -> Money:
        return Money(self.amount_minor, self.currency)


def unused_value(subscription: Subscription, at: datetime) -> Money:
    """amount x (seconds from ``at`` to the period end) / (seconds in the period), rounded down.

    Never negative, never more than what was paid: before the period starts the whole amount is
    unused, after it ends nothing is.
    """
    period = int((subscription.current_period_end - subscription.current_period_start).total_seconds())
    remaining = int((subscription.current_period_end - at).total_seconds())
    remaining = max(0, min(remaining, period))
    return Money(subscription.amount_minor * remaining // period, subscription.currency)
