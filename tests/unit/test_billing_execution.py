"""Executing a billing request (usecases/billing_execution.py): the checks against the ledger entry before any
money moves, and the outcome published for what the billing port did. The port here is a recording stand-in
for the billing system; the Stripe port itself is tested against localstripe (tests/integration)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from paid_invites.billing_events import BillingRequest
from paid_invites.billing_ids import request_id
from paid_invites.errors import TransientError
from paid_invites.ledger import COMPLETED, FAILED, REQUESTED, LedgerEntry
from paid_invites.usecases.billing_execution import Outcome, RequestRefused, execute

from ..support.event_schemas import assert_valid

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INV = "inv-1"


def entry(kind: str = "refund_requested", amount: int = 1234, state: str = REQUESTED, attempt: int = 1) -> LedgerEntry:
    return LedgerEntry(
        invitation_id=INV,
        kind=kind,
        account_id="acme" if kind == "credit_transferred" else "acc-jan",
        user_id="u-jan",
        amount_minor=amount,
        currency="EUR",
        created_at=NOW,
        state=state,
        attempt=attempt,
        org_account_id="acme",
    )


def detail(kind: str = "refund_requested", amount: int = 1234, attempt: int = 1, **more: Any) -> dict[str, Any]:
    return {
        "event_id": f"{INV}:{kind}",
        "request_id": request_id(INV, kind, attempt),
        "invitation_id": INV,
        "kind": kind,
        "account_id": "acme" if kind == "credit_transferred" else "acc-jan",
        "org_account_id": "acme",
        "amount_minor": amount,
        "currency": "EUR",
        "subscription_external_id": "sub_1",
        "billing_customer_id": "cus_1",
        "attempt": attempt,
        **more,
    }


TYPES = {
    "refund_requested": "ProrationRefundRequested",
    "credit_transferred": "CreditTransferRequested",
    "subscription_cancelled": "SubscriptionCancellationRequested",
}


@dataclass
class Billing:
    """A billing system that answers what it is told to and remembers what it was asked."""

    answer: Outcome = field(default_factory=lambda: Outcome(moved=True, external_id="x_1"))
    asked: list[tuple[str, BillingRequest]] = field(default_factory=list)

    def cancel_subscription(self, request: BillingRequest) -> Outcome:
        self.asked.append(("cancel", request))
        return self.answer

    def refund(self, request: BillingRequest) -> Outcome:
        self.asked.append(("refund", request))
        return self.answer

    def credit(self, request: BillingRequest) -> Outcome:
        self.asked.append(("credit", request))
        return self.answer


@dataclass
class Run:
    billing: Billing
    published: list[tuple[str, dict[str, Any], str]]
    result: Any


def run(ledger: LedgerEntry | None, sent: dict[str, Any], billing: Billing | None = None) -> Run:
    billing = billing or Billing()
    published: list[tuple[str, dict[str, Any], str]] = []
    result = execute(
        TYPES[sent["kind"]],
        sent,
        billing=billing,
        entry_of=lambda invitation_id, kind: ledger if ledger and (invitation_id, kind) == (INV, ledger.kind) else None,
        bus="platform",
        publish=lambda entries, bus: published.extend((t, d, bus) for t, d in entries),
    )
    return Run(billing, published, result)


@pytest.mark.parametrize(
    ("kind", "call", "success"),
    [
        ("refund_requested", "refund", "RefundCompleted"),
        ("credit_transferred", "credit", "CreditApplied"),
        ("subscription_cancelled", "cancel", "SubscriptionCancelled"),
    ],
)
def test_a_request_of_its_ledger_entry_is_executed_and_its_success_published(
    kind: str, call: str, success: str
) -> None:
    # Given a request that matches its requested ledger entry
    done = run(entry(kind), detail(kind))
    # Then the billing system is asked once, for that kind
    assert [c for c, _ in done.billing.asked] == [call]
    # and the success is published on the platform bus, valid by its schema, naming the request
    ((detail_type, published, bus),) = done.published
    assert (detail_type, bus) == (success, "platform")
    assert_valid(detail_type, published)
    assert published["request_id"] == f"{INV}:{kind}:1" and published["external_id"] == "x_1"


def test_what_did_not_move_is_published_as_the_failure_with_the_reason() -> None:
    done = run(entry(), detail(), Billing(answer=Outcome.failed("card expired")))
    ((detail_type, published, _),) = done.published
    assert detail_type == "RefundFailed" and published["reason"] == "card expired"
    assert_valid("RefundFailed", published)


@pytest.mark.parametrize(
    ("sent", "differs"),
    [
        (detail(amount=9999), "amount_minor 9999 != 1234"),
        (detail(currency="USD"), "currency 'USD' != 'EUR'"),
        (detail(account_id="acc-other"), "account_id 'acc-other' != 'acc-jan'"),
        (detail(org_account_id="globex"), "org_account_id 'globex' != 'acme'"),
    ],
)
def test_a_request_that_differs_from_its_ledger_entry_fails_without_asking_billing(
    sent: dict[str, Any], differs: str
) -> None:
    done = run(entry(), sent)
    assert done.billing.asked == []
    ((detail_type, published, _),) = done.published
    assert detail_type == "RefundFailed" and differs in published["reason"]


@pytest.mark.parametrize("state", [COMPLETED, FAILED])
def test_an_answered_entry_is_left_alone(state: str) -> None:
    done = run(entry(state=state), detail())
    assert done.billing.asked == [] and done.published == []
    assert done.result.skipped == f"already answered ({state})"


def test_a_request_of_an_earlier_attempt_is_left_alone() -> None:
    done = run(entry(attempt=2), detail(attempt=1))
    assert done.billing.asked == [] and done.published == []


def test_an_attempt_the_ledger_does_not_know_yet_is_retried_later() -> None:
    with pytest.raises(TransientError):
        run(entry(attempt=1), detail(attempt=2))


def test_a_request_without_a_ledger_entry_is_refused() -> None:
    with pytest.raises(RequestRefused, match="no ledger entry"):
        run(None, detail())


@pytest.mark.parametrize(
    "sent",
    [
        {"request_id": "x"},  # most fields missing
        detail(amount=-1),  # a negative amount
        detail(kind="refund_requested", unexpected="field"),
    ],
)
def test_a_malformed_request_is_refused_before_the_ledger_is_read(sent: dict[str, Any]) -> None:
    billing = Billing()
    with pytest.raises(RequestRefused):
        execute(
            "ProrationRefundRequested",
            sent,
            billing=billing,
            entry_of=lambda *_: pytest.fail("the ledger was read"),
            bus="platform",
            publish=lambda *_: pytest.fail("something was published"),
        )
    assert billing.asked == []


def test_an_unknown_detail_type_is_refused() -> None:
    with pytest.raises(RequestRefused):
        execute("SomethingElse", detail(), billing=Billing(), entry_of=lambda *_: entry(), bus="b", publish=print)


def test_a_transient_problem_of_the_billing_system_publishes_nothing() -> None:
    class Down(Billing):
        def refund(self, request: BillingRequest) -> Outcome:
            raise TransientError("Stripe: APIConnectionError")

    published: list[Any] = []
    with pytest.raises(TransientError):
        execute(
            "ProrationRefundRequested",
            detail(),
            billing=Down(),
            entry_of=lambda *_: entry(),
            bus="platform",
            publish=lambda entries, bus: published.extend(entries),
        )
    assert published == []
