"""Signing in to accept, in Chromium: the link, the local stand-in for Cognito's managed login, back to the choice;
the forwarded link opened by someone else signed in changes nothing; a new person signs up and joins."""

from __future__ import annotations

from collections.abc import Callable

from ..support import PASSWORD, Api, invitation_link, invite_one, wait_for
from ..support.browser import Tab, signs_in


def invited(live: str, email: str, user_type: str = "licensed") -> str:
    api = Api.over_http(live)
    invite_one(api, email, "u-olga", "acme", user_type=user_type, role="member")
    return invitation_link(api, email)


def pending(live: str, email: str) -> bool:
    path = "/accounts/acme/invitations?status=pending&limit=100"
    listed = Api.over_http(live).json_call("GET", path, caller="u-olga")
    return any(inv["email"] == email for inv in listed.json["invitations"])


def test_the_link_signs_in_then_chooses_then_accepts(live: str, open_tab: Callable[..., Tab]) -> None:
    # Given Noor (paying for her own plan) is invited and opens the link, not signed in
    link = invited(live, "noor@bos.example")
    tab = open_tab(live)
    first = tab.page.goto(link + "&lang=en")
    # Then she sees the invitation for her masked address, no money, and one action
    assert first is not None and first.status == 401
    assert "n***@bos.example" in tab.text() and "€" not in tab.text()
    assert tab.page.locator("input[name=settlement]").count() == 0
    tab.check("accept-signed-out-en")
    # When she signs in at the managed login
    landed = signs_in(tab, "noor@bos.example", PASSWORD)
    # Then she is back on her invitation with the choice, and accepts with a refund
    assert landed is not None and landed.status == 200
    assert "noor@bos.example" in tab.text() and "€" in tab.text()
    tab.page.check("#settlement-refund")
    tab.page.click("button.primary")
    tab.page.wait_for_selector("p.ok")
    assert "A refund of €" in tab.text()


def test_the_forwarded_link_signed_in_as_someone_else_is_refused_and_changes_nothing(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given Bram is invited, and his e-mail was forwarded to Fleur
    link = invited(live, "bram@dijk.example")
    tab = open_tab(live)
    tab.page.goto(link + "&lang=en")
    # When Fleur signs in as herself from the link
    landed = signs_in(tab, "fleur@bakker.example", PASSWORD)
    # Then the page says she is someone else, names both masked addresses, shows no money and no form
    assert landed is not None and landed.status == 403
    text = tab.text()
    assert "You are signed in as someone else" in text
    assert "f***@bakker.example" in text and "b***@dijk.example" in text and "€" not in text
    assert tab.page.locator("form.accept").count() == 0
    assert tab.page.locator("#sign-in").inner_text() == "Sign in as b***@dijk.example"
    tab.check("accept-wrong-account-en")
    # and the invitation is still pending
    assert pending(live, "bram@dijk.example")


def test_a_new_person_creates_an_account_with_the_invited_address_and_joins(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given someone new to the platform is invited
    address = "nieuwkomer@voorbeeld.example"
    link = invited(live, address, user_type="basic")
    tab = open_tab(live)
    tab.page.goto(link + "&lang=en")
    # When they create their account with the invited address at the managed login and accept
    landed = signs_in(tab, address, "Nieuw-pass-1", create=True)
    assert landed is not None and landed.status == 200
    tab.page.click("button.primary")
    tab.page.wait_for_selector("p.ok")
    # Then they are a member of Acme
    members = Api.over_http(live).get("/_local/users?account_id=acme").json
    assert wait_for(lambda: [m for m in members if m["email"] == address] or None, 5, "the new member")
