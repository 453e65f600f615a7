"""Faults injected from outside the code under test (botocore hooks, moto's answers, the Lambda bridge),
and what must survive them: one e-mail, one settlement, one event id, nothing half-applied."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, TransactionCanceledException
from moto.dynamodb.responses import DynamoHandler
from moto.sesv2.responses import SESV2Response

from local import bridge
from local.stack import Stack
from paid_invites.store import repository as repo
from paid_invites.usecases import sweep
from tests.support.ledger import ledger_of_invitation

from ..support import (
    Api,
    dump_tables,
    finished,
    history,
    invite_sent,
    invite_with_token,
    mail_to,
    mails,
    states_entered,
    token_of,
    wait_for,
)
from ..support.faults import breaks, client_fault, moto_error, moto_fault, times_out
from .conftest import Events
from .invariants import deliveries
from .plugin import Recorder

pytestmark = pytest.mark.reliability(kind="fault")

JAN = "jan@devries.example"
ARNO = "arno@acme.example"  # Acme's admin, who invites (and is told of each acceptance)


def ledger_kinds(invitation_id: str) -> Counter[str]:
    return Counter(e.kind for e in ledger_of_invitation(invitation_id))


def task_failures(stack: Stack, invitation_id: str) -> list[str]:
    events = history(stack.state_machine_arn, invitation_id)
    return [e["taskFailedEventDetails"]["error"] for e in events if "taskFailedEventDetails" in e]


# ---------------------------------------------------------------- SES


def test_ses_throttling_three_times_is_absorbed_and_the_mail_goes_once(
    front: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder
) -> None:
    # Given SES answers the next three sends with 429 TooManyRequestsException (its sending-rate limit)
    fault = moto_fault(
        monkeypatch,
        SESV2Response,
        "send_email",
        lambda: moto_error("TooManyRequestsException", "Maximum sending rate exceeded.", 429),
        times=3,
    )
    # When an invitation is sent
    email = "throttled@example.org"
    invitation_id = invite_sent(front, email)
    sent = len(mails(email, "invitation"))
    reliability.fault("SES throttled x3 (SDK retries)", injected=fault.injected, survived=sent == 1)
    # Then the e-mail went out once, when SES let it through
    assert fault.injected == 3 and fault.passed == 1
    assert sent == 1
    inv = repo.get_invitation(invitation_id)
    assert inv is not None and inv.sent_at is not None and inv.status == "pending"
    assert front.accept(token_of(email), as_json=True).status == 200
    assert invariants().clean


def test_ses_throttling_past_the_sdk_retries_is_retried_by_the_workflow(
    front: Api, stack: Stack, invariants: Any, reliability: Recorder
) -> None:
    # Given the SDK gives up on SES three times in a row (throttled beyond its own retries)
    with client_fault("sesv2", "SendEmail", "TooManyRequestsException", times=3, status=429) as fault:
        # When an invitation is sent
        email = "throttled-long@example.org"
        reply = front.invite("u-arno", "acme", {"email": email})
        invitation_id = reply.json["results"][0]["invitation_id"]
        mail_to(email, timeout=60, kind="invitation")  # the mail, after the workflow's retries
    sent = len(mails(email, "invitation"))
    failures = task_failures(stack, invitation_id)
    reliability.fault("SES throttled x3 (workflow retries)", injected=fault.injected, survived=sent == 1)
    # Then the state machine retried the step (MailThrottled) and the e-mail went out once
    assert fault.injected == 3
    assert failures == ["MailThrottled"] * 3
    assert sent == 1
    assert front.accept(token_of(email), as_json=True).status == 200
    assert invariants().clean


@pytest.mark.parametrize(
    "refusal",
    [{"code": "TooManyRequestsException", "status": 429}, {"code": "InternalFailure", "status": 500}],
    ids=["throttled", "failing"],
)
def test_a_resend_whose_mail_cannot_go_out_changes_nothing_and_the_admin_retries_at_once(
    front: Api, stack: Stack, invariants: Any, reliability: Recorder, refusal: dict[str, Any]
) -> None:
    # Given an invitation e-mailed an hour ago (past the resend cool-down)
    email = f"resend-{refusal['code'].lower()}@example.org"
    invitation_id, token = invite_with_token(front, email)
    stack.clock.advance(3600)
    before = repo.get_invitation(invitation_id)
    # When the admin resends it while SES refuses the e-mail
    with client_fault("sesv2", "SendEmail", times=1, **refusal) as fault:
        reply = front.resend("u-arno", "acme", invitation_id)
    after = repo.get_invitation(invitation_id)
    # Then the answer says so and when to retry, and nothing was written: the invitee's link still works
    assert fault.injected == 1
    assert reply.status == 503, reply.body
    assert reply.json["error"]["code"] == "mail_unavailable"
    assert int({k.lower(): v for k, v in reply.headers.items()}["retry-after"]) > 0
    assert after == before
    assert front.open_link(token).status == 200
    # And the admin's retry right away goes out: one new e-mail, its link works and the previous one ended
    retry = front.resend("u-arno", "acme", invitation_id)
    assert retry.status == 200, retry.body
    sent = mails(email, "invitation")
    reliability.fault(f"resend: SES {refusal['code']}", injected=fault.injected, survived=retry.status == 200)
    assert len(sent) == 2
    assert [e["event"] for e in retry.json["history"]][-2:] == ["resent", "emailed"]
    assert front.open_link(token).status == 404
    assert front.accept(token_of(email), as_json=True).status == 200
    assert invariants().clean


def test_a_workflow_the_invite_could_not_start_is_started_by_the_scheduled_job(
    front: Api, stack: Stack, invariants: Any, reliability: Recorder
) -> None:
    # Given Step Functions refuses the invite's StartExecution (past the SDK's retries)
    email = "start-refused@example.org"
    with client_fault("stepfunctions", "StartExecution", "ServiceUnavailable", times=1, status=503) as fault:
        # When an admin invites someone
        reply = front.invite("u-arno", "acme", {"email": email})
    # Then the invitation is created all the same, and the answer says its e-mail is delayed
    assert fault.injected == 1
    assert reply.status == 200, reply.body
    (result,) = reply.json["results"]
    assert result["status"] == "created" and result["warnings"] == ["delivery_delayed"]
    invitation_id = result["invitation_id"]
    assert mails(email) == []
    assert front.invitation("u-arno", "acme", invitation_id).json["history"][-1]["event"] == "delivery_delayed"
    # And the scheduled job's next run starts its workflow: the e-mail goes out, once, and its link accepts
    report = front.run_job()
    mail_to(email, timeout=30, kind="invitation")
    sent = len(mails(email, "invitation"))
    reliability.fault("invite: StartExecution fails", injected=fault.injected, survived=sent == 1)
    assert report["counts"]["started"] == 1
    assert sent == 1
    assert front.accept(token_of(email), as_json=True).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert front.run_job()["counts"]["started"] == 0
    assert invariants().clean


# ---------------------------------------------------------------- settle


def test_settle_failing_between_ledger_and_event_runs_again_and_publishes_once(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given Jan accepts with a refund, and EventBridge fails the settle step's first PutEvents
    invitation_id = invite_sent(front, JAN)
    with client_fault("events", "PutEvents", "InternalException", times=1, status=500) as fault:
        assert front.accept(token_of(JAN), "refund", as_json=True).status == 200
        # When the workflow runs the step again
        end = finished(stack, invitation_id, timeout=60)
    found = events.all()
    refunds = [e for e in found if e["detail-type"] == "ProrationRefundRequested"]
    ledger = ledger_kinds(invitation_id)
    reliability.fault("settle: PutEvents fails after the ledger", injected=fault.injected, survived=len(refunds) == 1)
    # Then the ledger holds one entry of each kind, and the refund event went out, with its stable id
    assert fault.injected == 1
    assert end["status"] == "SUCCEEDED"
    assert task_failures(stack, invitation_id) == ["TransientError"]
    assert ledger == Counter({"subscription_cancelled": 1, "refund_requested": 1})
    assert [e["detail"]["event_id"] for e in refunds] == [f"{invitation_id}:refund"]
    assert deliveries(found, "InvitationAccepted", invitation_id) == 1
    assert invariants().clean


# ---------------------------------------------------------------- SendTaskSuccess


@pytest.mark.parametrize(
    "failure",
    [
        {"code": "ServiceUnavailable", "status": 503},
        {"code": "", "error": lambda: EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")},
    ],
    ids=["throttled", "unreachable"],
)
def test_a_lost_send_task_success_is_resumed_by_the_scheduled_job(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder, failure: dict[str, Any]
) -> None:
    # Given Jan's invitation, and Step Functions failing every SendTaskSuccess for now
    invitation_id = invite_sent(front, JAN)
    with client_fault("stepfunctions", "SendTaskSuccess", times=None, **failure) as fault:
        # When he accepts (the accept transaction commits; handing it to the workflow fails)
        accepted = front.accept(token_of(JAN), "credit", as_json=True)
        inv = repo.get_invitation(invitation_id)
        assert inv is not None
        waiting = states_entered(stack, invitation_id)
    # Then he is told he is in (his acceptance stands), while the workflow still waits
    assert accepted.status == 200, accepted.body
    assert inv.status == "accepted" and waiting == ["SendInvitation"]
    # When Step Functions is back and the scheduled job runs after the grace period (2 minutes)
    first = front.run_job()
    stack.clock.advance(121)
    second = front.run_job()
    end = finished(stack, invitation_id, timeout=30)
    settled = "settled" in [h["event"] for h in (repo.get_invitation(invitation_id).history or [])]  # type: ignore[union-attr]
    reliability.fault("SendTaskSuccess lost after the accept", injected=fault.injected, survived=settled)
    # Then the job resumed it (not before its time) and it is settled, once
    assert fault.injected >= 1
    assert first["counts"]["resumed"] == 0 and second["counts"]["resumed"] == 1
    assert end["status"] == "SUCCEEDED" and settled
    assert ledger_kinds(invitation_id) == Counter({"subscription_cancelled": 1, "credit_transferred": 1})
    assert front.run_job()["counts"]["resumed"] == 0  # and nothing is left to resume
    assert invariants().clean


# ---------------------------------------------------------------- Lambda timeouts


def test_a_timed_out_settle_step_is_retried_without_a_second_settlement(
    front: Api, stack: Stack, events: Events, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder
) -> None:
    # Given the settle function times out once after it did its work (ledger, credit, events)
    fault = times_out(monkeypatch, "SettleProrationFunction", lambda event: True)
    invitation_id = invite_sent(front, JAN)
    # When Jan accepts with a refund
    assert front.accept(token_of(JAN), "refund", as_json=True).status == 200
    end = finished(stack, invitation_id, timeout=60)
    found = events.all()
    refund_ids = {e["detail"]["event_id"] for e in found if e["detail-type"] == "ProrationRefundRequested"}
    ledger = ledger_kinds(invitation_id)
    reliability.fault(
        "settle times out after its work", injected=fault.injected, survived=ledger["refund_requested"] == 1
    )
    # Then Step Functions retried it; one settlement, and the events it published carry one id each
    assert fault.injected == 1
    assert end["status"] == "SUCCEEDED"
    assert task_failures(stack, invitation_id) == ["Sandbox.Timedout"]
    assert ledger == Counter({"subscription_cancelled": 1, "refund_requested": 1})
    assert refund_ids == {f"{invitation_id}:refund"}
    assert invariants().clean


def test_a_settle_step_that_fails_for_good_is_settled_by_the_scheduled_job(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given the settle function is broken: each invocation fails with an error the workflow does not retry
    # (retries that run out end the same way: RecordFailure, then the execution fails)
    with breaks("SettleProrationFunction", lambda: RuntimeError("injected: a broken deployment")) as fault:
        invitation_id = invite_sent(front, JAN)
        # When Jan accepts with a refund
        assert front.accept(token_of(JAN), "refund", as_json=True).status == 200
        end = finished(stack, invitation_id, timeout=60)
        left = repo.get_invitation(invitation_id)
        # Then he is in, the workflow has ended without settling, and no money has moved yet
        assert end["status"] == "FAILED" and task_failures(stack, invitation_id) == ["RuntimeError"]
        assert left is not None and left.status == "accepted" and left.failure == "RuntimeError"
        assert ledger_kinds(invitation_id) == Counter()
        # When the scheduled job runs after the grace period (2 minutes), the settle function still broken
        before = front.run_job()
        stack.clock.advance(121)
        run = front.run_job()
    settled = repo.get_invitation(invitation_id)
    found = events.all()
    notices = len(mails(ARNO, "accepted"))
    reliability.fault("settle fails for good", injected=fault.injected, survived=run["counts"]["settled"] == 1)
    # Then the job (not before its time) settled it: once, as the workflow would have, and told the inviter
    assert before["counts"]["settled"] == 0 and run["counts"]["seen"] == 1
    assert run["counts"]["settled"] == 1 and run["counts"]["resumed"] == 0 and run["counts"]["errors"] == 0
    assert ledger_kinds(invitation_id) == Counter({"subscription_cancelled": 1, "refund_requested": 1})
    assert [e["detail"]["event_id"] for e in found if e["detail-type"] == "ProrationRefundRequested"] == [
        f"{invitation_id}:refund"
    ]
    assert deliveries(found, "InvitationAccepted", invitation_id) == 1
    assert notices == 1
    assert settled is not None and settled.failure is None
    assert [(h["event"], h["by"]) for h in settled.history or [] if h["event"] == "settled"] == [
        ("settled", "scheduler")
    ]
    # and the next run finds nothing left to do
    assert front.run_job()["counts"]["seen"] == 0
    assert invariants().clean


def test_a_settle_step_still_running_after_the_grace_period_is_left_to_the_workflow(
    front: Api, stack: Stack, events: Events, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder
) -> None:
    # Given the settle step is slow: it runs past the grace period (2 minutes) before it settles
    started, release = threading.Event(), threading.Event()
    original = bridge.invoke

    def slow(fn: Any, event: dict[str, Any]) -> Any:
        if fn.logical_id == "SettleProrationFunction":
            started.set()
            release.wait(timeout=60)
        return original(fn, event)

    monkeypatch.setattr(bridge, "invoke", slow)
    invitation_id = invite_sent(front, JAN)
    assert front.accept(token_of(JAN), "credit", as_json=True).status == 200
    assert started.wait(timeout=30), "the settle step did not start"
    # When the scheduled job comes by while it runs
    stack.clock.advance(121)
    run = front.run_job()
    release.set()
    end = finished(stack, invitation_id, timeout=30)
    ledger = ledger_kinds(invitation_id)
    reliability.fault("settle still running when the job comes", injected=1, survived=run["counts"]["settled"] == 0)
    # Then the job left it to the workflow (its task had been resumed), which settled it once
    assert run["counts"]["seen"] == 1 and run["counts"]["resumed"] == 0 and run["counts"]["settled"] == 0
    assert end["status"] == "SUCCEEDED"
    assert ledger == Counter({"subscription_cancelled": 1, "credit_transferred": 1})
    assert invariants().clean


def test_an_acceptance_the_workflow_settled_after_the_jobs_query_is_left_alone(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given the job's query read Jan's acceptance as unsettled, and then the workflow settled it and ended
    invitation_id = invite_sent(front, JAN)
    assert front.accept(token_of(JAN), "refund", as_json=True).status == 200
    as_read = repo.get_invitation(invitation_id)
    assert as_read is not None and as_read.status == "accepted"
    assert finished(stack, invitation_id, timeout=30)["status"] == "SUCCEEDED"
    notices = len(mails(ARNO, "accepted"))
    # When the job reconciles what it read
    outcome = sweep.reconcile(as_read)
    found = events.all()
    reliability.fault("settled after the job's query", injected=1, survived=outcome == "left")
    # Then it leaves it: no second settlement, event or notice
    assert outcome == "left"
    assert ledger_kinds(invitation_id) == Counter({"subscription_cancelled": 1, "refund_requested": 1})
    assert deliveries(found, "InvitationAccepted", invitation_id) == 1
    assert len(mails(ARNO, "accepted")) == notices == 1
    assert invariants().clean


@pytest.mark.parametrize("accepted", ["after the retry", "between the attempts", "while the retry runs"])
def test_a_timed_out_invitation_step_is_retried_without_a_second_mail(
    front: Api,
    stack: Stack,
    events: Events,
    monkeypatch: pytest.MonkeyPatch,
    invariants: Any,
    reliability: Recorder,
    accepted: str,
) -> None:
    # Given the e-mail function times out once after the invitation e-mail went out
    retry = threading.Event()
    fault = times_out(
        monkeypatch, "InvitationTasksFunction", lambda e: e.get("action") == "send_invitation", hold_retry=retry
    )
    email = f"slow-mail-{len(accepted)}@example.org"
    reply = front.invite("u-arno", "acme", {"email": email})
    invitation_id = reply.json["results"][0]["invitation_id"]
    wait_for(lambda: fault.injected and task_failures(stack, invitation_id), timeout=30, what="the timeout")
    if accepted in ("between the attempts", "while the retry runs"):
        # When the invitee accepts with the e-mailed link before the retry stored its own task token: before
        # Step Functions retried the step, or while the retry's function has not got that far
        if accepted == "while the retry runs":
            assert fault.holding.wait(timeout=30), "the retry did not start"
        assert front.accept(token_of(email), as_json=True).status == 200
        retry.set()
        wait_for(lambda: fault.passed, what="the retry")
        # (the task the accept resumed had ended; the retry's task waits) and the scheduled job runs
        stack.clock.advance(121)
        assert front.run_job()["counts"]["resumed"] == 1
    else:
        # When Step Functions retried the step, and then the invitee accepts
        retry.set()
        wait_for(lambda: fault.passed, what="the retry")
        assert front.accept(token_of(email), as_json=True).status == 200
    end = finished(stack, invitation_id, timeout=30)
    sent = len(mails(email, "invitation"))
    reliability.fault(f"invitation step times out, accepted {accepted}", injected=fault.injected, survived=sent == 1)
    # Then one e-mail went out, its link accepted, and the workflow settled it
    assert fault.injected == 1 and task_failures(stack, invitation_id) == ["Sandbox.Timedout"]
    assert sent == 1
    assert end["status"] == "SUCCEEDED"
    assert invariants().clean


def test_a_timed_out_inviter_notice_is_not_sent_twice(
    front: Api, stack: Stack, events: Events, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder
) -> None:
    # Given the settle step times out once after settling and telling the inviter of an acceptance
    fault = times_out(monkeypatch, "SettleProrationFunction", lambda event: True)
    email = "notice@example.org"
    invitation_id = invite_sent(front, email)
    # When the invitee accepts, and Step Functions runs the timed-out step again
    assert front.accept(token_of(email), as_json=True).status == 200
    end = finished(stack, invitation_id, timeout=30)
    notices = len(mails(ARNO, "accepted"))
    reliability.fault("settle step times out after the notice", injected=fault.injected, survived=notices == 1)
    # Then the inviter got one notice (the run again finds it claimed), and all is settled once
    assert fault.injected == 1 and task_failures(stack, invitation_id) == ["Sandbox.Timedout"]
    assert notices == 1
    assert end["status"] == "SUCCEEDED"
    assert invariants().clean


def test_a_throttled_inviter_notice_is_retried_with_the_settle_step_and_goes_once(
    front: Api, stack: Stack, invariants: Any, reliability: Recorder
) -> None:
    # Given Jan's invitation went out, and SES refuses the next two sends beyond the SDK's retries
    email = "notice-throttled@example.org"
    invitation_id = invite_sent(front, email)
    with client_fault("sesv2", "SendEmail", "TooManyRequestsException", times=2, status=429) as fault:
        # When the invitee accepts and the settle step tells the inviter
        assert front.accept(token_of(email), as_json=True).status == 200
        end = finished(stack, invitation_id, timeout=60)
    notices = len(mails(ARNO, "accepted"))
    failures = task_failures(stack, invitation_id)
    reliability.fault("inviter notice throttled x2", injected=fault.injected, survived=notices == 1)
    # Then the step gave its claim back and ran again (MailThrottled) until the notice went, once; the money
    # was settled once
    assert fault.injected == 2
    assert failures == ["MailThrottled", "MailThrottled"]
    assert notices == 1
    assert end["status"] == "SUCCEEDED"
    assert invariants().clean


# ---------------------------------------------------------------- DynamoDB on accept


def is_accept(handler: DynamoHandler) -> bool:
    return '"accepted"' in json.dumps(getattr(handler, "body", {}), default=str)


def test_throughput_exceeded_on_accept_is_retried(
    front: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder
) -> None:
    # Given DynamoDB refuses the accept transaction twice (ProvisionedThroughputExceededException)
    invitation_id = invite_sent(front, JAN)
    fault = moto_fault(
        monkeypatch,
        DynamoHandler,
        "transact_write_items",
        lambda: moto_error("ProvisionedThroughputExceededException", "throughput exceeded", prefix=ERROR_TYPE_PREFIX),
        times=2,
        when=is_accept,
    )
    # When Jan accepts
    accepted = front.accept(token_of(JAN), "credit", as_json=True)
    reliability.fault("throughput exceeded on accept x2", injected=fault.injected, survived=accepted.status == 200)
    # Then the SDK's retries got it through: accepted once
    assert fault.injected == 2 and accepted.status == 200, accepted.body
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert invariants().clean


@pytest.mark.parametrize("kind", ["throughput", "conflict"])
def test_an_accept_that_cannot_commit_is_refused_cleanly_and_changes_nothing(
    front: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch, invariants: Any, reliability: Recorder, kind: str
) -> None:
    # Given DynamoDB refuses every accept transaction for now: throttled, or conflicting with another
    invitation_id, token = invite_with_token(front, JAN)

    def refusal() -> Exception:
        if kind == "throughput":
            return moto_error("ProvisionedThroughputExceededException", "throughput exceeded", prefix=ERROR_TYPE_PREFIX)
        return TransactionCanceledException([("TransactionConflict", "Transaction is ongoing for the item", None)])

    fault = moto_fault(monkeypatch, DynamoHandler, "transact_write_items", refusal, times=None, when=is_accept)
    before = dump_tables(stack)
    # When Jan accepts, as a page and as JSON
    page = front.accept(token, "credit", lang="en")
    as_json = front.accept(token, "credit", as_json=True)
    unchanged = dump_tables(stack) == before
    reliability.fault(f"accept: {kind} on every try", injected=fault.injected, survived=unchanged)
    # Then he is asked to try again in a moment (503), and nothing was written
    assert fault.injected >= 2
    assert (page.status, as_json.status) == (503, 503), (page.body, as_json.body)
    assert as_json.json["error"]["code"] == "try_again"
    assert "text/html" in page.headers["Content-Type"] and "<h1>" in page.body
    assert unchanged
    # When DynamoDB is well again / Then the same link accepts
    monkeypatch.undo()
    assert front.accept(token, "credit", as_json=True).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert invariants().clean
