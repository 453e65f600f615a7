"""Stripe for the tests: one localstripe child process per test session, and what the tests build in it.

``localstripe`` (a fixture) starts localstripe on a free loopback port once per session (local/stripe.py, as
``make run`` does) and stops it at the end; it is skipped only when the package is not installed (it is in
requirements-dev.txt, so CI has it). ``Recorder`` is an HTTP client for the stripe package that forwards
every request to localstripe and keeps what was sent (method, path, parameters, headers).
"""

from __future__ import annotations

import importlib.util
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from local import stripe as local_stripe

FUNCTION_DIR = local_stripe.ROOT / "functions" / "stripe_bridge"


@pytest.fixture(scope="session")
def localstripe() -> Iterator[local_stripe.LocalStripe]:
    if importlib.util.find_spec("localstripe") is None or importlib.util.find_spec("stripe") is None:
        pytest.skip("localstripe or stripe is not installed (pip install -r requirements-dev.txt)")
    running = local_stripe.start()
    try:
        yield running
    finally:
        running.stop()


def client(url: str, http_client: Any = None) -> Any:
    """A stripe client on localstripe with the local stack's key (what the tests arrange Stripe with)."""
    import stripe

    return stripe.StripeClient(local_stripe.API_KEY, base_addresses={"api": url}, http_client=http_client)


@dataclass(frozen=True)
class Sent:
    method: str
    path: str  # without the query
    params: dict[str, str]  # query (GET, DELETE) or form body (POST), flattened keys as sent: metadata[x]
    headers: dict[str, str]

    def names(self) -> set[str]:
        """The top-level parameter names (``metadata[request_id]`` is ``metadata``)."""
        return {key.split("[", 1)[0] for key in self.params}


def recorder() -> Any:
    """An HTTP client for the stripe package that keeps every request it forwards (``.sent``)."""
    import stripe

    class Recorder(stripe.UrllibClient):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.sent: list[Sent] = []

        def request(
            self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
        ) -> Any:
            parts = urllib.parse.urlsplit(url)
            body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
            params = dict(urllib.parse.parse_qsl(parts.query or body, keep_blank_values=True))
            self.sent.append(Sent(method.upper(), parts.path, params, dict(headers or {})))
            return super().request(method, url, headers or {}, post_data, **kwargs)

    return Recorder()


@dataclass
class Subscriber:
    """A customer paying for a plan with ``pm_card_visa`` in localstripe: its subscription's first invoice is
    paid by a charge."""

    customer_id: str
    subscription_id: str
    charge_id: str
    amount_minor: int
    currency: str


def subscriber(
    stripe_client: Any, amount_minor: int = 3000, currency: str = "eur", interval: str = "month"
) -> Subscriber:
    product = stripe_client.v1.products.create(params={"name": "Pro"})
    plan = stripe_client.v1.plans.create(
        params={"amount": amount_minor, "currency": currency, "interval": interval, "product": product.id}
    )
    customer = stripe_client.v1.customers.create(
        params={
            "email": "subscriber@paid-invites.local",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    subscription = stripe_client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"plan": plan.id}]})
    (invoice,) = stripe_client.v1.invoices.list(params={"subscription": subscription.id}).data
    charge = invoice.to_dict()["charge"]
    charge_id = charge if isinstance(charge, str) else charge["id"]
    return Subscriber(customer.id, subscription.id, charge_id, amount_minor, currency)


def refunds_of(stripe_client: Any, charge_id: str) -> list[dict[str, Any]]:
    """The refunds on a charge, as localstripe has them."""
    return [r.to_dict() for r in stripe_client.v1.refunds.list(params={"charge": charge_id, "limit": 100}).data]
