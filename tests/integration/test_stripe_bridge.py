"""The Stripe bridge (``StripeBridge=true``): billing requests executed in Stripe, outcomes on the platform bus.

Stripe is localstripe, a real server in a child process (tests/support/stripe.py): the refunds, charges and
subscriptions asserted here are localstripe's. What localstripe cannot serve (customer balance transactions;
idempotency keys, which it ignores) is held against Stripe's published OpenAPI description instead
(tests/fixtures/stripe-openapi-subset.json): every call the bridge sends, with its parameters, exists there.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local import bridge as local_bridge
from local import stripe as local_stripe
from local.stack import Stack
from paid_invites import aws, billing_events, billing_ids, clock
from paid_invites.store import models as m
from paid_invites.store import repository as repo

from ..deploy.test_runtime_calls import Recording, allowed, recording
from ..support import Api, finished, invitation_token, invite_one
from ..support.event_schemas import assert_valid, published, send
from ..support.ledger import ledger_of_invitation
from ..support.stripe import FUNCTION_DIR, Subscriber, client, localstripe, recorder, refunds_of, subscriber

__all__ = ["localstripe", "recording"]  # fixtures: the session's localstripe, the AWS calls of each function

SUBSET = Path(__file__).resolve().parent.parent / "fixtures" / "stripe-openapi-subset.json"
ORG, INVITEE_ACCOUNT = "acme", "acc-jan"


@pytest.fixture
def parameters() -> dict[str, str]:
    return {"StripeBridge": "true"}


@pytest.fixture
def bridge(stack: Stack, localstripe: local_stripe.LocalStripe) -> Stack:
    """The stack with the bridge pointed at localstripe, as ``STRIPE_BRIDGE=true make run`` has it."""
    local_stripe.attach(localstripe.url)
    return stack


@pytest.fixture
def stripe_api(localstripe: local_stripe.LocalStripe) -> Any:
    return client(localstripe.url)


@pytest.fixture
def jan(stripe_api: Any) -> Subscriber:
    """A customer who pays 30.00 EUR a month for a plan of his own (paid by a card: one charge)."""
    return subscriber(stripe_api, amount_minor=3000, currency="eur")


class Outcomes:
    """What reaches the platform bus, through a rule of the test's own into a queue."""

    def __init__(self, bus: str) -> None:
        self.sqs, events = aws.client("sqs"), aws.client("events")
        name = f"test-platform-{uuid.uuid4().hex[:8]}"
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"detail-type": list(billing_events.OUTCOMES)}
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        """Every outcome so far (EventBridge events), oldest first."""
        while got := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in got:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return list(self.seen)


@pytest.fixture
def outcomes(bridge: Stack) -> Outcomes:
    return Outcomes(os.environ["PLATFORM_EVENT_BUS_NAME"])


def requested(kind: str, amount_minor: int, *, invitation_id: str | None = None, attempt: int = 1) -> str:
    """A ledger entry of an accepted invitation, requested from billing (as external billing books it)."""
    invitation_id = invitation_id or f"inv-{uuid.uuid4().hex[:12]}"
    m.bind()
    m.LedgerModel(
        invitation_id=invitation_id,
        kind=kind,
        org_account_id=ORG,
        account_id=ORG if kind == "credit_transferred" else INVITEE_ACCOUNT,
        user_id="u-jan",
        amount_minor=amount_minor,
        currency="EUR",
        payment_method="card",
        created_at=clock.now(),
        state="requested",
        attempt=attempt,
        requested_at=clock.now(),
    ).save()
    return invitation_id


def request_message(
    kind: str, invitation_id: str, amount_minor: int, who: Subscriber, attempt: int = 1
) -> dict[str, Any]:
    """The SQS record the rule delivers: the EventBridge event of the request, as its body."""
    detail_type = billing_ids.REQUEST_OF_KIND[kind]
    detail = {
        "event_id": f"{invitation_id}:{kind}",
        "request_id": billing_ids.request_id(invitation_id, kind, attempt),
        "invitation_id": invitation_id,
        "kind": kind,
        "account_id": ORG if kind == "credit_transferred" else INVITEE_ACCOUNT,
        "org_account_id": ORG,
        "amount_minor": amount_minor,
        "currency": "EUR",
        "payment_method": "card",
        "subscription_external_id": who.subscription_id,
        "billing_customer_id": who.customer_id,
        "attempt": attempt,
    }
    assert_valid(detail_type, detail)  # what the service publishes, by its published schema
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "paid-account-invites",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    return {"messageId": str(uuid.uuid4()), "receiptHandle": "local", "body": json.dumps(envelope)}


def deliver(stack: Stack, *records: dict[str, Any]) -> dict[str, Any]:
    return stack.invoke("StripeBridgeFunction", {"Records": list(records)})  # type: ignore[no-any-return]


def only(seen: list[dict[str, Any]], detail_type: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in seen if e["detail-type"] == detail_type]


# ---------------------------------------------------------------- refunds


def test_a_refund_request_refunds_the_prorated_amount_on_the_charge_that_paid_the_period(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given Jan's prorated refund of 12.34 EUR, requested from billing
    invitation_id = requested("refund_requested", 1234)
    # When the bridge receives the request
    answer = deliver(bridge, request_message("refund_requested", invitation_id, 1234, jan))
    # Then the charge that paid his current period carries one refund of exactly that amount, named by the request
    assert answer == {"batchItemFailures": []}
    (refund,) = refunds_of(stripe_api, jan.charge_id)
    assert (refund["amount"], refund["currency"], refund["status"]) == (1234, "eur", "succeeded")
    assert refund["metadata"]["request_id"] == f"{invitation_id}:refund_requested:1"
    # and RefundCompleted, with Stripe's refund id, is on the platform bus
    (completed,) = only(outcomes.read(), "RefundCompleted")
    assert_valid("RefundCompleted", completed)
    assert completed["request_id"] == f"{invitation_id}:refund_requested:1"
    assert (completed["external_id"], completed["amount_minor"], completed["currency"]) == (refund["id"], 1234, "EUR")


def test_a_request_delivered_twice_refunds_once_although_localstripe_ignores_idempotency_keys(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a refund request, delivered once (its outcome not applied yet: the ledger still says requested)
    invitation_id = requested("refund_requested", 900)
    message = request_message("refund_requested", invitation_id, 900, jan)
    deliver(bridge, message)
    # When SQS delivers the same message again
    answer = deliver(bridge, message)
    # Then there is still one refund, and both deliveries answered with it
    assert answer == {"batchItemFailures": []}
    (refund,) = refunds_of(stripe_api, jan.charge_id)
    assert refund["amount"] == 900
    answers = only(outcomes.read(), "RefundCompleted")
    assert [a["external_id"] for a in answers] == [refund["id"], refund["id"]]


def test_a_refund_larger_than_what_the_periods_payment_has_left_is_refused_by_our_check(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given 20.00 EUR of Jan's 30.00 EUR payment already refunded (another refund on the same charge)
    stripe_api.v1.refunds.create(params={"charge": jan.charge_id, "amount": 2000})
    # and a request to refund 15.00 EUR of it
    invitation_id = requested("refund_requested", 1500)
    # When the bridge receives it
    deliver(bridge, request_message("refund_requested", invitation_id, 1500, jan))
    # Then no refund is made (localstripe itself would have made it: it has no over-refund check)
    assert [r["amount"] for r in refunds_of(stripe_api, jan.charge_id)] == [2000]
    # and RefundFailed says why
    (failed,) = only(outcomes.read(), "RefundFailed")
    assert_valid("RefundFailed", failed)
    assert "exceeds" in failed["reason"] and "(1000 of 3000 EUR)" in failed["reason"], failed["reason"]


def test_a_refund_of_more_than_was_paid_for_the_period_is_refused(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a request to refund 50.00 EUR of a 30.00 EUR payment
    invitation_id = requested("refund_requested", 5000)
    # When the bridge receives it
    deliver(bridge, request_message("refund_requested", invitation_id, 5000, jan))
    # Then nothing is refunded and RefundFailed names the limit
    assert refunds_of(stripe_api, jan.charge_id) == []
    (failed,) = only(outcomes.read(), "RefundFailed")
    assert "refund of 5000 exceeds" in failed["reason"] and "(3000 of 3000 EUR)" in failed["reason"]


def test_a_request_that_does_not_match_its_ledger_entry_moves_no_money(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a ledger entry of 10.00 EUR and a request (forged or stale) for 25.00 EUR of it
    invitation_id = requested("refund_requested", 1000)
    # When the bridge receives the request
    deliver(bridge, request_message("refund_requested", invitation_id, 2500, jan))
    # Then Stripe is not asked, and the request fails with the difference
    assert refunds_of(stripe_api, jan.charge_id) == []
    (failed,) = only(outcomes.read(), "RefundFailed")
    assert "does not match its ledger entry" in failed["reason"] and "2500" in failed["reason"]


def test_a_request_without_a_ledger_entry_goes_back_to_the_queue_and_nothing_is_published(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a request no ledger entry of the service stands for
    message = request_message("refund_requested", "inv-unknown", 1000, jan)
    # When the bridge receives it
    answer = deliver(bridge, message)
    # Then it is reported failed (SQS moves it to the dead-letter queue after its receives), nothing moves
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}
    assert refunds_of(stripe_api, jan.charge_id) == []
    assert outcomes.read() == []


# ---------------------------------------------------------------- cancellation and credit


def test_a_cancellation_request_cancels_the_subscription_once(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given the request to cancel Jan's own subscription
    invitation_id = requested("subscription_cancelled", 0)
    message = request_message("subscription_cancelled", invitation_id, 0, jan)
    # When the bridge receives it, twice
    deliver(bridge, message)
    deliver(bridge, message)
    # Then the subscription is cancelled, no refund or invoice came with it, and each delivery said so
    assert stripe_api.v1.subscriptions.retrieve(jan.subscription_id).status == "canceled"
    assert refunds_of(stripe_api, jan.charge_id) == []
    assert len(stripe_api.v1.invoices.list(params={"subscription": jan.subscription_id}).data) == 1
    answers = only(outcomes.read(), "SubscriptionCancelled")
    assert [a["external_id"] for a in answers] == [jan.subscription_id] * 2
    assert_valid("SubscriptionCancelled", answers[0])


def test_a_credit_request_fails_on_localstripe_which_has_no_customer_balance_transactions(
    bridge: Stack, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a credit of 7.00 EUR to the organization's customer (localstripe has no such endpoint)
    invitation_id = requested("credit_transferred", 700)
    # When the bridge receives it
    deliver(bridge, request_message("credit_transferred", invitation_id, 700, jan))
    # Then CreditFailed carries Stripe's answer (with Stripe, the balance transaction: see the next tests)
    (failed,) = only(outcomes.read(), "CreditFailed")
    assert_valid("CreditFailed", failed)
    assert failed["reason"].startswith("Stripe answered 404"), failed["reason"]


def test_a_key_stripe_refuses_is_read_again_from_the_secret_on_the_next_delivery(
    bridge: Stack, stripe_api: Any, jan: Subscriber, outcomes: Outcomes
) -> None:
    # Given a container that read a key Stripe refuses (localstripe takes only sk_ keys)
    local_bridge.load_module(bridge.functions["StripeBridgeFunction"])
    import stripe_billing

    secrets = aws.client("secretsmanager")
    secret = os.environ["STRIPE_SECRET_ARN"]
    secrets.put_secret_value(SecretId=secret, SecretString="rk_test_not_accepted_here")
    stripe_billing.forget_key()
    invitation_id = requested("refund_requested", 500)
    message = request_message("refund_requested", invitation_id, 500, jan)
    # When a request comes: it is not executed, and comes back (nothing is answered)
    assert deliver(bridge, message) == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}
    assert outcomes.read() == []
    # When the key in the secret is rotated to one Stripe takes, and the request is delivered again
    secrets.put_secret_value(SecretId=secret, SecretString=local_stripe.API_KEY)
    assert deliver(bridge, message) == {"batchItemFailures": []}
    # Then the container read the secret again: the refund is made
    assert [r["amount"] for r in refunds_of(stripe_api, jan.charge_id)] == [500]
    assert len(only(outcomes.read(), "RefundCompleted")) == 1


# ---------------------------------------------------------------- the whole loop: accept, settle, Stripe, outcome

UNUSED = 7453  # cents of Jan's EUR 149.90 a year he has not used (the seed's subscription, half a year left)


def known_to_the_service(stack: Stack, jan: Subscriber, org: Subscriber) -> None:
    """The platform tells the service the Stripe ids: Jan's subscription is ``sub_...``, Acme's customer ``cus_...``."""
    seed = {
        a["id"]: a for a in json.loads((Path(__file__).resolve().parent.parent / "seed.json").read_text())["accounts"]
    }
    mine, acme = seed["acc-jan"], seed["acme"]
    subscription = {k: v for k, v in mine["subscription"].items()}
    answer = send(
        stack,
        (
            "SubscriptionChanged",
            {
                "account_id": "acc-jan",
                "currency": "EUR",
                "status": "active",
                **subscription,
                "external_id": jan.subscription_id,
                "version": 2,
            },
        ),
        (
            "AccountChanged",
            {k: acme[k] for k in ("id", "name", "type", "plan", "currency", "licenses")}
            | {"status": "active", "billing_customer_id": org.customer_id, "version": 2},
        ),
    )
    assert answer["applied"] == 2, answer


@pytest.fixture
def yearly_jan(stripe_api: Any) -> Subscriber:
    """Jan in Stripe as the seed has him: EUR 149.90 a year, paid by card."""
    return subscriber(stripe_api, amount_minor=14990, currency="eur", interval="year")


def test_after_an_accept_with_refund_the_refund_is_in_stripe_on_his_charge_and_his_subscription_is_cancelled(
    api: Api, bridge: Stack, stripe_api: Any, yearly_jan: Subscriber
) -> None:
    # Given the service knows Jan's Stripe subscription and Acme's Stripe customer
    known_to_the_service(bridge, yearly_jan, subscriber(stripe_api))
    # When Jan accepts Acme's invitation with a refund, and the queues run (settle, the bridge, the outcomes)
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), "refund", as_json=True).status == 200
    assert finished(bridge, invitation_id)["status"] == "SUCCEEDED"
    bridge.drain()
    # Then the prorated amount is refunded on the charge that paid his year, once, named by the request
    (refund,) = refunds_of(stripe_api, yearly_jan.charge_id)
    assert (refund["amount"], refund["currency"]) == (UNUSED, "eur")
    assert refund["metadata"]["request_id"] == f"{invitation_id}:refund_requested:1"
    # and his subscription is cancelled in Stripe
    assert stripe_api.v1.subscriptions.retrieve(yearly_jan.subscription_id).status == "canceled"
    # and the outcomes came back: the settlement is completed, each entry with Stripe's id
    inv = repo.get_invitation(invitation_id)
    assert inv is not None and (inv.settlement_state, inv.settlement_failure) == ("completed", None)
    by_kind = {e.kind: e for e in ledger_of_invitation(invitation_id)}
    assert by_kind["refund_requested"].state == "completed"
    assert by_kind["refund_requested"].external_id == refund["id"]
    assert by_kind["subscription_cancelled"].external_id == yearly_jan.subscription_id


def test_a_replayed_request_makes_no_second_refund(
    api: Api, bridge: Stack, stripe_api: Any, yearly_jan: Subscriber
) -> None:
    # Given Jan's accept with a refund, settled through Stripe
    known_to_the_service(bridge, yearly_jan, subscriber(stripe_api))
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), "refund", as_json=True).status == 200
    assert finished(bridge, invitation_id)["status"] == "SUCCEEDED"
    bridge.drain()
    # When the refund request the service published is delivered again (the same message, as SQS may)
    (request,) = [e for e in published(bridge) if e["detail-type"] == "ProrationRefundRequested"]
    assert request["detail"]["subscription_external_id"] == yearly_jan.subscription_id
    (trigger,) = [t for t in bridge.queue_triggers if t.function.logical_id == "StripeBridgeFunction"]
    aws.client("sqs").send_message(QueueUrl=trigger.url, MessageBody=json.dumps(request))
    bridge.drain()
    # Then there is still one refund on his charge
    assert [r["amount"] for r in refunds_of(stripe_api, yearly_jan.charge_id)] == [UNUSED]


# ---------------------------------------------------------------- the calls, against Stripe's published API


def subset() -> dict[str, Any]:
    return json.loads(SUBSET.read_text())


def operation(method: str, path: str) -> dict[str, Any] | None:
    for op in subset()["operations"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op["path"])) + "$"
        if op["method"] == method and re.match(pattern, path):
            return op  # type: ignore[no-any-return]
    return None


def billing_request(kind: str, amount_minor: int, who: Subscriber, attempt: int = 1) -> billing_events.BillingRequest:
    body = json.loads(request_message(kind, "inv-calls", amount_minor, who, attempt)["body"])
    return billing_events.parse_request(body["detail-type"], body["detail"])


@pytest.fixture
def calls(localstripe: local_stripe.LocalStripe, jan: Subscriber) -> Iterator[Any]:
    """The bridge's Stripe port on localstripe, through a client that keeps every request it sends."""
    import sys

    if str(FUNCTION_DIR) not in sys.path:
        sys.path.append(str(FUNCTION_DIR))
    import stripe
    import stripe_billing

    sent = recorder()
    port = stripe_billing.StripeBilling(client(localstripe.url, http_client=sent))
    port.refund(billing_request("refund_requested", 1000, jan))
    port.refund(billing_request("refund_requested", 1000, jan))  # again: found, not made again
    port.cancel_subscription(billing_request("subscription_cancelled", 0, jan))
    credit = billing_request("credit_transferred", 700, jan)
    port.credit(credit)  # localstripe answers its look-up with 404: the port stops there
    # the balance transaction it makes with Stripe, sent as the port sends it (localstripe answers 404)
    with pytest.raises(stripe.StripeError) as refused:
        port.v1.customers.balance_transactions.create(
            jan.customer_id,
            params=stripe_billing.credit_params(credit),
            options={"idempotency_key": stripe_billing.idempotency_key("credit", credit)},
        )
    assert refused.value.http_status == 404
    port.refund(billing_request("refund_requested", 1000, jan, attempt=2))
    yield sent.sent


def test_every_call_with_parameters_is_an_operation_of_stripes_published_api_with_those_parameters(
    calls: list[Any],
) -> None:
    # Given every request the bridge sent (a refund, the same refund again, a cancellation, a credit)
    with_parameters = [c for c in calls if c.params or c.method != "GET"]
    assert {(c.method, re.sub(r"/(sub|cus)_\w+", "/{id}", c.path)) for c in with_parameters} >= {
        ("POST", "/v1/refunds"),
        ("GET", "/v1/refunds"),
        ("GET", "/v1/invoices"),
        ("DELETE", "/v1/subscriptions/{id}"),
        ("POST", "/v1/customers/{id}/balance_transactions"),
        ("GET", "/v1/customers/{id}/balance_transactions"),
    }
    for call in with_parameters:
        # Then each is an operation of the published API, with only parameters it has and all it requires
        op = operation(call.method, call.path)
        assert op is not None, f"{call.method} {call.path} is not in {SUBSET.name}"
        known = set(op.get("query", [])) | set(op.get("body", []))
        assert call.names() <= known, f"{op['operationId']}: {sorted(call.names() - known)} unknown"
        assert set(op.get("required", [])) <= call.names(), op["operationId"]
    # and every GET without parameters only reads one object by its id
    for call in calls:
        if call.method == "GET" and not call.params:
            assert re.fullmatch(r"/v1/(subscriptions|charges|payment_intents)/\w+", call.path), call.path


def test_the_calls_say_what_the_bridge_means(calls: list[Any]) -> None:
    by = {(c.method, re.sub(r"/(sub|cus)_\w+", "/{id}", c.path)): c for c in calls}
    # the cancellation makes no proration and no final invoice
    cancel = by[("DELETE", "/v1/subscriptions/{id}")]
    assert (cancel.params["prorate"], cancel.params["invoice_now"]) == ("false", "false")
    # the credit is a negative balance transaction in the lower-case currency, named by the ledger entry
    credit = by[("POST", "/v1/customers/{id}/balance_transactions")]
    assert (credit.params["amount"], credit.params["currency"]) == ("-700", "eur")
    assert credit.params["metadata[ledger_entry]"] == "inv-calls:credit_transferred"
    assert (
        len(credit.params["description"])
        <= operation("POST", "/v1/customers/x/balance_transactions")["limits"]["description.maxLength"]
    )
    # the refund names the charge, the amount and the ledger entry
    refund = by[("POST", "/v1/refunds")]
    assert refund.params["amount"] == "1000" and refund.params["charge"].startswith("ch_")
    assert refund.params["metadata[request_id]"] == "inv-calls:refund_requested:1"


def test_every_change_carries_an_idempotency_key_of_its_request_and_attempt(calls: list[Any]) -> None:
    changes = [c for c in calls if c.method in ("POST", "DELETE")]
    keys = [c.headers.get("Idempotency-Key") for c in changes]
    # Every change has a key within Stripe's 255 characters, made of the request id (ledger entry + attempt)
    assert all(k and len(k) <= 255 for k in keys), keys
    refunds = [c.headers["Idempotency-Key"] for c in changes if c.path == "/v1/refunds"]
    # the first refund of attempt 1 was made once (the second delivery found it: no second POST),
    # attempt 2 of the same entry found it too (its ledger entry already has its refund)
    assert refunds == ["paid-invites:refund:inv-calls:refund_requested:1"]
    cancel = next(c for c in changes if c.method == "DELETE")
    assert cancel.headers["Idempotency-Key"] == "paid-invites:cancel:inv-calls:subscription_cancelled:1"
    credit = next(c for c in changes if "balance_transactions" in c.path)
    assert credit.headers["Idempotency-Key"] == "paid-invites:credit:inv-calls:credit_transferred:1"


# ---------------------------------------------------------------- what the function does on AWS, against its role


def test_every_call_the_bridge_makes_is_allowed_by_its_own_role_and_reads_only_its_settings(
    api: Api, bridge: Stack, stripe_api: Any, yearly_jan: Subscriber, recording: Recording, caplog: Any
) -> None:
    # Given a new container of the bridge (it reads the secret on first use)
    local_bridge.load_module(bridge.functions["StripeBridgeFunction"])  # (its folder on the path)
    import stripe_billing

    stripe_billing.forget_key()
    # When Jan accepts with a credit and the queues run, with every AWS call of each function recorded
    known_to_the_service(bridge, yearly_jan, subscriber(stripe_api))
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), "credit", as_json=True).status == 200
    assert finished(bridge, invitation_id)["status"] == "SUCCEEDED"
    bridge.drain()
    calls = recording.calls["StripeBridgeFunction"]
    # Then it read the one secret, its ledger entries and published on the platform bus
    assert {a for a, _ in calls} == {"secretsmanager:GetSecretValue", "dynamodb:Query", "events:PutEvents"}
    # and its own role allows each of those calls, and each setting it read is in its own environment
    assert [c for c in calls if not allowed(bridge.template, "StripeBridgeFunction", *c)] == []
    # (but STRIPE_API_BASE: only the local stack sets it, to localstripe; on AWS it is empty: Stripe itself)
    environment = set(bridge.functions["StripeBridgeFunction"].environment)
    read = {s.upper() for s in recording.settings["StripeBridgeFunction"]}
    assert {"STRIPE_SECRET_ARN", "PLATFORM_EVENT_BUS_NAME"} <= read
    assert read - environment == {"STRIPE_API_BASE"}
    # and the key it read is in no log line
    logged = " ".join(str(record.__dict__) for record in caplog.records)  # messages with their extra keys
    assert "billing request executed" in logged
    assert local_stripe.API_KEY not in logged
