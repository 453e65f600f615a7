"""The product in a real browser: the console, the mailbox, the accept pages, against the local stack."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Response

from ..support import PASSWORD, Api, delivered, invitation_link, invite_one, invite_sent, wait_for
from ..support.browser import AMOUNT, PHONE, Tab, minor_units, signs_in


def sign_in(tab: Tab, base: str, user_id: str, where: str = "users") -> None:
    tab.page.goto(f"{base}/#{where}")
    tab.page.select_option("#who", user_id)
    tab.page.wait_for_selector(".flash:has-text('Signed in as')")


def offer(base: str, link: str) -> dict[str, Any]:
    """What the confirm page offers, from the same handler's JSON answer (signed in as the invitee)."""
    api = Api.over_http(base)
    token = link.partition("token=")[2].partition("&")[0]
    reply = api.get(link.removeprefix(base), api.invitee(token))
    assert reply.status == 200, reply.body
    assert reply.json["offer"], reply.body
    return dict(reply.json["offer"])


def ledger_of(base: str, kind: str, user_id: str) -> list[dict[str, object]]:
    """Acme's ledger entries of one ``kind`` for one user."""
    entries = Api.over_http(base).summary("u-olga", "acme").json["ledger"]
    return [e for e in entries if e["kind"] == kind and e["user_id"] == user_id]


def invited_link(base: str, email: str) -> str:
    """Olga invites ``email`` to Acme as a licensed member: the link in the invitation e-mail."""
    api = Api.over_http(base)
    invite_one(api, email, "u-olga", "acme", user_type="licensed", role="member")
    return invitation_link(api, email)


def invitee_opens(live: str, open_tab: Callable[..., Tab], email: str, **options: Any) -> tuple[Tab, Response | None]:
    """Olga invites ``email``, who opens the link in a tab of their own (``options``: its browser context's) and
    signs in from it: the tab, and the answer to the link once signed in."""
    link = invited_link(live, email)
    tab = open_tab(live, **options)
    first = tab.page.goto(link)
    assert first is not None and first.status == 401, "the link shows the sign-in first"
    return tab, signs_in(tab, email, PASSWORD)


def test_an_admin_invites_two_people_and_one_accepts_with_credit_from_the_mailbox(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(live)
    page = tab.page
    credit_before = Api.over_http(live).summary("u-olga", "acme").json["credit"]["amount_minor"]

    # Given Arno, an admin of Acme, signed in to the console
    sign_in(tab, live, "u-arno")
    tab.check("console-users")
    assert "Olga Owner" in tab.text("#list")

    # When he adds two people at once, licensed members
    page.click("#add-link")
    page.fill("#emails", "jan@devries.example,\nnewcomer@example.org")
    page.check("#type-licensed")
    page.select_option("#role", "member")
    page.click("#add-form button[type=submit]")
    page.wait_for_selector("#add-results table")
    # Then each address gets its own result
    results = tab.text("#add-results")
    assert "2 of 2 invited" in results
    assert "jan@devries.example" in results and "newcomer@example.org" in results
    tab.check("console-add-users")

    # and both are pending, each with its history
    page.click("#add-results a[href='#pending']")
    page.wait_for_selector("#list tr:has-text('newcomer@example.org')")
    page.click("#list tr:has-text('jan@devries.example') button:has-text('History')")
    page.wait_for_selector("#history:not([hidden]) li")
    assert "Created" in tab.text("#history") and "Arno Admin" in tab.text("#history")
    tab.check("console-pending")

    # When the mailbox shows Jan's invitation and he follows its link, in this same browser
    page.click(".sections a[data-section=mailbox]")
    page.locator("#mail-list button", has_text="jan@devries.example").first.click()
    frame = page.frame_locator("iframe.mail-frame")
    frame.get_by_role("link", name="Uitnodiging accepteren").wait_for()
    tab.check("console-mailbox")
    link = page.get_attribute(".links a", "href")
    assert link
    before = offer(live, link)["amount"]["amount_minor"]
    frame.get_by_role("link", name="Uitnodiging accepteren").click()
    page.wait_for_url("**/invitations/accept?token=*")
    # Then he is asked to sign in first (the money is for him only), and does so at the managed login
    assert "€" not in tab.text() and "j***@devries.example" in tab.text()
    tab.check("accept-sign-in-nl")
    answer = signs_in(tab, "jan@devries.example", PASSWORD)
    assert answer is not None and answer.status == 200

    # Then the confirm page is in Jan's language (Dutch), says who invites to what, and what changes
    assert page.get_attribute("html", "lang") == "nl"
    assert page.inner_text("h1") == "Lid worden van Acme B.V."
    main = tab.text()
    assert "Arno Admin" in main and "jan@devries.example" in main
    assert "Je eigen abonnement stopt zodra je lid wordt." in main
    amount_nl = AMOUNT.search(main)
    after = offer(live, link)["amount"]["amount_minor"]
    assert amount_nl and after <= minor_units(amount_nl.group(0)) <= before  # the unused part shrinks by the second
    # Dutch: "€ 74,53" (CLDR puts a no-break space there; the rendered text may show it as a space)
    assert re.match(r"€\s[\d.]+,\d\d$", amount_nl.group(0))
    # and the two choices have no default; the refund names the card, masked; "final" is said before the button
    radios = page.locator("input[name=settlement]")
    assert radios.count() == 2
    assert not radios.nth(0).is_checked() and not radios.nth(1).is_checked()
    assert "Visa •••• 4242" in page.inner_text("label[for=settlement-refund]")
    assert page.evaluate(
        "document.querySelector('#final').compareDocumentPosition(document.querySelector('button.primary'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    tab.check("accept-confirm-nl")

    # When he chooses the credit transfer and accepts
    page.click("label[for=settlement-credit]")
    page.click("button.primary")
    page.wait_for_selector("p.ok")

    # Then he is welcomed, and told the credit went to Acme
    assert page.inner_text("h1") == "Welkom bij Acme B.V."
    result = tab.text()
    credited = re.search(r"(€\s[\d.,]+) is als tegoed overgemaakt naar Acme B\.V\.", result)
    assert credited, result
    tab.check("accept-result-nl")

    # and the console's account summary shows Acme's credit risen by exactly that amount, apart from the balance due
    wait_for(lambda: ledger_of(live, "credit_transferred", "u-jan"), 20, "the settlement")
    sign_in(tab, live, "u-arno", "account")
    page.goto(f"{live}/#account")
    page.wait_for_selector("#licenses")
    credit_shown = page.inner_text(".card.credit dd")
    assert minor_units(credit_shown) == credit_before + minor_units(credited.group(1))
    assert "Balance due" in tab.text("#account-body") and "Credit transferred" in tab.text("#account-body")
    tab.check("console-account")


def test_double_submitting_the_form_accepts_once_and_shows_the_same_result(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given Emma's invitation open in two tabs of her browser, the refund chosen in both
    first, _ = invitee_opens(live, open_tab, "emma@clark.example")
    link = first.page.url
    second = Tab(first.page.context.new_page(), first.origins)
    second.page.goto(link)
    for tab in (first, second):
        tab.page.check("#settlement-refund")

    # When she double-clicks the button in one and submits the other afterwards
    first.page.dblclick("button.primary")
    first.page.wait_for_selector("p.ok")
    second.page.click("button.primary")
    second.page.wait_for_selector("p.ok")

    # Then both show the same result, and the refund was requested once
    assert first.text() == second.text()
    assert "A refund of €" in first.text() and "to Visa •••• 4242 has been requested" in first.text()
    first.check("accept-result-en-double-submit")
    refunds = wait_for(lambda: ledger_of(live, "refund_requested", "u-emma"), 20, "the settlement")
    assert len(refunds) == 1
    # and the link, opened again, says it has been used
    response = second.page.goto(link)
    assert response is not None and response.status == 409
    assert second.page.inner_text("h1") == "This invitation has already been used"


def test_a_refusal_page_says_what_is_owed_and_what_to_do_in_both_languages(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given Piet, who has an open invoice of EUR 14.99, is invited
    # When he opens the link, Then the page is in his language, with the amount due and what to do
    tab, response = invitee_opens(live, open_tab, "piet@jansen.example")
    assert response is not None and response.status == 409
    assert tab.page.get_attribute("html", "lang") == "nl"
    assert tab.page.inner_text("h1") == "Betaal eerst je openstaande facturen"
    assert re.search(r"€\s14,99", tab.text())
    assert "Uitnodiging van Olga Owner om lid te worden van Acme B.V." in tab.text()
    assert tab.page.locator("form").count() == 0  # nothing to accept here
    tab.check("refused-outstanding-invoices-nl")

    # When he switches to English, Then the same refusal is in English, the amount formatted for it
    tab.page.click("nav.lang a")
    assert tab.page.get_attribute("html", "lang") == "en"
    assert tab.page.inner_text("h1") == "First pay your open invoices"
    assert "€14.99" in tab.text()
    tab.check("refused-outstanding-invoices-en")

    # and a mangled link gets a readable page too, not an error dump
    response = tab.page.goto(f"{live}/invitations/accept?token=not-a-token")
    assert response is not None and response.status == 404
    assert tab.page.inner_text("h1") == "This link does not work"
    tab.check("refused-unknown-link-en")


def test_the_dutch_page_switches_to_english_and_accepts_by_keyboard_alone(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given Sanne (Dutch) opens her invitation
    tab, _ = invitee_opens(live, open_tab, "sanne@visser.example")
    page = tab.page
    assert page.get_attribute("html", "lang") == "nl"
    dutch = AMOUNT.search(tab.text())
    assert dutch and re.match(r"€\s\d", dutch.group(0))

    # When she switches to English
    page.click("nav.lang a")

    # Then the page, its amount and its switch are English
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Join Acme B.V."
    english = AMOUNT.search(tab.text())
    assert english and english.group(0).startswith("€") and "." in english.group(0)
    assert 0 <= minor_units(dutch.group(0)) - minor_units(english.group(0)) <= 1  # a second later, maybe a cent less
    assert page.inner_text("nav.lang a") == "Nederlands"
    tab.check("accept-confirm-en")

    # When she uses only the keyboard: Tab to the choices, an arrow key to the credit, Tab to the button, Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "settlement":
            break
    assert page.evaluate("document.activeElement.name") == "settlement", "the choices are not reachable by Tab"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#settlement-credit")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "primary"
    page.keyboard.press("Enter")

    # Then she is a member, in English, and can switch the result to Dutch
    page.wait_for_selector("p.ok")
    assert page.inner_text("h1") == "Welcome to Acme B.V."
    tab.check("accept-result-en")
    page.click("nav.lang button")
    page.wait_for_selector("p.ok")
    assert page.inner_text("h1") == "Welkom bij Acme B.V."
    assert len(wait_for(lambda: ledger_of(live, "credit_transferred", "u-sanne"), 20, "the settlement")) == 1


def test_the_accept_page_works_on_a_phone_without_javascript(live: str, open_tab: Callable[..., Tab]) -> None:
    # Given Lotte on a phone-sized screen with JavaScript switched off
    # When she opens the link, Then the page fits the screen and sends the security headers
    phone = {"viewport": PHONE, "java_script_enabled": False, "is_mobile": True, "has_touch": True}
    tab, response = invitee_opens(live, open_tab, "lotte@smit.example", **phone)
    page = tab.page
    assert response is not None and response.status == 200
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
    box = page.locator("button.primary").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # and the stylesheet the CSP allows by its hash is applied (a wrong hash would leave the button unstyled)
    assert page.locator("button.primary").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 79, 214)"
    tab.check("accept-confirm-en-phone-nojs", scan=False)  # the same page is scanned with JavaScript on

    # When she submits without choosing, the browser's own validation stops her (no script needed)
    page.tap("button.primary")
    assert page.locator("p.ok").count() == 0
    # When she chooses the refund and accepts by tapping
    page.tap("label[for=settlement-refund]")
    page.tap("button.primary")

    # Then the result page shows, on the phone, without any script
    page.wait_for_selector("p.ok")
    assert "has been requested" in tab.text()
    tab.check("accept-result-en-phone-nojs", scan=False)


def test_the_console_resends_revokes_and_lists_bounces_with_each_invitation_s_history(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given three pending invitations from Acme, and the mail to one of them bounced
    api = Api.over_http(live)
    for email in ("resend-me@example.org", "revoke-me@example.org", "bounce-me@example.org"):
        # each send is recorded after its e-mail went out; a bounce before that is ignored
        invite_sent(api, email, "u-olga", "acme", user_type="licensed", role="member")
    revoked_link = invitation_link(api, "revoke-me@example.org")
    bounced = api.ses_event("bounce", "bounce-me@example.org")
    assert bounced["results"][0]["actions"] == ["bounced:bounce-me@example.org"]
    tab = open_tab(live)
    page = tab.page
    sign_in(tab, live, "u-arno", "pending")

    # When Arno revokes one, confirming it
    page.click("#list tr:has-text('revoke-me@example.org') button:has-text('Revoke')")
    page.click("#list tr:has-text('revoke-me@example.org') button:has-text('Yes, revoke')")
    # Then it leaves the pending list, and its link says it was withdrawn
    page.wait_for_selector(".flash:has-text('revoked')")
    wait_for(lambda: "revoke-me@example.org" not in tab.text("#list"), 20, "the revoked invitation to leave the list")
    # When the resend cool-down has passed and he resends another
    api.advance_clock(3600)
    page.click("#list tr:has-text('resend-me@example.org') button:has-text('Resend')")
    # Then a second e-mail goes out, and the invitation's history says so
    page.wait_for_selector(".flash:has-text('sent again')")
    assert len(delivered(api, "resend-me@example.org", count=2)) == 2
    page.click("#list tr:has-text('resend-me@example.org') button:has-text('History')")
    page.wait_for_selector("#history:not([hidden]) li")
    wait_for(lambda: "Resent" in tab.text("#history") and tab.text("#history").count("Emailed") == 2, 20, "history")
    tab.check("console-history")
    # and the bounced invitation is under Bounced, with what can be done about it
    page.click(".tabs a[data-tab=bounced]")
    page.wait_for_selector("#list tr:has-text('bounce-me@example.org')")
    assert page.locator("#list tr:has-text('bounce-me@example.org') button:has-text('Resend')").count() == 1
    tab.check("console-bounced")

    # and the revoked link, opened by its invitee, explains itself
    invitee = open_tab(live)
    response = invitee.page.goto(revoked_link)
    assert response is not None and response.status == 410
    assert invitee.page.inner_text("h1") == "This invitation was withdrawn"
    invitee.check("refused-revoked-en")
