"""Reminders, expiry, bounces and complaints over HTTP, driven by the local stack's clock, its scheduled-job
endpoint and its SES-event endpoint, as a person tries them (docs/reminders.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..support import ADMIN, DAY, LINK_TOKEN, Api, delivered, invite_one, invite_sent, wait_for


def one(http: Api, invitation_id: str) -> dict[str, Any]:
    answer = http.invitation(ADMIN, "acme", invitation_id)
    assert answer.status == 200, answer.body
    found: dict[str, Any] = answer.json
    return found


@pytest.fixture(autouse=True)
def clock_put_back(http: Api) -> Iterator[None]:
    """These tests move the shared stack's clock; afterwards it is where it was (for the other e2e tests)."""
    before = http.get("/_local/clock").json["offset_seconds"]
    yield
    after = http.get("/_local/clock").json["offset_seconds"]
    http.advance_clock(before - after)


def test_the_clock_moves_and_says_where_it_is(http: Api) -> None:
    before = http.get("/_local/clock").json
    moved = http.advance_clock(3600)
    assert moved["offset_seconds"] == before["offset_seconds"] + 3600
    assert moved["now"] > before["now"]
    at = http.post("/_local/clock", {"now": "2027-01-15T09:30:00Z"})
    assert at.status == 200 and at.json["now"].startswith("2027-01-15T09:30")
    assert http.get("/_local/clock").json["now"].startswith("2027-01-15T09:3")
    assert http.post("/_local/clock", {"now": "not a time"}).status == 400
    assert http.post("/_local/clock", {"now": "2027-01-15T09:30:00"}).status == 400  # no timezone: no guessing
    assert http.post("/_local/clock", {"advance_seconds": "soon"}).status == 400
    assert http.post("/_local/clock", {}).status == 400


def test_a_reminder_then_the_expiry_then_a_re_invite(http: Api, unique_address: str) -> None:
    # Given an invitation that went out
    invitation_id = invite_sent(http, unique_address, user_type="basic")
    # When the clock moves 3 days on and the scheduled job runs
    http.advance_clock(3 * DAY + 60)
    report = http.run_job()
    # Then the invitee got a reminder, with a link that works
    assert invitation_id in report["reminded"] and report["counts"]["reminded"] >= 1
    (reminder,) = delivered(http, unique_address, "reminder")
    assert "27 days" in reminder["text"]
    token = LINK_TOKEN.search(reminder["text"])
    assert token
    as_invitee = http.invitee(token.group(1))
    assert http.get(f"/invitations/accept?token={token.group(1)}", as_invitee, Accept="application/json").status == 200
    assert "reminded" in [e["event"] for e in one(http, invitation_id)["history"]]
    # and a second run at once sends nothing more
    assert invitation_id not in http.run_job()["reminded"]
    # When 30 days have passed since the send and the job runs
    http.advance_clock(27 * DAY)
    report = http.run_job()
    # Then it expired, the link says so, and the inviter was told
    assert invitation_id in report["expired"]
    assert one(http, invitation_id)["status"] == "expired"
    page = http.get(f"/invitations/accept?token={token.group(1)}&lang=en", Accept="text/html")
    assert page.status == 410
    assert "This invitation has expired; ask Arno Admin to resend it." in page.body
    notices = wait_for(
        lambda: [m for m in http.outbox("arno@acme.example", "expired_inviter") if unique_address in m["text"]],
        what="the inviter's notice",
    )
    assert len(notices) == 1
    # and inviting the same address again works
    assert invite_one(http, unique_address, user_type="basic") != invitation_id


def test_a_hard_bounce_shows_in_the_list_and_stops_the_reminders(http: Api, unique_address: str) -> None:
    # Given an invitation that went out
    invitation_id = invite_sent(http, unique_address, user_type="basic")
    # When SES reports a hard bounce for it
    answer = http.post(
        "/_local/ses-events", {"type": "bounce", "recipient": unique_address, "diagnostic": "smtp; 550 5.1.1 unknown"}
    )
    assert answer.status == 200, answer.body
    assert answer.json["result"]["results"][0]["actions"] == [f"bounced:{unique_address}"]
    # Then the admin sees it among the bounced invitations, with the reason
    listed = http.get("/accounts/acme/invitations?status=bounced&limit=200", ADMIN).json["invitations"]
    (shown,) = [i for i in listed if i["id"] == invitation_id]
    assert [e.get("reason") for e in shown["history"] if e["event"] == "bounced"] == ["smtp; 550 5.1.1 unknown"]
    # and no reminder goes to that address
    http.advance_clock(3 * DAY + 60)
    assert invitation_id not in http.run_job()["reminded"]
    assert http.outbox(unique_address, "reminder") == []


def test_a_complaint_stops_all_mail_and_a_delivery_is_in_the_history(http: Api, unique_address: str) -> None:
    # Given an invitation that was delivered
    invitation_id = invite_sent(http, unique_address, user_type="basic")
    assert http.post("/_local/ses-events", {"type": "delivery", "recipient": unique_address}).status == 200
    assert "delivered" in [e["event"] for e in one(http, invitation_id)["history"]]
    # When the invitee marks it as spam
    answer = http.post("/_local/ses-events", {"type": "complaint", "recipient": unique_address})
    assert answer.status == 200, answer.body
    # Then its history says so, and no reminder goes out, now or later
    assert "complained" in [e["event"] for e in one(http, invitation_id)["history"]]
    sent = len(http.outbox(unique_address))
    for _ in range(2):
        http.advance_clock(4 * DAY)
        assert invitation_id not in http.run_job()["reminded"]
    assert len(http.outbox(unique_address)) == sent


def test_the_levers_refuse_what_they_cannot_do(http: Api) -> None:
    assert http.post("/_local/ses-events", {"type": "bounce", "recipient": "nobody@nowhere.example"}).status == 404
    assert http.post("/_local/ses-events", {"type": "open", "recipient": "x@example.org"}).status == 400
    assert http.get("/_local/jobs/remind").status == 405
