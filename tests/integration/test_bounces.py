"""Bounces and complaints: SES events (through SNS, to EmailEventsFunction) tell the admin that an address
cannot receive mail, and stop mail to an address that complained."""

from __future__ import annotations

from datetime import timedelta

from local import jobs
from local.stack import Stack
from paid_invites.store import suppressions

from ..support import ADMIN, DAY, JAN, Api, current, events, invite_sent, mails, wait_for

UNKNOWN_USER = "smtp; 550 5.1.1 <jan@devries.example>: Recipient address rejected: User unknown"


def listed(api: Api, status: str) -> dict[str, dict]:
    reply = api.call("GET", "/accounts/acme/invitations", caller=ADMIN, query={"status": status})
    assert reply.status == 200, reply.body
    return {i["id"]: i for i in reply.json["invitations"]}


def test_a_hard_bounce_shows_the_invitation_as_bounced_with_the_reason(api: Api, stack: Stack) -> None:
    # Given Jan's invitation went out
    inv = current(invite_sent(api, JAN))
    # When his mail server answers that the address does not exist (a permanent bounce)
    result = api.ses_event("bounce", JAN, bounce_type="Permanent", diagnostic=UNKNOWN_USER)
    # Then the invitation is bounced: the admin sees it in the list of bounced ones, with the reason
    assert result["results"][0]["actions"] == [f"bounced:{JAN}"]
    assert inv.id in listed(api, "bounced") and inv.id not in listed(api, "pending")
    shown = listed(api, "bounced")[inv.id]
    assert shown["status"] == "bounced"
    (bounced,) = [e for e in shown["history"] if e["event"] == "bounced"]
    assert bounced["reason"] == UNKNOWN_USER and bounced["by"] == "ses"
    # and in the invitation's own history
    one = api.call("GET", f"/accounts/acme/invitations/{inv.id}", caller=ADMIN).json
    assert one["status"] == "bounced" and "bounced" in [e["event"] for e in one["history"]]
    # and it keeps its license until it is revoked, resent or expires
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 1
    # and no reminder goes to that address
    for day in (3, 7):
        stack.clock.set(inv.sent_at + timedelta(days=day, minutes=1))  # type: ignore[operator]
        assert api.run_job()["reminded"] == []
    assert mails(JAN, "reminder") == []
    # and it still expires after 30 days, which releases the license and tells the inviter
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    assert api.run_job()["expired"] == [inv.id]
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 0
    assert len(wait_for(lambda: mails("arno@acme.example", "expired_inviter"), what="the inviter's notice")) == 1
    # and a bounce of that notice (the inviter's address) changes nothing on the invitation
    assert api.ses_event("bounce", "arno@acme.example")["results"][0]["actions"] == ["ignored:arno@acme.example"]
    assert current(inv.id).status == "expired"


def test_a_bounce_delivered_twice_is_recorded_once(api: Api, stack: Stack) -> None:
    # Given a hard bounce of Jan's invitation that SNS delivers twice (at-least-once delivery)
    inv = current(invite_sent(api, JAN))
    event = jobs.ses_event("bounce", mails(JAN)[-1], JAN)
    # When EmailEventsFunction gets it both times
    first = stack.invoke("EmailEventsFunction", jobs.sns_envelope(event))
    second = stack.invoke("EmailEventsFunction", jobs.sns_envelope(event))
    # Then the invitation is bounced once
    assert first["results"][0]["actions"] == [f"bounced:{JAN}"]
    assert second["results"][0]["actions"] == [f"unchanged:{JAN}"]
    assert events(inv.id).count("bounced") == 1


def test_a_soft_bounce_is_recorded_and_the_invitation_stays_pending(api: Api, stack: Stack) -> None:
    # Given Jan's mailbox is full for a moment (a transient bounce)
    inv = current(invite_sent(api, JAN))
    api.ses_event("bounce", JAN, bounce_type="Transient", bounce_subtype="MailboxFull")
    # Then it is in the history, the invitation stays pending, and the reminders still come
    assert current(inv.id).status == "pending"
    assert "soft_bounce" in events(inv.id)
    stack.clock.advance(3 * DAY + 60)
    assert api.run_job()["reminded"] == [inv.id]


def test_a_bounce_of_a_mail_from_before_the_last_send_is_ignored(api: Api, stack: Stack) -> None:
    # Given Jan's first e-mail, and a resend after the cool-down (to a fixed mailbox, say)
    inv = current(invite_sent(api, JAN))
    first = mails(JAN, "invitation")[-1]
    stack.clock.advance(11 * 60)
    assert api.call("POST", f"/accounts/acme/invitations/{inv.id}/resend", caller=ADMIN).status == 200
    wait_for(lambda: len(mails(JAN, "invitation")) == 2, what="the resent e-mail")
    # When the bounce of the first e-mail arrives only now
    api.ses_event("bounce", JAN, message_id=first["message_id"])
    # Then the resent invitation is not marked bounced
    assert current(inv.id).status == "pending"


def test_a_complaint_stops_all_further_mail_to_that_address(api: Api, stack: Stack) -> None:
    # Given Jan marked the invitation e-mail as spam
    inv = current(invite_sent(api, JAN))
    result = api.ses_event("complaint", JAN)
    # Then his address is on the suppression list, and the invitation's history says so
    assert f"suppressed:{JAN}" in result["results"][0]["actions"]
    assert suppressions.suppression(JAN) == "abuse"
    assert "complained" in events(inv.id)
    # and no reminder goes to him
    stack.clock.advance(3 * DAY + 60)
    assert api.run_job()["reminded"] == []
    stack.clock.advance(4 * DAY)
    assert api.run_job()["reminded"] == []
    # and neither does another organization's invitation: it is not sent, and shows as bounced
    sent_before = len(mails(JAN))
    reply = api.invite("u-gwen", "globex", JAN)
    (created,) = reply.json["results"]
    assert created["status"] == "created"
    other = wait_for(
        lambda: (i := current(created["invitation_id"])).status == "bounced" and i, what="the send to be refused"
    )
    assert "bounced" in [e["event"] for e in other.history]
    assert len(mails(JAN)) == sent_before
    # and the original invitation still expires in time, and its inviter (not Jan) hears of it
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    assert inv.id in api.run_job()["expired"]
    assert len(wait_for(lambda: mails("arno@acme.example", "expired_inviter"), what="the inviter's notice")) == 1
    assert len(mails(JAN)) == sent_before


def test_a_delivery_is_recorded_in_the_history_once(api: Api, stack: Stack) -> None:
    # Given Jan's invitation was delivered, and SNS delivers the event twice
    inv = current(invite_sent(api, JAN))
    event = jobs.ses_event("delivery", mails(JAN)[-1], JAN)
    # When EmailEventsFunction gets it both times
    stack.invoke("EmailEventsFunction", jobs.sns_envelope(event))
    stack.invoke("EmailEventsFunction", jobs.sns_envelope(event))
    # Then the history shows one delivery of the invitation e-mail, and nothing else changed
    delivered = [e for e in current(inv.id).history if e["event"] == "delivered"]
    assert len(delivered) == 1
    assert delivered[0]["mail"] == "invitation" and delivered[0]["message_id"] == mails(JAN)[-1]["message_id"]
    assert current(inv.id).status == "pending"
