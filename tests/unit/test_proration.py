"""Proration: amount x (seconds from acceptance to the period end) / (seconds in the period), rounded down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paid_invites.money import Money
from paid_invites.proration import Subscription, unused_value

from ..support.builders import jans_subscription

START = datetime(2026, 6, 1, tzinfo=UTC)  # Jan's yearly period (the builders' jans_subscription)
END = datetime(2027, 6, 1, tzinfo=UTC)  # 365 days
YEAR = int((END - START).total_seconds())


def test_jan_half_a_year_left_is_rounded_down() -> None:
    # Given EUR 149.90 paid for 2026-06-01..2027-06-01 / When he accepts on 2026-12-01 12:00
    value = unused_value(jans_subscription(), datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    # Then 14990 x 15681600 / 31536000 = 7453.8... is paid back as 7453 cents, not 7454
    assert value == Money(7453, "EUR")


def test_a_monthly_amount_that_does_not_halve_evenly_rounds_down() -> None:
    sub = Subscription(1499, "EUR", "month", START, START + timedelta(days=30), "mastercard-5454")
    assert unused_value(sub, START + timedelta(days=15)) == Money(749, "EUR")  # 749.5


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (START - timedelta(days=40), 14990),  # before the period starts: the whole amount
        (START - timedelta(seconds=1), 14990),
        (START, 14990),
        (START + timedelta(seconds=1), 14990 * (YEAR - 1) // YEAR),
        (END - timedelta(seconds=1), 0),  # 14990 / 31536000 of a cent rounds down to nothing
        (END, 0),
        (END + timedelta(seconds=1), 0),  # after it ended: nothing, never negative
        (END + timedelta(days=400), 0),
    ],
)
def test_the_edges_of_the_period(at: datetime, expected: int) -> None:
    assert unused_value(jans_subscription(), at) == Money(expected, "EUR")


def test_a_big_amount_one_second_before_the_end_is_worth_its_last_second() -> None:
    sub = jans_subscription(amount_minor=YEAR * 3)
    assert unused_value(sub, END - timedelta(seconds=1)) == Money(3, "EUR")


def test_counts_whole_seconds_only() -> None:
    # Given half a second left of a period / Then that half second is worth nothing (rounded down)
    sub = jans_subscription(amount_minor=YEAR * 10)  # 10 cents a second
    assert unused_value(sub, END - timedelta(milliseconds=500)) == Money(0, "EUR")
    assert unused_value(sub, END - timedelta(seconds=2, milliseconds=500)) == Money(20, "EUR")


def test_the_value_is_in_the_subscription_currency() -> None:
    assert unused_value(jans_subscription(currency="GBP"), START).currency == "GBP"


def test_a_free_period_is_worth_nothing() -> None:
    assert unused_value(jans_subscription(amount_minor=0), START) == Money(0, "EUR")


def test_paid_is_what_the_period_cost() -> None:
    assert jans_subscription().paid == Money(14990, "EUR")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"interval": "week"}, "unknown interval"),
        ({"current_period_end": START}, "must end"),
        ({"current_period_end": START - timedelta(days=1)}, "must end"),
        ({"current_period_end": START + timedelta(milliseconds=999)}, "must end"),
        ({"amount_minor": -1}, "negative"),
    ],
)
def test_a_subscription_that_cannot_be_is_refused(changes: dict[str, object], problem: str) -> None:
    values: dict[str, object] = {
        "amount_minor": 1499,
        "currency": "EUR",
        "interval": "month",
        "current_period_start": START,
        "current_period_end": START + timedelta(days=30),
        "payment_method": "visa-4242",
        **changes,
    }
    with pytest.raises(ValueError, match=problem):
        Subscription(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties

amounts = st.integers(min_value=0, max_value=10**9)
starts = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC), allow_imaginary=False
)
periods = st.integers(min_value=1, max_value=400 * 24 * 3600)  # whole seconds
# anywhere from two periods before the start to two periods after the end, to the microsecond
moments = st.floats(min_value=-2.0, max_value=3.0, allow_nan=False)


@st.composite
def subscriptions(draw: st.DrawFn, whole_seconds: bool = True) -> Subscription:
    start = draw(starts)
    if whole_seconds:
        length = timedelta(seconds=draw(periods))
    else:
        length = timedelta(microseconds=draw(st.integers(min_value=10**6, max_value=400 * 24 * 3600 * 10**6)))
    interval = draw(st.sampled_from(["month", "year"]))
    return Subscription(draw(amounts), "EUR", interval, start, start + length, "visa-4242")


def at_fraction(sub: Subscription, fraction: float) -> datetime:
    return sub.current_period_start + (sub.current_period_end - sub.current_period_start) * fraction


@given(subscriptions(whole_seconds=False), moments)
def test_never_negative_and_never_more_than_was_paid(sub: Subscription, fraction: float) -> None:
    value = unused_value(sub, at_fraction(sub, fraction))
    assert 0 <= value.amount_minor <= sub.amount_minor
    assert value.currency == sub.currency


@given(subscriptions(whole_seconds=False), moments, moments)
def test_never_rises_as_time_passes(sub: Subscription, a: float, b: float) -> None:
    earlier, later = sorted([at_fraction(sub, a), at_fraction(sub, b)])
    assert unused_value(sub, earlier) >= unused_value(sub, later)


@given(subscriptions(), st.integers(min_value=-(10**8), max_value=10**8))
def test_refund_plus_what_was_consumed_is_what_was_paid(sub: Subscription, offset: int) -> None:
    # Given a moment, whole seconds from the period start
    period = int((sub.current_period_end - sub.current_period_start).total_seconds())
    elapsed = max(0, min(offset, period))
    # When the unused part is refunded and the consumed part is counted on its own (rounded up,
    # as the refund is rounded down: nobody is paid back more than the unused seconds are worth)
    refund = unused_value(sub, sub.current_period_start + timedelta(seconds=offset))
    consumed = -(-sub.amount_minor * elapsed // period)
    # Then together they are exactly what was paid, no cent lost or made
    assert refund.amount_minor + consumed == sub.amount_minor
    # and the refund is the exact prorated value rounded down: less than a cent below it
    exact = Fraction(sub.amount_minor * (period - elapsed), period)
    assert 0 <= exact - refund.amount_minor < 1
