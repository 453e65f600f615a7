"""Reminders, expiry, bounces and complaints over HTTP, driven by the local stack's clock, its scheduled-job
endpoint and its SES-event endpoint, as a person tries them (docs/reminders.md)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.client import Http, wait_for

ADMIN = "u-arno"  # Arno Admin of Acme B.V.
DAY = 24 * 3600
TOKEN = re.compile(r"token=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})")


def invite(http: Http, address: str) -> str:
    answer = http.post("/accounts/acme/invitations", {"invitees": [{"email": address, "user_type": "basic"}]}, ADMIN)
    assert answer.status == 200, answer.body
    (result,) = answer.json["results"]
    assert result["status"] == "created", result
    invitation_id = str(result["invitation_id"])
    wait_for_mail(http, address, "invitation")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the cadence starts when the send is recorded
        if one(http, invitation_id)["sent_at"]:
            return invitation_id
        time.sleep(0.1)
    raise AssertionError("the invitation e-mail was never recorded")


def one(http: Http, invitation_id: str) -> dict[str, Any]:
    answer = http.get(f"/accounts/acme/invitations/{invitation_id}", ADMIN)
    assert answer.status == 200, answer.body
    found: dict[str, Any] = answer.json
    return found


def outbox(http: Http, address: str, kind: str | None = None) -> list[dict[str, Any]]:
    mails = http.get("/_local/outbox").json
    return [m for m in mails if m["to"] == address and (kind is None or m.get("tags", {}).get("kind") == kind)]


def wait_for_mail(http: Http, address: str, kind: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = outbox(http, address, kind)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {kind} e-mail to {address}")


def advance(http: Http, seconds: float) -> dict[str, Any]:
    answer = http.post("/_local/clock", {"advance_seconds": seconds})
    assert answer.status == 200, answer.body
    moved: dict[str, Any] = answer.json
    return moved


def run_job(http: Http) -> dict[str, Any]:
    answer = http.post("/_local/jobs/remind")
    assert answer.status == 200, answer.body
    report: dict[str, Any] = answer.json
    assert set(report) == {"reminded", "expired", "counts"}
    return report


@pytest.fixture(autouse=True)
def clock_put_back(http: Http) -> Iterator[None]:
    """These tests move the shared stack's clock; afterwards it is where it was (for the other e2e tests)."""
    before = http.get("/_local/clock").json["offset_seconds"]
    yield
    after = http.get("/_local/clock").json["offset_seconds"]
    advance(http, before - after)


def test_the_clock_moves_and_says_where_it_is(http: Http) -> None:
    before = http.get("/_local/clock").json
    moved = advance(http, 3600)
    assert moved["offset_seconds"] == before["offset_seconds"] + 3600
    assert moved["now"] > before["now"]
    at = http.post("/_local/clock", {"now": "2027-01-15T09:30:00Z"})
    assert at.status == 200 and at.json["now"].startswith("2027-01-15T09:30")
    assert http.get("/_local/clock").json["now"].startswith("2027-01-15T09:3")
    assert http.post("/_local/clock", {"now": "not a time"}).status == 400
    assert http.post("/_local/clock", {"now": "2027-01-15T09:30:00"}).status == 400  # no timezone: no guessing
    assert http.post("/_local/clock", {"advance_seconds": "soon"}).status == 400
    assert http.post("/_local/clock", {}).status == 400


def test_a_reminder_then_the_expiry_then_a_re_invite(http: Http, unique_address: str) -> None:
    # Given an invitation that went out
    invitation_id = invite(http, unique_address)
    # When the clock moves 3 days on and the scheduled job runs
    advance(http, 3 * DAY + 60)
    report = run_job(http)
    # Then the invitee got a reminder, with a link that works
    assert invitation_id in report["reminded"] and report["counts"]["reminded"] >= 1
    (reminder,) = wait_for_mail(http, unique_address, "reminder")
    assert "27 days" in reminder["text"]
    token = TOKEN.search(reminder["text"])
    assert token
    assert http.get(f"/invitations/accept?token={token.group(1)}", Accept="application/json").status == 200
    assert "reminded" in [e["event"] for e in one(http, invitation_id)["history"]]
    # and a second run at once sends nothing more
    assert invitation_id not in run_job(http)["reminded"]
    # When 30 days have passed since the send and the job runs
    advance(http, 27 * DAY)
    report = run_job(http)
    # Then it expired, the link says so, and the inviter was told
    assert invitation_id in report["expired"]
    assert one(http, invitation_id)["status"] == "expired"
    page = http.get(f"/invitations/accept?token={token.group(1)}&lang=en", Accept="text/html")
    assert page.status == 410
    assert "This invitation has expired; ask Arno Admin to resend it." in page.body
    notices = wait_for(
        lambda: [m for m in outbox(http, "arno@acme.example", "expired_inviter") if unique_address in m["text"]],
        what="the inviter's notice",
    )
    assert len(notices) == 1
    # and inviting the same address again works
    again = http.post(
        "/accounts/acme/invitations", {"invitees": [{"email": unique_address, "user_type": "basic"}]}, ADMIN
    )
    (result,) = again.json["results"]
    assert result["status"] == "created" and result["invitation_id"] != invitation_id


def test_a_hard_bounce_shows_in_the_list_and_stops_the_reminders(http: Http, unique_address: str) -> None:
    # Given an invitation that went out
    invitation_id = invite(http, unique_address)
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
    advance(http, 3 * DAY + 60)
    assert invitation_id not in run_job(http)["reminded"]
    assert outbox(http, unique_address, "reminder") == []


def test_a_complaint_stops_all_mail_and_a_delivery_is_in_the_history(http: Http, unique_address: str) -> None:
    # Given an invitation that was delivered
    invitation_id = invite(http, unique_address)
    assert http.post("/_local/ses-events", {"type": "delivery", "recipient": unique_address}).status == 200
    assert "delivered" in [e["event"] for e in one(http, invitation_id)["history"]]
    # When the invitee marks it as spam
    answer = http.post("/_local/ses-events", {"type": "complaint", "recipient": unique_address})
    assert answer.status == 200, answer.body
    # Then its history says so, and no reminder goes out, now or later
    assert "complained" in [e["event"] for e in one(http, invitation_id)["history"]]
    sent = len(outbox(http, unique_address))
    for _ in range(2):
        advance(http, 4 * DAY)
        assert invitation_id not in run_job(http)["reminded"]
    assert len(outbox(http, unique_address)) == sent


def test_the_levers_refuse_what_they_cannot_do(http: Http) -> None:
    assert http.post("/_local/ses-events", {"type": "bounce", "recipient": "nobody@nowhere.example"}).status == 404
    assert http.post("/_local/ses-events", {"type": "open", "recipient": "x@example.org"}).status == 400
    assert http.get("/_local/jobs/remind").status == 405
