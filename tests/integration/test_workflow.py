"""The whole story on the real state machine: invite -> e-mail -> accept -> settle -> member."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from local import bridge
from local.stack import OUTBOX, Stack
from paid_invites.acceptance import Acceptance
from paid_invites.errors import SettlementRefused
from paid_invites.store import repository as repo
from paid_invites.usecases import delivery, settling
from tests.support.event_schemas import published
from tests.support.ledger import ledger_of_invitation

from ..support import (
    Api,
    Reply,
    builders,
    current,
    finished,
    history,
    invitation_token,
    invite_one,
    link_token,
    mail_to,
    states_entered,
    wait_for,
)

HAPPY_PATH = ["SendInvitation", "Settle"]


def test_paid_invitee_transfers_credit_to_the_organization(api: Api, stack: Stack) -> None:
    # Given Jan pays EUR 149.90 a year for his own plan, half a year left
    invitation_id = invite_one(api, "jan@devries.example")
    # When the invitation e-mail arrives and he accepts with a credit transfer
    token = invitation_token("jan@devries.example")
    page = api.open_link(token)
    assert page.status == 200
    assert "€\u00a074,53" in page.body  # Dutch page: Jan's language
    reply = api.accept(token, "credit")
    assert reply.status == 200, reply.body
    # Then the workflow settles and ends, through exactly these states
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert states_entered(stack, invitation_id) == HAPPY_PATH
    # and Jan is a licensed member of Acme; his own account is closed, his subscription cancelled
    jan = repo.get_user("u-jan")
    assert jan is not None and (jan.account_id, jan.role, jan.user_type) == ("acme", "member", "licensed")
    own = repo.get_account("acc-jan")
    assert own is not None and own.status == "closed" and own.subscription is not None
    assert own.subscription.status == "cancelled"
    # and the organization's credit rose by the prorated amount, its balance due did not
    summary = api.summary("u-olga", "acme").json
    assert summary["credit"] == {"amount_minor": 7453, "currency": "EUR"}
    assert summary["balance_due"] == {"amount_minor": 0, "currency": "EUR"}
    assert summary["licenses"] == {"total": 10, "used": 3, "held_by_pending": 0, "free": 7}
    kinds = sorted(e["kind"] for e in summary["ledger"])
    assert kinds == ["credit_transferred", "subscription_cancelled"]
    # and the services that own meetings and recordings hear of the move; billing hears of no refund
    events = published(stack)
    assert [e["detail-type"] for e in events] == ["InvitationAccepted"]
    assert events[0]["detail"]["from_account_id"] == "acc-jan"
    assert events[0]["detail"]["to_account_id"] == "acme"
    # and the inviter is told that Jan accepted
    (notice,) = mail_to("arno@acme.example", kind="accepted")
    assert "jan@devries.example" in notice["subject"] and "Acme B.V." in notice["subject"]


def test_an_accept_before_the_email_task_has_returned_still_resumes_the_workflow(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan accepts the moment his e-mail went out, while the task that sent it has not returned yet
    # (Step Functions takes a task token's answer whenever it comes)
    replies: list[Reply] = []
    real = delivery.send_invitation

    def send_then_accept(invitation_id: str, task_token: str) -> dict[str, Any]:
        result = real(invitation_id, task_token)
        token = link_token(OUTBOX.to("jan@devries.example")[-1])
        accepting = threading.Thread(target=lambda: replies.append(api.accept(token, "credit")))
        accepting.start()
        accepting.join()
        return result

    monkeypatch.setattr(delivery, "send_invitation", send_then_accept)
    # When the invitation is sent
    invitation_id = invite_one(api, "jan@devries.example")
    # Then the accept was taken, and the workflow went on to settle and end as on the happy path
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert [r.status for r in replies] == [200]
    assert states_entered(stack, invitation_id) == HAPPY_PATH


def test_paid_invitee_asks_for_a_refund(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, "jan@devries.example")
    token = invitation_token("jan@devries.example")
    reply = api.accept(token, "refund", as_json=True)
    assert reply.status == 200
    assert reply.json == {
        "status": "accepted",
        "invitation_id": invitation_id,
        "settlement": "refund",
        "amount": {"amount_minor": 7453, "currency": "EUR"},
        "redirect_url": None,
    }
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    events = wait_for(lambda: published(stack) or None, what="events")
    refund = next(e for e in events if e["detail-type"] == "ProrationRefundRequested")
    assert refund["detail"] == {
        "event_id": f"{invitation_id}:refund",
        "request_id": f"{invitation_id}:refund_requested:1",
        "invitation_id": invitation_id,
        "kind": "refund_requested",
        "account_id": "acc-jan",
        "org_account_id": "acme",
        "user_id": "u-jan",
        "amount_minor": 7453,
        "currency": "EUR",
        "payment_method": "visa-4242",
        "attempt": 1,
    }
    summary = api.summary("u-olga", "acme").json
    assert summary["credit"]["amount_minor"] == 0  # a refund is not the organization's credit
    ledger = {e["kind"]: e for e in summary["ledger"]}
    assert ledger["refund_requested"]["amount_minor"] == 7453
    assert ledger["refund_requested"]["account_id"] == "acc-jan"


def test_free_invitee_joins_with_nothing_to_settle(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, "fleur@bakker.example", user_type="basic")
    token = invitation_token("fleur@bakker.example")
    page = api.open_link(token)
    assert 'type="radio"' not in page.body  # no money to choose about
    assert api.accept(token).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert states_entered(stack, invitation_id) == HAPPY_PATH
    fleur = repo.get_user("u-fleur")
    assert fleur is not None and (fleur.account_id, fleur.user_type) == ("acme", "basic")
    summary = api.summary("u-olga", "acme").json
    assert summary["ledger"] == []
    assert summary["licenses"]["used"] == 2  # basic users take no license


def test_someone_new_to_the_platform_gets_a_user_in_the_organization(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, "nieuw@example.org", first_name="Nina", last_name="Nieuw")
    token = invitation_token("nieuw@example.org")
    assert "nieuw@example.org" in api.open_link(token).body
    assert api.accept(token).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    inv = repo.get_invitation(invitation_id)
    assert inv is not None and inv.invitee_user_id
    user = repo.get_user(inv.invitee_user_id)
    assert user is not None and (user.email, user.name, user.account_id) == ("nieuw@example.org", "Nina Nieuw", "acme")


@pytest.mark.parametrize("parameters", [{"InvitationLifetimeSeconds": "3"}])
def test_an_invitation_nobody_accepts_expires_and_releases_its_license(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given an invitation whose lifetime is 3 seconds here (30 days by default), on the real timer
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 1  # taken by the invite itself
    token = invitation_token("jan@devries.example")
    # When nobody accepts it, the wait for the task token times out (States.Timeout)
    assert finished(stack, invitation_id, timeout=15)["status"] == "SUCCEEDED"
    # Then the invitation is expired, its license hold released, and its link says so
    assert states_entered(stack, invitation_id) == ["SendInvitation", "Expire", "Expired"]
    after = repo.get_invitation(invitation_id)
    assert after is not None and after.status == "expired"
    assert api.summary("u-olga", "acme").json["licenses"] == {"total": 10, "used": 2, "held_by_pending": 0, "free": 8}
    assert api.open_link(token).status == 410


def test_a_hand_over_that_disagrees_with_the_invitation_books_nothing(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan accepts with a refund, and the acceptance reaches the Settle step changed to a credit
    original = bridge.invoke

    def tampered(fn: Any, event: dict[str, Any]) -> Any:
        if fn.logical_id == "SettleProrationFunction":
            event = {**event, "acceptance": {**event["acceptance"], "settlement": "credit"}}
        return original(fn, event)

    monkeypatch.setattr(bridge, "invoke", tampered)
    invitation_id = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), "refund", as_json=True).status == 200
    end = finished(stack, invitation_id)
    # Then the step fails with SettlementRefused, once (not retried), books nothing, and says so on the invitation
    events = history(stack.state_machine_arn, invitation_id)
    failed = [e["taskFailedEventDetails"]["error"] for e in events if "taskFailedEventDetails" in e]
    assert end["status"] == "FAILED"
    assert failed == ["SettlementRefused"]
    assert states_entered(stack, invitation_id) == ["SendInvitation", "Settle", "RecordFailure", "Failed"]
    assert ledger_of_invitation(invitation_id) == []
    assert api.summary("u-olga", "acme").json["credit"]["amount_minor"] == 0
    assert current(invitation_id).failure == "SettlementRefused"
    # And the scheduled job settles it later as the invitation holds it: a refund, once
    monkeypatch.setattr(bridge, "invoke", original)
    stack.clock.advance(121)
    assert api.run_job()["counts"]["settled"] == 1
    assert sorted(e.kind for e in ledger_of_invitation(invitation_id)) == ["refund_requested", "subscription_cancelled"]
    assert api.summary("u-olga", "acme").json["credit"]["amount_minor"] == 0


def test_a_hand_over_for_an_invitation_not_accepted_books_nothing(api: Api, stack: Stack) -> None:
    # Given a pending invitation of Jan's, and an acceptance of it that nobody made (a refund due)
    invitation_id = invite_one(api, "jan@devries.example")
    invitation_token("jan@devries.example")
    forged = Acceptance(
        invitation_id=invitation_id,
        account_id="acme",
        user_type="licensed",
        role="member",
        accepted_at=stack.clock(),
        settlement="refund",
        settle_due=True,
        invitee_user_id="u-jan",
        invitee_account_id="acc-jan",
        subscription=builders.jans_subscription(),
    )
    # When Settle gets it, Then it is refused by name and nothing is booked or cancelled
    with pytest.raises(SettlementRefused):
        settling.settle(forged)
    assert ledger_of_invitation(invitation_id) == []
    jans = repo.get_account("acc-jan")
    assert jans is not None and jans.subscription is not None and jans.subscription.status == "active"
    assert current(invitation_id).status == "pending"
