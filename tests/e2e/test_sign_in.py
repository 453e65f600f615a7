"""Signing in to accept, over HTTP against a started local stack: the link, the local stand-in for the managed
login (code flow with PKCE), the callback's session cookie, the page's CSRF token, and what the accept requires."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from ..support import ADMIN, LINK_TOKEN, Api, Browser, delivered, invite_sent


@pytest.fixture
def clock_put_back(http: Api) -> Iterator[None]:
    before = http.get("/_local/clock").json["offset_seconds"]
    yield
    http.advance_clock(before - http.get("/_local/clock").json["offset_seconds"])


def invited(http: Api, address: str) -> str:
    """Invite a new person; the token of their link."""
    invite_sent(http, address, user_type="basic")
    (mail,) = delivered(http, address, "invitation")
    found = LINK_TOKEN.search(mail["text"])
    assert found
    return found.group(1)


def test_a_new_person_signs_up_through_the_managed_login_and_accepts_with_the_session(
    http: Api, unique_address: str
) -> None:
    # Given a person new to the platform is invited, and opens the link in a browser
    token = invited(http, unique_address)
    browser = Browser(http)
    first = browser.open(token, lang="en")
    assert first.status == 401 and "Sign in to accept" in first.body
    # When they create their account with the invited address at the managed login and come back
    page = browser.sign_in(token, unique_address, "New-pass-1", create=True)
    # Then the page is theirs: the accept form, with a CSRF token, and no token in any URL they saw after it
    assert page.status == 200, page.body
    assert 'name="csrf"' in page.body and unique_address in page.body
    assert set(browser.jar) == {"invite_session"}  # the login cookie is gone, the session is there
    # When the form is posted without its CSRF token, or with another one
    without = browser.accept(token, lang="en")
    wrong = browser.accept(token, lang="en", csrf="not-it")
    # Then each is 403 and nothing happened
    assert without.status == wrong.status == 403
    assert http.accept(token, signed_in=None, as_json=True).status == 401
    # When it is posted with the page's CSRF token
    accepted = browser.accept(token, as_json=True, csrf=browser.csrf(page))
    # Then they joined, once; a repeat answers the same
    assert accepted.status == 200, accepted.body
    assert accepted.json["status"] == "accepted"
    again = browser.accept(token, as_json=True, csrf=browser.csrf(page))
    assert again.status == 200 and again.json == accepted.json
    member = [u for u in http.get("/_local/users?account_id=acme").json if u["email"] == unique_address]
    assert len(member) == 1


def test_the_forwarded_link_opened_signed_in_as_someone_else_is_refused_and_changes_nothing(
    http: Api, unique_address: str
) -> None:
    # Given an invitation is out, and Fleur (another platform user) has the forwarded e-mail
    token = invited(http, unique_address)
    browser = Browser(http)
    # When she signs in as herself from the link
    page = browser.sign_in(token, "fleur@bakker.example")
    # Then the page says she is someone else, naming both masked addresses, and offers the right sign-in
    assert page.status == 403
    assert "f***@bakker.example" in page.body and f"{unique_address[0]}***@example.org" in page.body
    # and her posting is refused (with the page's own session), nothing changed
    posted = browser.accept(token, as_json=True, csrf="x")
    assert posted.status == 403
    listed = http.json_call("GET", "/accounts/acme/invitations?status=pending&limit=100", caller=ADMIN).json
    assert any(inv["email"] == unique_address for inv in listed["invitations"])


def test_a_session_that_ended_between_page_and_post_signs_in_again_and_keeps_the_choice(
    http: Api, unique_address: str, clock_put_back: None
) -> None:
    # Given the invitee signed in and has the page open
    token = invited(http, unique_address)
    browser = Browser(http)
    page = browser.sign_in(token, unique_address, "New-pass-1", create=True)
    assert page.status == 200
    # When the session ends (31 minutes later) and the form is posted with a choice
    http.advance_clock(31 * 60)
    posted = browser.accept(token, "refund", lang="en", csrf=browser.csrf(page))
    # Then it is 401: the page with the sign-in action, which keeps the choice made
    assert posted.status == 401 and "Sign in to accept" in posted.body
    assert "settlement=refund" in posted.body
    # and signing in again comes back to the same link and choice
    back = browser.sign_in(token, unique_address, "New-pass-1", settlement="refund")
    assert back.status == 200 and 'name="csrf"' in back.body


def test_a_callback_not_begun_in_this_browser_is_refused(http: Api, unique_address: str) -> None:
    # Given one browser began signing in, and its authorization request was answered
    token = invited(http, unique_address)
    started = Browser(http).open(token, sign_in="1")
    query = dict(parse_qsl(urlsplit(started.location).query))
    # When another browser (no login cookie) arrives at the callback with that state, or a wrong state
    stranger = Browser(http)
    other = stranger.send("GET", f"/invitations/accept?code=abc&state={query['state']}")
    # Then it is refused: 400, no session
    assert other.status == 400 and "invite_session" not in stranger.jar
    # and in the right browser a state that is not its own is refused too
    browser = Browser(http)
    browser.open(token, sign_in="1")
    wrong = browser.send("GET", "/invitations/accept?code=abc&state=not-mine")
    assert wrong.status == 400 and "invite_session" not in browser.jar


def test_the_local_sign_in_answers_an_id_token_and_refuses_a_wrong_password(http: Api) -> None:
    ok = http.post("/_local/sign-in", {"email": "arno@acme.example", "password": "Local-pass-1"})
    assert ok.status == 200 and ok.json["id_token"].count(".") == 2
    assert http.post("/_local/sign-in", {"email": "arno@acme.example", "password": "nope"}).status == 401
    assert http.call("GET", "/accounts/acme", headers={"Authorization": ok.json["id_token"]}).status == 200
