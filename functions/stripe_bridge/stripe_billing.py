"""The billing port in Stripe: cancel a subscription, refund the period's payment, credit a customer's balance.

Every call that changes something carries an ``Idempotency-Key`` made from the request's ``request_id``
(ledger entry + attempt) and the objects it creates carry the ledger entry in their ``metadata``. Stripe
replays the first answer to a key for 24 hours; on top of that, and whatever the billing system does with keys,
each operation first looks for what an earlier delivery of the same ledger entry already did (a refund on the
charge, a customer balance transaction, a cancelled subscription) and answers with it: money moves once.

Our own rule before a refund: never more than the period's payment has left (its amount minus what was
already refunded), checked before calling. Stripe refuses an over-refund too; the check makes the reason ours.

A problem worth retrying (no connection, Stripe's 5xx, 429, 409 on a key in use, a key Stripe does not
accept, which the next attempt reads again from the secret) raises ``TransientError``; any other refusal is an
``Outcome`` that did not move, with Stripe's message as the reason.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import stripe
from stripe.params import CustomerBalanceTransactionCreateParams

from paid_invites import aws
from paid_invites.billing_events import BillingRequest
from paid_invites.config import get_settings
from paid_invites.errors import TransientError
from paid_invites.usecases.billing_execution import Outcome

MAX_KEY = 255  # Stripe's limit on an Idempotency-Key
PAGE = 100  # Stripe's largest list page
_lock = threading.Lock()
_api_key: str | None = None
_port: StripeBilling | None = None


# ---------------------------------------------------------------- the secret and the client


def api_key() -> str:
    """The Stripe secret key, read from the one secret on first use and kept for the container's life."""
    global _api_key
    with _lock:
        if _api_key is None:
            arn = get_settings().stripe_secret_arn
            if not arn:
                raise TransientError("STRIPE_SECRET_ARN is not set")
            try:
                value = aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
            except Exception as error:  # noqa: BLE001 - botocore's error classes are made at run time; retried
                raise TransientError(f"the Stripe secret is not readable: {aws.error_code(error)}") from None
            _api_key = _key_in(value)
        return _api_key


def _key_in(value: str) -> str:
    """The secret holds the key itself, or JSON with it under ``api_key``."""
    text = value.strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("api_key", "")).strip()
        except (ValueError, AttributeError):
            raise TransientError("the Stripe secret is neither a key nor JSON with api_key") from None
    if not text.startswith(("sk_", "rk_")):
        raise TransientError("the Stripe secret holds no secret key (sk_... or rk_...)")
    return text


def forget_key() -> None:
    """Read the secret again on next use (Stripe refused the key: it may have been rotated)."""
    global _api_key, _port
    with _lock:
        _api_key = None
        _port = None


def port() -> StripeBilling:
    """The container's port, made with the key on first use and again after the key was forgotten."""
    global _port
    found = _port
    if found is None:
        found = StripeBilling(client())
        with _lock:
            _port = found
    return found


def client(http_client: stripe.HTTPClient | None = None) -> stripe.StripeClient:
    """A client for the key of the secret; the local stack points it at localstripe (``STRIPE_API_BASE``)."""
    base = get_settings().stripe_api_base
    return stripe.StripeClient(
        api_key(),
        base_addresses={"api": base} if base else None,
        max_network_retries=2,  # safe: every changing call has its idempotency key
        http_client=http_client,
    )


def idempotency_key(operation: str, request: BillingRequest) -> str:
    """``<operation>:<request_id>``: one key per attempt at one ledger entry (hashed past Stripe's limit)."""
    key = f"paid-invites:{operation}:{request.request_id}"
    if len(key) > MAX_KEY:
        key = f"paid-invites:{operation}:sha256:{hashlib.sha256(request.request_id.encode()).hexdigest()}"
    return key


def ledger_entry(request: BillingRequest) -> str:
    """What the metadata names: the ledger entry, the same for every attempt at it."""
    return f"{request.invitation_id}:{request.kind}"


def metadata(request: BillingRequest) -> dict[str, str]:
    return {
        "ledger_entry": ledger_entry(request),
        "request_id": request.request_id,
        "invitation_id": request.invitation_id,
    }


def _id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return str(value["id"])


# ---------------------------------------------------------------- the port


class StripeBilling:
    """:class:`~paid_invites.usecases.billing_execution.BillingPort` in Stripe."""

    def __init__(self, stripe_client: stripe.StripeClient) -> None:
        self.v1 = stripe_client.v1

    # -- cancel

    def cancel_subscription(self, request: BillingRequest) -> Outcome:
        sub_id = request.subscription_external_id
        if not sub_id:
            return Outcome.failed("the request names no subscription (subscription_external_id)")
        answers = _Answers()
        with answers:
            subscription = _plain(self.v1.subscriptions.retrieve(sub_id))
            if subscription.get("status") == "canceled":
                return Outcome(moved=True, external_id=sub_id)
            # no proration invoice and no final invoice: the unused time is the service's refund or credit
            self.v1.subscriptions.cancel(
                sub_id,
                params={"prorate": False, "invoice_now": False},
                options={"idempotency_key": idempotency_key("cancel", request)},
            )
            return Outcome(moved=True, external_id=sub_id)
        return Outcome.failed(answers.refusal or "Stripe refused the request")

    # -- refund

    def refund(self, request: BillingRequest) -> Outcome:
        sub_id = request.subscription_external_id
        if not sub_id:
            return Outcome.failed("the request names no subscription (subscription_external_id)")
        answers = _Answers()
        with answers:
            charge = self._period_charge(sub_id)
            if charge is None:
                return Outcome.failed(f"no paid invoice with a payment for the current period of {sub_id}")
            done = self._refund_of(request, charge["id"])
            if done is not None:
                return Outcome(moved=True, external_id=done["id"], amount_minor=int(done["amount"]))
            if str(charge.get("currency", "")).upper() != request.currency:
                return Outcome.failed(
                    f"the period's payment {charge['id']} is in {str(charge.get('currency')).upper()}, "
                    f"the refund in {request.currency}"
                )
            left = int(charge["amount"]) - int(charge.get("amount_refunded") or 0)
            if request.amount_minor > left:
                return Outcome.failed(
                    f"refund of {request.amount_minor} exceeds what the period's payment {charge['id']} has left "
                    f"to refund ({left} of {int(charge['amount'])} {request.currency})"
                )
            if request.amount_minor == 0:
                return Outcome(moved=True, amount_minor=0)
            refund = _plain(
                self.v1.refunds.create(
                    params={"charge": charge["id"], "amount": request.amount_minor, "metadata": metadata(request)},
                    options={"idempotency_key": idempotency_key("refund", request)},
                )
            )
            if refund.get("status") in ("failed", "canceled"):
                return Outcome.failed(f"Stripe's refund {refund['id']} is {refund['status']}")
            return Outcome(moved=True, external_id=refund["id"], amount_minor=int(refund["amount"]))
        return Outcome.failed(answers.refusal or "Stripe refused the request")

    def _period_charge(self, sub_id: str) -> Any:
        """The charge that paid the subscription's current period: its paid invoice whose subscription line
        covers the period's start (newest first), and that invoice's payment."""
        subscription = _plain(self.v1.subscriptions.retrieve(sub_id))
        start = period_start(subscription)
        # every invoice of the subscription, filtered here: a status filter is not served by every Stripe
        # stand-in (localstripe answers 500 to status=open)
        invoices = self.v1.invoices.list(params={"subscription": sub_id, "limit": PAGE}).auto_paging_iter()
        paid = [
            inv
            for inv in map(_plain, invoices)
            if inv.get("status") == "paid" and int(inv.get("amount_paid") or 0) > 0 and covers(inv, start)
        ]
        for invoice in sorted(paid, key=lambda inv: int(inv.get("created") or 0), reverse=True):
            charge_id = self._charge_of(invoice)
            if charge_id:
                return _plain(self.v1.charges.retrieve(charge_id))
        return None

    def _charge_of(self, invoice: Any) -> str | None:
        """The charge of an invoice's payment: ``charge``/``payment_intent`` on the invoice (API versions
        before 2025-03-31) or its invoice payments (the version the stripe package pins)."""
        refs = payment_on_invoice(invoice)
        if refs is None:
            payments = self.v1.invoice_payments.list(params={"invoice": invoice["id"], "limit": PAGE})
            paid = (payment_of(p) for p in map(_plain, payments.auto_paging_iter()) if p.get("status") == "paid")
            refs = next((r for r in paid if r != (None, None)), (None, None))
        charge, intent = refs
        if charge:
            return charge
        return self._latest_charge(intent) if intent else None

    def _latest_charge(self, intent_id: str) -> str | None:
        return _id(_plain(self.v1.payment_intents.retrieve(intent_id)).get("latest_charge"))

    def _refund_of(self, request: BillingRequest, charge_id: str) -> Any:
        """A refund an earlier delivery made for this ledger entry, on this charge (None: none yet)."""
        refunds = self.v1.refunds.list(params={"charge": charge_id, "limit": PAGE}).auto_paging_iter()
        return _made_for(request, refunds, lambda r: r.get("status") not in ("failed", "canceled"))

    # -- credit

    def credit(self, request: BillingRequest) -> Outcome:
        customer = request.billing_customer_id
        if not customer:
            return Outcome.failed("the request names no billing customer (billing_customer_id)")
        answers = _Answers()
        with answers:
            existing = self.v1.customers.balance_transactions.list(customer, params={"limit": PAGE})
            done = _made_for(request, existing.auto_paging_iter(), lambda _t: True)
            if done is not None:
                return Outcome(moved=True, external_id=done["id"], amount_minor=-int(done["amount"]))
            if request.amount_minor == 0:
                return Outcome(moved=True, amount_minor=0)
            made = _plain(
                self.v1.customers.balance_transactions.create(
                    customer,
                    params=credit_params(request),
                    options={"idempotency_key": idempotency_key("credit", request)},
                )
            )
            return Outcome(moved=True, external_id=made["id"], amount_minor=-int(made["amount"]))
        return Outcome.failed(answers.refusal or "Stripe refused the request")


def credit_params(request: BillingRequest) -> CustomerBalanceTransactionCreateParams:
    """The customer balance transaction of a credit: a negative amount is a credit, which Stripe applies to
    the customer's next invoices."""
    return {
        "amount": -request.amount_minor,
        "currency": request.currency.lower(),
        "description": f"Unused subscription time, invitation {request.invitation_id}"[:350],
        "metadata": metadata(request),
    }


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts and lists (what the code below reads, whatever the API version)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def payment_on_invoice(invoice: dict[str, Any]) -> tuple[str | None, str | None] | None:
    """(charge, payment intent) of an invoice that names its payment itself (API versions before 2025-03-31);
    None when it does not (later versions: its invoice payments do)."""
    if "charge" not in invoice and "payment_intent" not in invoice:
        return None
    return _id(invoice.get("charge")), _id(invoice.get("payment_intent"))


def payment_of(invoice_payment: dict[str, Any]) -> tuple[str | None, str | None]:
    """(charge, payment intent) of an invoice payment (``payment.type`` says which it names)."""
    payment = invoice_payment.get("payment") or {}
    return _id(payment.get("charge")), _id(payment.get("payment_intent"))


def _made_for(request: BillingRequest, found: Iterator[Any], counts: Any) -> Any:
    entry = ledger_entry(request)
    for item in map(_plain, found):
        if (item.get("metadata") or {}).get("ledger_entry") == entry and counts(item):
            return item
    return None


def period_start(subscription: Any) -> int:
    """The current period's start: on the subscription (older API versions) or on its items (newer)."""
    if subscription.get("current_period_start") is not None:
        return int(subscription["current_period_start"])
    items = (subscription.get("items") or {}).get("data") or []
    starts = [int(i["current_period_start"]) for i in items if i.get("current_period_start") is not None]
    if not starts:
        raise TransientError(f"subscription {subscription.get('id')} has no current period")
    return min(starts)


def covers(invoice: Any, start: int) -> bool:
    lines = (invoice.get("lines") or {}).get("data") or []
    for line in lines:
        period = line.get("period") or {}
        if period.get("start") is not None and int(period["start"]) <= start < int(period.get("end") or 0):
            return True
    return False


# ---------------------------------------------------------------- Stripe's errors


class _Answers:
    """Stripe's errors: retryable ones raise ``TransientError``; any other is kept as the refusal."""

    def __init__(self) -> None:
        self.refusal: str | None = None

    def __enter__(self) -> _Answers:
        return self

    def __exit__(self, kind: Any, error: BaseException | None, _tb: Any) -> bool:
        if not isinstance(error, stripe.StripeError):
            return False
        status = error.http_status
        reason = (error.user_message or str(error) or type(error).__name__).strip()
        if status in (401, 403):
            forget_key()
            raise TransientError(f"Stripe refused the key ({status})") from None
        if status is None or status >= 500 or status in (409, 429):
            raise TransientError(f"Stripe: {type(error).__name__} ({status}): {reason}") from None
        self.refusal = f"Stripe answered {status}: {reason}"
        return True
