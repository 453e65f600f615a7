"""The invitation's options, through the API: no e-mail of ours (the accept link goes back to the admin once),
a redirect after accepting (only to an origin of RedirectOrigins), and the inviter's personal message
(escaped wherever it is shown, at most 500 characters)."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from local.stack import Stack
from paid_invites import clock
from paid_invites.config import get_settings
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from paid_invites.store import sends

from ..support import (
    ACCOUNT,
    ADMIN,
    DAY,
    FLEUR,
    LINK_TOKEN,
    Api,
    current,
    events,
    finished,
    invitation_token,
    mail_to,
    mails,
    task_submitted,
)

APP = "https://app.example.com"
HOSTILE = "Hi Fleur <script>alert(1)</script>\n{{ 7 * 7 }} & {% if true %}x{% endif %}"


@pytest.fixture
def parameters() -> dict[str, str]:
    return {"RedirectOrigins": f"{APP},http://localhost:8080"}


def only_result(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    (result,) = reply.json["results"]
    assert result["status"] == "created", result
    return dict(result)


def token_in(url: str) -> str:
    found = LINK_TOKEN.search(url)
    assert found, url
    return found.group(1)


def invite_without_email(api: Api, email: str = FLEUR, **options: Any) -> tuple[str, str]:
    """Invite ``email`` without e-mail and wait until its workflow waits for the invitee: (id, link token)."""
    result = only_result(api.invite(ADMIN, ACCOUNT, email, send_email=False, **options))
    task_submitted(result["invitation_id"])
    return result["invitation_id"], token_in(result["accept_url"])


# ---------------------------------------------------------------- no e-mail


def test_without_email_nothing_is_mailed_and_the_answered_link_accepts(api: Api, stack: Stack) -> None:
    # Given an admin who invites Fleur without our e-mail
    reply = api.invite(ADMIN, ACCOUNT, FLEUR, send_email=False)
    # When the invitation is created and its workflow waits for her
    result = only_result(reply)
    invitation_id = result["invitation_id"]
    task_submitted(invitation_id)
    # Then the answer carries the accept link, and no e-mail went to her
    assert result["accept_url"].startswith(get_settings().accept_base_url + "?token=")
    assert mails(FLEUR) == []
    stored = current(invitation_id)
    assert stored.send_email is False and stored.sent_at is not None
    token = token_in(result["accept_url"])
    assert token.split(".")[1] not in json.dumps(stored.__dict__, default=str)  # only its hash is kept
    # and the link works: the page, then the accept, through the same workflow
    assert api.open_link(token).status == 200
    accepted = api.accept(token, as_json=True)
    assert accepted.status == 200, accepted.body
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert mails(FLEUR) == []


def test_the_link_is_never_shown_again_by_get_or_list(api: Api, stack: Stack) -> None:
    # Given an invitation created without e-mail
    invitation_id, token = invite_without_email(api)
    secret = token.split(".")[1]
    # When the admin reads it, and the list of pending invitations
    one = api.invitation(ADMIN, ACCOUNT, invitation_id)
    listed = api.call("GET", f"/accounts/{ACCOUNT}/invitations", caller=ADMIN)
    # Then neither shows the link (nor its secret), and the invitation says it is not e-mailed
    assert one.status == 200 and listed.status == 200
    assert secret not in one.body and secret not in listed.body
    assert "accept_url" not in one.json
    assert one.json["send_email"] is False
    assert [e["event"] for e in one.json["history"]] == ["created"]


def test_resend_without_email_answers_a_new_link_once_and_the_old_one_stops(api: Api, stack: Stack) -> None:
    # Given an invitation created without e-mail, its link handed over
    invitation_id, old = invite_without_email(api)
    # When the admin resends it (no cool-down: nothing is mailed)
    reply = api.resend(ADMIN, ACCOUNT, invitation_id)
    # Then the answer carries a new link, nothing is mailed, and only the new link works
    assert reply.status == 200, reply.body
    new = token_in(reply.json["accept_url"])
    assert new != old
    assert mails(FLEUR) == []
    assert api.open_link(old).status == 404
    assert api.open_link(new).status == 200
    assert events(invitation_id) == ["created", "resent"]
    # and the invitation read again does not show it
    assert new.split(".")[1] not in api.invitation(ADMIN, ACCOUNT, invitation_id).body
    assert api.accept(new, as_json=True).status == 200


def test_an_idempotent_replay_does_not_repeat_the_link_and_stores_it_nowhere(api: Api, stack: Stack) -> None:
    # Given a request without e-mail sent with an Idempotency-Key
    key = {"Idempotency-Key": "no-mail-1"}
    first = only_result(api.invite(ADMIN, ACCOUNT, FLEUR, send_email=False, headers=key))
    # When the same request is sent again with the same key
    again = only_result(api.invite(ADMIN, ACCOUNT, FLEUR, send_email=False, headers=key))
    # Then the replay names the same invitation without its link, and says so
    assert again["invitation_id"] == first["invitation_id"]
    assert "accept_url" not in again and again["warnings"] == ["link_not_repeated"]
    assert "link_not_repeated" not in first.get("warnings", [])
    # and the stored answer holds no link
    table = boto3.client("dynamodb").scan(TableName=get_settings().idempotency_table)["Items"]
    assert table and token_in(first["accept_url"]).split(".")[1] not in json.dumps(table)
    # and a resend's replay does not repeat its new link either
    resend_key = {"Idempotency-Key": "resend-1"}
    path = f"/accounts/{ACCOUNT}/invitations/{first['invitation_id']}/resend"
    resent = api.json_call("POST", path, caller=ADMIN, **resend_key)
    replayed = api.json_call("POST", path, caller=ADMIN, **resend_key)
    assert resent.status == replayed.status == 200
    assert "accept_url" in resent.json and "accept_url" not in replayed.json


def test_a_resend_racing_the_workflows_send_step_still_answers_a_new_link(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an invitation created without e-mail whose workflow has not taken its task yet
    result = only_result(api.invite(ADMIN, ACCOUNT, FLEUR, send_email=False))
    invitation_id = result["invitation_id"]
    task_submitted(invitation_id)
    first_write = sends.rotate_link
    raced: list[str] = []

    def send_step_first(inv: Any, *args: Any, **kwargs: Any) -> Any:
        if not raced:  # the send step writes between the resend's read and its write
            raced.append(inv.id)
            repo.update_invitation(inv.id, [m.InvitationModel.sent_at.set(clock.now())])
        return first_write(inv, *args, **kwargs)

    monkeypatch.setattr(sends, "rotate_link", send_step_first)
    # When the admin resends it
    resent = api.json_call("POST", f"/accounts/{ACCOUNT}/invitations/{invitation_id}/resend", caller=ADMIN)
    # Then the resend lost its first write, read the invitation again and answered a new link that accepts
    assert raced == [invitation_id]
    assert resent.status == 200, resent.body
    new_token = token_in(resent.json["accept_url"])
    assert new_token != token_in(result["accept_url"])
    assert api.accept(new_token, as_json=True).status == 200


def test_reminders_never_mail_an_invitation_created_without_email(api: Api, stack: Stack) -> None:
    # Given an invitation created without e-mail
    invitation_id, _ = invite_without_email(api)
    # When the days of both reminders pass and the scheduled job runs each time
    for days in (4, 4):
        stack.clock.advance(days * DAY)
        report = api.run_job()
        assert invitation_id not in report["reminded"]
    # Then nothing went to the invitee, and the invitation still expires at the end of its lifetime
    assert mails(FLEUR) == []
    stack.clock.advance(30 * DAY)
    assert invitation_id in api.run_job()["expired"]
    assert mails(FLEUR) == []


# ---------------------------------------------------------------- redirect after accepting


def test_an_allowed_redirect_is_where_the_accept_sends_the_invitee(api: Api, stack: Stack) -> None:
    # Given an invitation whose redirect_url is on an allowed origin
    target = f"{APP}/welcome?from=invite&x=<b>"
    invitation_id, token = invite_without_email(api, redirect_url=target)
    assert api.invitation(ADMIN, ACCOUNT, invitation_id).json["redirect_url"] == target
    # When the invitee accepts on the page
    page = api.accept(token)
    # Then the result page links on to it (escaped), as a button
    assert page.status == 200, page.body
    link = re.search(r'<a class="button primary" id="continue" href="([^"]+)"', page.body)
    assert link and link.group(1) == target.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # and the JSON answer of the accept names it (a repeated submit too)
    assert api.accept(token, as_json=True).json["redirect_url"] == target


def test_without_a_redirect_the_result_page_says_to_close_it(api: Api, stack: Stack) -> None:
    _, token = invite_without_email(api)
    page = api.accept(token, lang="en")
    assert page.status == 200 and 'id="continue"' not in page.body and "close this page" in page.body
    assert api.accept(token, as_json=True).json["redirect_url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/welcome",
        "https://app.example.com.evil.example/",
        "https://app.example.com@evil.example/",
        "https://app.example.com:8443/",
        "ftp://app.example.com/",
        "javascript:alert(1)",
        "/welcome",
        f"{APP}/{'a' * 2048}",
    ],
)
def test_a_redirect_off_the_allowed_origins_is_refused_and_nothing_is_created(api: Api, stack: Stack, url: str) -> None:
    reply = api.invite(ADMIN, ACCOUNT, FLEUR, redirect_url=url)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] in ("redirect_not_allowed", "validation_failed")
    if len(url) <= 2048:
        assert reply.json["error"]["code"] == "redirect_not_allowed"
    listed = api.call("GET", f"/accounts/{ACCOUNT}/invitations", caller=ADMIN)
    assert listed.json["invitations"] == []


class TestNoOriginsAllowed:
    @pytest.fixture
    def parameters(self) -> dict[str, str]:
        return {}

    def test_by_default_no_redirect_is_allowed(self, api: Api, stack: Stack) -> None:
        reply = api.invite(ADMIN, ACCOUNT, FLEUR, redirect_url=f"{APP}/welcome")
        assert reply.status == 400 and reply.json["error"]["code"] == "redirect_not_allowed"


# ---------------------------------------------------------------- the personal message


def test_the_message_is_shown_escaped_in_the_mail_the_page_and_the_reminder(api: Api, stack: Stack) -> None:
    # Given an invitation e-mailed with a message that holds markup and template syntax
    result = only_result(api.invite(ADMIN, ACCOUNT, FLEUR, message=HOSTILE))
    assert "accept_url" not in result  # an e-mailed invitation's link is in the e-mail only
    (mail,) = mail_to(FLEUR)
    token = invitation_token(FLEUR)
    # Then the e-mail shows it as text: escaped in HTML, never evaluated, line breaks kept
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail["html"] and "<script>" not in mail["html"]
    assert "{{ 7 * 7 }} &amp; {% if true %}x{% endif %}" in mail["html"]
    assert "49" not in mail["html"].replace(token, "<token>")  # the random token may hold the digits
    assert "alert(1)&lt;/script&gt;<br>{{ 7 * 7 }}" in mail["html"]
    assert "> Hi Fleur <script>alert(1)</script>\n> {{ 7 * 7 }} & {% if true %}x{% endif %}" in mail["text"]
    # and the invitee's page shows it escaped too
    page = api.open_link(token, lang="en")
    assert page.status == 200
    assert 'id="message"' in page.body and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    assert "<script>alert" not in page.body and "{{ 7 * 7 }}" in page.body
    # but not someone signed out holding the link
    assert 'id="message"' not in api.open_link(token, signed_in=None, lang="en").body
    # and the reminder carries it as well
    stack.clock.advance(3 * DAY + 60)
    assert api.run_job()["reminded"] == [result["invitation_id"]]
    reminder = mail_to(FLEUR, kind="reminder")[-1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reminder["html"] and "<script>" not in reminder["html"]
    # and the admin reads it back as it was sent
    assert api.invitation(ADMIN, ACCOUNT, result["invitation_id"]).json["message"] == HOSTILE


def test_a_message_of_500_characters_is_taken_and_501_are_refused(api: Api, stack: Stack) -> None:
    longest = "x" * 499 + "é"
    assert only_result(api.invite(ADMIN, ACCOUNT, FLEUR, message=longest, send_email=False))
    refused = api.invite(ADMIN, ACCOUNT, "someone@else.example", message=longest + "y")
    assert refused.status == 400, refused.body
    assert [
        e["email"] for e in api.call("GET", f"/accounts/{ACCOUNT}/invitations", caller=ADMIN).json["invitations"]
    ] == [FLEUR]


@pytest.mark.parametrize("text", ["bell\a", "tab\there", "nul\x00", "escape\x1b[31m", "line\u2028separator"])
def test_a_message_with_control_characters_is_refused(api: Api, stack: Stack, text: str) -> None:
    reply = api.invite(ADMIN, ACCOUNT, FLEUR, message=text)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] == "invalid_message"
    assert mails(FLEUR) == []
