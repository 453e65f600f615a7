"""The rules of the invitation's options (invitations.py, reminders.py; pure): which redirect is allowed, what
a personal message may hold, and that an invitation created without e-mail gets no reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paid_invites import reminders
from paid_invites.errors import ValidationFailed
from paid_invites.invitations import (
    allowed_origins,
    check_message,
    check_redirect,
    message_lines,
    origin_of,
    redirect_after_accept,
)

from ..support.builders import NOW, invitation

ORIGINS = allowed_origins(" https://App.example.com/ ,http://localhost:8080,, https://eu.example.com:443")


def test_the_setting_names_origins_as_scheme_host_and_port() -> None:
    assert allowed_origins(" https://App.example.com/ ,http://localhost:8080,, https://eu.example.com:443") == {
        "https://app.example.com",
        "http://localhost:8080",
        "https://eu.example.com",
    }
    assert allowed_origins("") == frozenset()


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com",
        "https://app.example.com/welcome?from=invite#top",
        "HTTPS://APP.EXAMPLE.COM:443/x",
        "http://localhost:8080/",
        "https://eu.example.com/",
    ],
)
def test_a_url_on_an_allowed_origin_is_kept_as_given(url: str) -> None:
    assert check_redirect(url, ORIGINS) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example.com/",  # another scheme is another origin
        "https://app.example.com:8443/",
        "https://app.example.com.evil.example/",
        "https://app.example.com@evil.example/",
        "https://user:pw@app.example.com/",
        "https://evil.example/?next=https://app.example.com",
        "javascript:alert(1)//https://app.example.com",
        "data:text/html,hi",
        "//app.example.com/",
        "/welcome",
        "https://app.example.com/\nSet-Cookie: x=1",
        "https://app.example.com\\@evil.example/",
        "https://app.example.com:99999/",
        "https://app.example.com/" + "a" * 2048,
    ],
)
def test_any_other_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_redirect(url, ORIGINS)
    assert refused.value.code == "redirect_not_allowed"


def test_no_url_is_no_redirect_and_without_origins_none_is_allowed() -> None:
    assert check_redirect(None, frozenset()) is None and check_redirect("", frozenset()) is None
    with pytest.raises(ValidationFailed):
        check_redirect("https://app.example.com/", frozenset())


def test_a_stored_redirect_is_followed_only_while_its_origin_is_allowed() -> None:
    inv = invitation(redirect_url="https://app.example.com/welcome")
    assert redirect_after_accept(inv, "https://app.example.com") == "https://app.example.com/welcome"
    assert redirect_after_accept(inv, "https://other.example.com") is None
    assert redirect_after_accept(invitation(), "https://app.example.com") is None


def test_origin_of_reads_ipv6_hosts_and_drops_default_ports() -> None:
    assert origin_of("http://[::1]:8080/x") == "http://[::1]:8080"
    assert origin_of("https://[::1]:443/") == "https://[::1]"
    assert origin_of("mailto:a@b.example") is None


def test_a_message_keeps_its_line_breaks_and_drops_surrounding_blank_space() -> None:
    assert check_message("  Hi Jan,\r\nsee you <b>soon</b> {{ x }}\n ") == "Hi Jan,\nsee you <b>soon</b> {{ x }}"
    assert check_message(None) == "" and check_message("   ") == ""
    assert check_message("é" * 500) == "é" * 500


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x" * 501, "message_too_long"),
        ("tab\there", "invalid_message"),
        ("bell\a", "invalid_message"),
        ("lone\rreturn", "invalid_message"),
        ("c1\x85control", "invalid_message"),
        ("line\u2028separator", "invalid_message"),
    ],
)
def test_a_message_too_long_or_with_control_characters_is_refused(text: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_message(text)
    assert refused.value.code == code


def test_the_message_is_shown_line_by_line() -> None:
    assert message_lines(invitation(message="one\n\nthree")) == ["one", "", "three"]
    assert message_lines(invitation()) == []


def test_an_invitation_created_without_email_gets_no_reminders_only_its_expiry() -> None:
    plan = reminders.cadence("3,7", 2, 30 * 24 * 3600)
    mailed = invitation(created_at=NOW, sent_at=NOW)
    unmailed = invitation(created_at=NOW, sent_at=NOW, send_email=False)
    later = NOW + timedelta(days=4)
    assert reminders.decide(mailed, later, plan).kind == "remind"
    step = reminders.decide(unmailed, later, plan)
    assert step.kind == "reschedule" and step.due_at == unmailed.expires_at
    assert reminders.planned_due(unmailed, plan) == unmailed.expires_at
