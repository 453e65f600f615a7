"""Parsing the platform's events: strict types, no unknown fields, a specific error for anything else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from paid_invites import platform_events as pe
from paid_invites.errors import MalformedPlatformEvent

SUBSCRIPTION = {
    "account_id": "acc-piet",
    "amount_minor": 1499,
    "currency": "EUR",
    "interval": "month",
    "current_period_start": "2026-11-15T00:00:00Z",
    "current_period_end": "2026-12-15T00:00:00Z",
    "payment_method": "visa-4242",
    "status": "active",
    "external_id": "sub_1",
    "version": 4,
}


def test_a_well_formed_event_becomes_its_typed_value() -> None:
    # Given a SubscriptionChanged as the platform sends it
    # When it is parsed
    event = pe.parse("SubscriptionChanged", SUBSCRIPTION)
    # Then it is the typed value, times in UTC, and its detail round-trips
    assert isinstance(event, pe.SubscriptionChanged)
    assert event.current_period_start == datetime(2026, 11, 15, tzinfo=UTC)
    assert (event.version, event.external_id, event.detail_type) == (4, "sub_1", "SubscriptionChanged")
    assert pe.parse("SubscriptionChanged", pe.detail_of(event)) == event


def test_optional_fields_take_their_defaults() -> None:
    user = pe.parse("UserChanged", {"id": "u-1", "email": "a@b.example", "account_id": "acc-1", "version": 1})
    assert isinstance(user, pe.UserChanged)
    assert (user.role, user.user_type, user.language, user.name) == ("member", "basic", "en", "")


@pytest.mark.parametrize(
    "detail_type, detail, code",
    [
        ("Nonsense", {"id": "x", "version": 1}, "unknown_detail_type"),
        ("UserRemoved", ["u-1"], "not_an_object"),
        ("UserRemoved", {"id": "u-1"}, "invalid_detail"),  # no version
        ("UserRemoved", {"id": "u-1", "version": "2"}, "invalid_detail"),  # a number in a string
        ("UserRemoved", {"id": "u-1", "version": 0}, "invalid_detail"),  # versions start at 1
        ("UserRemoved", {"id": "u-1", "version": True}, "invalid_detail"),  # not a number
        ("UserRemoved", {"id": "u-1", "version": 2, "by": "x"}, "invalid_detail"),  # an unknown field
        (
            "InvoiceChanged",
            {"id": "i", "account_id": "a", "amount_minor": -1, "currency": "EUR", "status": "open", "version": 1},
            "invalid_detail",
        ),
        (
            "InvoiceChanged",
            {"id": "i", "account_id": "a", "amount_minor": 1, "currency": "eur", "status": "open", "version": 1},
            "invalid_detail",
        ),
        (
            "SubscriptionChanged",
            {**SUBSCRIPTION, "current_period_end": SUBSCRIPTION["current_period_start"]},
            "invalid_detail",
        ),
        ("SubscriptionChanged", {**SUBSCRIPTION, "current_period_start": "2026-11-15T00:00:00"}, "invalid_detail"),
    ],
)
def test_anything_else_is_a_malformed_platform_event(detail_type: str, detail: Any, code: str) -> None:
    # Given a detail that does not match its model; When it is parsed; Then it is refused, with why
    with pytest.raises(MalformedPlatformEvent) as refused:
        pe.parse(detail_type, detail)
    assert refused.value.code == code
    assert refused.value.status == 400
