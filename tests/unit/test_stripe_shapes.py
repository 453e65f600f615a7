"""The Stripe objects of the API version the stripe package pins, as the bridge reads them.

localstripe serves an older API (the period on the subscription, the charge on the invoice); Stripe's
published example objects (tests/fixtures/stripe-published-objects.json) have the newer shape: the period on
the subscription's items, the payment in the invoice's payments. The bridge reads both.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ..support.stripe import FUNCTION_DIR

PUBLISHED = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "stripe-published-objects.json").read_text()
)


@pytest.fixture(scope="module")
def billing() -> Any:
    if importlib.util.find_spec("stripe") is None:
        pytest.skip("stripe is not installed (pip install -r requirements-dev.txt)")
    if str(FUNCTION_DIR) not in sys.path:
        sys.path.append(str(FUNCTION_DIR))
    import stripe_billing

    return stripe_billing


def published(name: str) -> dict[str, Any]:
    return copy.deepcopy(PUBLISHED[name])


def test_the_current_period_of_a_subscription_of_the_pinned_version_is_on_its_items(billing: Any) -> None:
    # Given Stripe's published subscription: no period of its own
    subscription = published("subscription")
    assert "current_period_start" not in subscription["_keys"]
    # Then the bridge takes the period's start from its items
    (item,) = subscription["items"]["data"]
    assert billing.period_start(subscription) == item["current_period_start"]


def test_an_older_subscription_has_the_period_on_itself(billing: Any) -> None:
    assert (
        billing.period_start({"id": "sub_1", "current_period_start": 1796660148, "items": {"data": []}}) == 1796660148
    )


def test_an_invoice_of_the_pinned_version_sends_the_bridge_to_its_invoice_payments(billing: Any) -> None:
    # Given Stripe's published invoice: it names neither a charge nor a payment intent
    invoice = published("invoice")
    assert not {"charge", "payment_intent"} & set(invoice["_keys"])
    # Then the bridge does not take its payment from it (it lists the invoice's payments)
    assert billing.payment_on_invoice(invoice) is None


def test_an_older_invoice_names_its_payment(billing: Any) -> None:
    # localstripe's shape: the charge expanded, the payment intent by id
    invoice = {"id": "in_1", "charge": {"id": "ch_1", "object": "charge"}, "payment_intent": "pi_1"}
    assert billing.payment_on_invoice(invoice) == ("ch_1", "pi_1")
    assert billing.payment_on_invoice({"id": "in_2", "charge": None, "payment_intent": None}) == (None, None)


def test_an_invoice_payment_names_its_payment_intent(billing: Any) -> None:
    # Given Stripe's published invoice payment, paid by a payment intent (by id, or expanded)
    payment = published("invoice_payment")
    assert payment["payment"]["type"] == "payment_intent"
    payment["payment"]["payment_intent"] = "pi_1"
    assert billing.payment_of(payment) == (None, "pi_1")
    payment["payment"]["payment_intent"] = {"id": "pi_2", "object": "payment_intent"}
    assert billing.payment_of(payment) == (None, "pi_2")
