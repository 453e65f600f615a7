"""The settlement loop: billing requests out, billing outcomes in, the admin sees where the money stands.

Jan pays EUR 149.90 a year for his own plan with half a year left (7453 cents unused) and accepts Acme's
invitation. With builtin billing the ledger is the system of record; with external billing a billing system
moves the money and answers each request on the platform bus.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest

from local import jobs, platform_bus
from local.stack import Stack
from paid_invites import aws
from paid_invites.store import models, settlements, transactions
from paid_invites.store import repository as repo
from paid_invites.usecases import settlement_outcomes, settlement_retry
from tests.support.event_schemas import assert_valid
from tests.support.event_schemas import published as events_published
from tests.support.faults import client_fault
from tests.support.ledger import ledger_of_invitation

from ..support import Api, current, finished, invitation_token, invite_one

EXTERNAL = {"Billing": "external"}
UNUSED = 7453  # cents of Jan's plan he has not used


def accepted(api: Api, stack: Stack, settlement: str) -> str:
    """Jan accepts Acme's invitation with ``settlement`` and the workflow has settled it."""
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), settlement, as_json=True).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    return invitation_id


def published(stack: Stack) -> list[tuple[str, dict[str, Any]]]:
    """What reached the settlement bus since the last look, each checked against its published schema."""
    return [(e["detail-type"], e["detail"]) for e in events_published(stack)]


def requests(stack: Stack) -> dict[str, dict[str, Any]]:
    """The billing requests published since the last look, by request id."""
    return {d["request_id"]: d for t, d in published(stack) if "request_id" in d}


def answer(stack: Stack, detail_type: str, invitation_id: str, kind: str, attempt: int = 1, **more: Any) -> str:
    """A billing system's outcome, put on the platform bus; its rule and queue hand it to the outcomes
    function (the stack drains them). What the function did with it."""
    detail = {"request_id": f"{invitation_id}:{kind}:{attempt}", "invitation_id": invitation_id, "kind": kind, **more}
    assert_valid(detail_type, detail)
    return deliver(stack, detail_type, detail)


def deliver(stack: Stack, detail_type: str, detail: Any) -> str:
    (trigger,) = [t for t in stack.queue_triggers if t.function.logical_id == "SettlementOutcomesFunction"]
    before = Counter(trigger.outcomes)
    put = aws.client("events").put_events(
        Entries=[
            {
                "Source": "billing.example",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": platform_bus.bus_name(stack),
            }
        ]
    )
    assert put["FailedEntryCount"] == 0
    stack.drain()
    (done,) = set((trigger.outcomes - before).elements())  # what it did (a malformed one: at every receive)
    return done


def retry(stack: Stack, invitation_id: str) -> dict[str, Any]:
    """The operator's retry: a direct invocation of the outcomes function (docs/operations.md)."""
    result: dict[str, Any] = stack.invoke(
        "SettlementOutcomesFunction", {"operator": "retry_settlement", "invitation_id": invitation_id}
    )
    return result


def credit(api: Api) -> int:
    return int(api.summary("u-olga", "acme").json["credit"]["amount_minor"])


def settlement_of(api: Api, invitation_id: str) -> tuple[str | None, str | None]:
    inv = repo.get_invitation(invitation_id)
    assert inv is not None
    return inv.settlement_state, inv.settlement_failure


def entries(invitation_id: str) -> dict[str, tuple[str, int]]:
    return {e.kind: (e.state, int(e.attempt)) for e in ledger_of_invitation(invitation_id)}


# ---------------------------------------------------------------- builtin billing


def test_builtin_billing_confirms_the_settlement_at_once(api: Api, stack: Stack) -> None:
    # Given builtin billing (the default)
    # When Jan accepts with a credit transfer
    invitation_id = accepted(api, stack, "credit")
    # Then the settlement is completed at once and the organization's credit rose with it
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert credit(api) == UNUSED
    assert entries(invitation_id) == {
        "credit_transferred": ("completed", 1),
        "subscription_cancelled": ("completed", 1),
    }
    # and no billing system is asked for anything but what it must pay out (nothing, for a credit)
    assert [t for t, _ in published(stack)] == ["InvitationAccepted"]


def test_builtin_billing_books_a_refund_completed_and_asks_only_for_the_payout(api: Api, stack: Stack) -> None:
    # Given builtin billing
    # When Jan accepts with a refund
    invitation_id = accepted(api, stack, "refund")
    # Then the settlement is completed, the organization's credit unchanged
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert credit(api) == 0
    # and the refund went out as a request in attempt 1 (for whatever pays it back), answered by nobody
    sent = requests(stack)
    assert list(sent) == [f"{invitation_id}:refund_requested:1"]
    assert sent[f"{invitation_id}:refund_requested:1"]["amount_minor"] == UNUSED
    assert "SettlementOutcomesFunction" not in stack.functions


# ---------------------------------------------------------------- external billing


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_external_billing_requests_the_money_and_raises_the_credit_only_when_applied(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given external billing
    # When Jan accepts with a credit transfer
    invitation_id = accepted(api, stack, "credit")
    # Then the invitation shows the settlement requested, and the organization's credit is unchanged
    assert settlement_of(api, invitation_id) == ("requested", None)
    assert credit(api) == 0
    assert api.invitation("u-olga", "acme", invitation_id).json["settlement_state"] == "requested"
    # and the account's ledger shows both entries requested
    ledger = {e["kind"]: (e["state"], e["attempt"]) for e in api.summary("u-olga", "acme").json["ledger"]}
    assert ledger == {"credit_transferred": ("requested", 1), "subscription_cancelled": ("requested", 1)}
    # and one request per ledger entry went out, each named by its idempotency key
    sent = requests(stack)
    assert sorted(sent) == [f"{invitation_id}:credit_transferred:1", f"{invitation_id}:subscription_cancelled:1"]
    transfer = sent[f"{invitation_id}:credit_transferred:1"]
    assert (transfer["account_id"], transfer["org_account_id"], transfer["amount_minor"]) == ("acme", "acme", UNUSED)
    assert transfer["attempt"] == 1 and transfer["event_id"] == f"{invitation_id}:credit"
    # When the billing system applies the credit, and the outcome is delivered twice
    assert answer(stack, "CreditApplied", invitation_id, "credit_transferred", amount_minor=UNUSED, currency="EUR") == (
        "applied"
    )
    assert answer(stack, "CreditApplied", invitation_id, "credit_transferred", amount_minor=UNUSED, currency="EUR") == (
        "answered"
    )
    # Then the credit rose once, and the settlement waits for the cancellation's answer
    assert credit(api) == UNUSED
    assert settlement_of(api, invitation_id) == ("requested", None)
    # When the cancellation is confirmed too, the settlement is completed
    answer(stack, "SubscriptionCancelled", invitation_id, "subscription_cancelled", external_id="sub_123")
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert entries(invitation_id) == {
        "credit_transferred": ("completed", 1),
        "subscription_cancelled": ("completed", 1),
    }
    assert credit(api) == UNUSED


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_an_outcome_of_a_request_never_made_changes_nothing(api: Api, stack: Stack, parameters: dict[str, str]) -> None:
    # Given Jan's settlement is requested
    invitation_id = accepted(api, stack, "credit")
    before = entries(invitation_id)
    # When outcomes arrive for an attempt never requested and for another invitation
    assert answer(stack, "CreditApplied", invitation_id, "credit_transferred", attempt=2) == "unknown"
    assert answer(stack, "CreditApplied", "0" * 32, "credit_transferred") == "unknown"
    # Then nothing changed
    assert entries(invitation_id) == before
    assert credit(api) == 0
    assert settlement_of(api, invitation_id) == ("requested", None)


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_an_outcome_that_is_not_one_of_ours_ends_in_the_dead_letter_queue(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given Jan's credit transfer is requested
    invitation_id = accepted(api, stack, "credit")
    detail = {"request_id": f"{invitation_id}:credit_transferred:1", "invitation_id": invitation_id, "amount": 1}
    # When an outcome arrives that its schema refuses, and one whose amount is not the entry's
    assert deliver(stack, "CreditApplied", detail) == "malformed"
    assert answer(stack, "CreditApplied", invitation_id, "credit_transferred", amount_minor=1, currency="EUR") == (
        "malformed"
    )
    # Then both wait in the dead-letter queue, and nothing changed
    sqs = aws.client("sqs")
    dead = sqs.get_queue_url(QueueName="SettlementOutcomesDeadLetterQueue")["QueueUrl"]
    kept = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["detail"].get("amount_minor", 0) for m in kept) == [0, 1]
    assert credit(api) == 0
    assert settlement_of(api, invitation_id) == ("requested", None)


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_a_failed_refund_is_visible_and_an_operator_retry_pays_it_once(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given Jan accepted with a refund, and the subscription's cancellation is confirmed
    invitation_id = accepted(api, stack, "refund")
    assert sorted(requests(stack)) == [
        f"{invitation_id}:refund_requested:1",
        f"{invitation_id}:subscription_cancelled:1",
    ]
    answer(stack, "SubscriptionCancelled", invitation_id, "subscription_cancelled")
    # When the billing system answers that the refund failed
    answer(stack, "RefundFailed", invitation_id, "refund_requested", reason="card expired")
    # Then the admin sees the settlement failed, and why
    state, failure = settlement_of(api, invitation_id)
    assert state == "failed" and failure is not None and "card expired" in failure
    shown = api.invitation("u-olga", "acme", invitation_id).json
    assert shown["settlement_state"] == "failed" and "card expired" in shown["settlement_failure"]
    # When an operator retries it
    done = retry(stack, invitation_id)
    # Then attempt 2 of the refund is requested, once, and the invitation shows it requested
    assert done["requested"] == [f"{invitation_id}:refund_requested:2"]
    sent = requests(stack)
    assert list(sent) == [f"{invitation_id}:refund_requested:2"]
    assert sent[f"{invitation_id}:refund_requested:2"]["amount_minor"] == UNUSED
    assert settlement_of(api, invitation_id) == ("requested", None)
    # When the operator retries again while attempt 2 is requested, nothing is published
    assert retry(stack, invitation_id)["requested"] == []
    assert requests(stack) == {}
    # When attempt 1's success comes late, it does not count (attempt 2 was requested since)
    late = answer(stack, "RefundCompleted", invitation_id, "refund_requested", attempt=1, external_id="re_late")
    assert late == "old_attempt"  # reported (Settlement_late_success, alarmed): check billing for a second refund
    assert entries(invitation_id)["refund_requested"] == ("requested", 2)
    # When attempt 2 completes, the settlement is completed: one refund entry, counted once
    answer(stack, "RefundCompleted", invitation_id, "refund_requested", attempt=2, external_id="re_2")
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert entries(invitation_id) == {"refund_requested": ("completed", 2), "subscription_cancelled": ("completed", 1)}
    refunds = [e for e in ledger_of_invitation(invitation_id) if e.kind == "refund_requested"]
    assert len(refunds) == 1 and refunds[0].external_id == "re_2"
    # and a retry of a completed settlement requests nothing
    assert retry(stack, invitation_id)["requested"] == []
    assert requests(stack) == {}


@pytest.mark.parametrize("parameters", [{**EXTERNAL, "SettlementAnswerSeconds": "3600"}])
def test_a_request_left_unanswered_is_reported_by_the_scheduled_job(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given Jan's credit transfer and cancellation are requested, and the credit is applied
    invitation_id = accepted(api, stack, "credit")
    requests(stack)
    answer(stack, "CreditApplied", invitation_id, "credit_transferred")
    # When the job runs before the answer's time is up, nothing is reported
    assert api.run_job()["counts"]["unanswered"] == 0
    # When the job runs after SettlementAnswerSeconds without the cancellation's answer
    stack.clock.advance(3601)
    run = api.run_job()
    # Then it reports the one request left unanswered, and publishes it again with the same ids
    assert run["counts"]["unanswered"] == 1 and run["counts"]["errors"] == 0
    again = requests(stack)
    assert list(again) == [f"{invitation_id}:subscription_cancelled:1"]
    assert again[f"{invitation_id}:subscription_cancelled:1"]["event_id"] == f"{invitation_id}:cancellation"
    # and not in the very next run, only when its time is up again
    assert api.run_job()["counts"]["unanswered"] == 0
    # When the answer comes, the job has nothing more to report about it
    answer(stack, "SubscriptionCancelled", invitation_id, "subscription_cancelled")
    stack.clock.advance(3601)
    assert api.run_job()["counts"]["unanswered"] == 0
    assert settlement_of(api, invitation_id) == ("completed", None)


# ---------------------------------------------------------------- the local lever


def test_the_local_retry_says_that_builtin_billing_requests_nothing(stack: Stack) -> None:
    # Given builtin billing, When the local retry is asked for, Then it says there is nothing to retry
    assert jobs.handle(stack, "POST", "/_local/settlements/retry", b'{"invitation_id": "x"}')[0] == 409


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_the_local_retry_checks_what_it_is_given(stack: Stack, parameters: dict[str, str]) -> None:
    # Given external billing
    # When the local retry gets no invitation id, an unknown one, or a GET
    # Then it answers 400, 404 and 405, and publishes nothing
    assert jobs.handle(stack, "POST", "/_local/settlements/retry", b"{}")[0] == 400
    status, answer = jobs.handle(stack, "POST", "/_local/settlements/retry", b'{"invitation_id": "nope"}')
    assert (status, answer["error"]) == (404, "invitation_not_found")
    assert jobs.handle(stack, "GET", "/_local/settlements/retry", b"")[0] == 405
    assert requests(stack) == {}


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_two_answers_for_one_invitation_at_once_leave_it_completed(
    api: Api, stack: Stack, parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan's credit transfer and cancellation are requested
    invitation_id = accepted(api, stack, "credit")
    # and both answers read the invitation before either writes (each waits for the other's read)
    both_read = threading.Barrier(2, timeout=10)
    real = settlements.snapshot
    first_reads: set[str] = set()

    def read_together(inv_id: str) -> settlements.Snapshot | None:
        snap = real(inv_id)
        name = threading.current_thread().name
        if name not in first_reads:
            first_reads.add(name)
            both_read.wait()
        return snap

    monkeypatch.setattr(settlements, "snapshot", read_together)
    results: dict[str, str] = {}

    def apply(detail_type: str, kind: str) -> None:
        detail = {"request_id": f"{invitation_id}:{kind}:1", "invitation_id": invitation_id, "kind": kind}
        results[kind] = settlement_outcomes.apply_outcome(detail_type, detail).result

    threads = [
        threading.Thread(target=apply, args=("CreditApplied", "credit_transferred"), name="credit"),
        threading.Thread(target=apply, args=("SubscriptionCancelled", "subscription_cancelled"), name="cancel"),
    ]
    # When both are applied at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then both applied (the one that wrote second read again), the settlement is completed, the credit rose once
    assert results == {"credit_transferred": "applied", "subscription_cancelled": "applied"}
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert credit(api) == UNUSED


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_a_settle_step_that_fails_to_publish_runs_again_and_requests_the_same_attempt(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given external billing, and EventBridge failing the settle step's first PutEvents (after the booking)
    invitation_id = invite_one(api, "jan@devries.example")
    with client_fault("events", "PutEvents", "InternalException", times=1, status=500) as fault:
        assert api.accept(invitation_token("jan@devries.example"), "refund", as_json=True).status == 200
        # When the workflow runs the step again
        assert finished(stack, invitation_id, timeout=60)["status"] == "SUCCEEDED"
    # Then the requests went out once, in attempt 1, with their stable ids, and the entries were booked once
    assert fault.injected == 1
    sent = [(t, d["event_id"], d["request_id"]) for t, d in published(stack) if "request_id" in d]
    assert sorted(sent) == [
        ("ProrationRefundRequested", f"{invitation_id}:refund", f"{invitation_id}:refund_requested:1"),
        (
            "SubscriptionCancellationRequested",
            f"{invitation_id}:cancellation",
            f"{invitation_id}:subscription_cancelled:1",
        ),
    ]
    assert entries(invitation_id) == {"refund_requested": ("requested", 1), "subscription_cancelled": ("requested", 1)}


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_answers_that_come_before_the_step_has_marked_it_settled_leave_nothing_due(
    api: Api, stack: Stack, parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a billing system so fast that both answers are applied before the settle step marks it settled
    real = transactions.mark_settled
    early: list[str] = []

    def answered_first(invitation_id: str, *args: Any, **kwargs: Any) -> Any:
        for detail_type, kind in (
            ("CreditApplied", "credit_transferred"),
            ("SubscriptionCancelled", "subscription_cancelled"),
        ):
            detail = {"request_id": f"{invitation_id}:{kind}:1", "invitation_id": invitation_id, "kind": kind}
            early.append(settlement_outcomes.apply_outcome(detail_type, detail).result)
        return real(invitation_id, *args, **kwargs)

    monkeypatch.setattr(transactions, "mark_settled", answered_first)
    # When Jan accepts with a credit transfer
    invitation_id = accepted(api, stack, "credit")
    # Then both answers applied, the settlement is completed and marked settled once, and nothing is left due
    assert early == ["applied", "applied"]
    assert settlement_of(api, invitation_id) == ("completed", None)
    assert credit(api) == UNUSED
    item = models.InvitationModel.get(invitation_id, consistent_read=True)
    assert item.due_at is None and item.due_shard is None and item.settled_at is not None
    assert [h["event"] for h in current(invitation_id).history].count("settled") == 1


@pytest.mark.parametrize("parameters", [EXTERNAL])
def test_two_retries_at_once_request_the_next_attempt_once(
    api: Api, stack: Stack, parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan's refund failed
    invitation_id = accepted(api, stack, "refund")
    answer(stack, "RefundFailed", invitation_id, "refund_requested", reason="card expired")
    requests(stack)
    # and two operators retry it at once, both reading it failed before either writes
    both_read = threading.Barrier(2, timeout=10)
    real = settlements.snapshot
    first_reads: set[str] = set()

    def read_together(inv_id: str) -> settlements.Snapshot | None:
        snap = real(inv_id)
        if threading.current_thread().name not in first_reads:
            first_reads.add(threading.current_thread().name)
            both_read.wait()
        return snap

    monkeypatch.setattr(settlements, "snapshot", read_together)
    done: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: done.append(settlement_retry.retry_settlement(invitation_id).requested))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then attempt 2 was requested by one of them, and published once
    assert sorted(done) == [[], [f"{invitation_id}:refund_requested:2"]]
    assert list(requests(stack)) == [f"{invitation_id}:refund_requested:2"]
    assert entries(invitation_id)["refund_requested"] == ("requested", 2)
