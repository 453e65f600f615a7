"""Every accept page, in English and Dutch (and the confirm page in German), at desktop and phone width, in Chromium.

Each page is made by the real accept handler on the in-process harness (the states that a person
cannot reach quickly through the local stack, like an expired or revoked invitation, are set up here
as the integration tests do), then shown in Chromium with the handler's own status and headers
(the CSP among them), checked by axe-core and screenshotted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Route

from local.stack import Stack
from paid_invites import i18n
from paid_invites.store import models as m
from paid_invites.store import repository as repo

from ..support import Api, Reply, close_invitation, invite_with_token, set_account
from ..support.browser import DESKTOP, PHONE, Tab
from ..support.event_schemas import send

ORIGIN = "https://invites.test"  # served as in production: COOP and HSTS mean something only over HTTPS
ACME = {"org": "Acme B.V.", "inviter": "Arno Admin"}
JAN, PIET, FLEUR, KEES = "jan@devries.example", "piet@jansen.example", "fleur@bakker.example", "kees@kees.example"


def get(api: Api, token: str, lang: str) -> Reply:
    return api.call("GET", "/invitations/accept", caller=api.invitee(token), query={"token": token, "lang": lang})


def post(api: Api, token: str, lang: str, **fields: str) -> Reply:
    quote = api.quote(token, api.invitee(token))  # the page's hidden field ("" once it is accepted)
    form = urlencode({"token": token, "lang": lang, **({"quote": quote} if quote else {}), **fields})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return api.call("POST", "/invitations/accept", form, caller=api.invitee(token), headers=headers)


@dataclass(frozen=True)
class Case:
    """How to reach a page: ``prepare`` sets the state up once and returns ``show(lang) -> Reply``."""

    status: int
    heading: str  # the i18n key of the page's h1
    words: dict[str, str]
    prepare: Callable[[Api, Stack], Callable[[str], Reply]]
    says: tuple[str, ...] = ()  # more sentences (i18n keys, with ``words``) the page shows


def _confirm(email: str, caller: str = "u-arno", account: str = "acme", **fields: str) -> Any:
    def prepare(api: Api, stack: Stack) -> Callable[[str], Reply]:
        _, token = invite_with_token(api, email, caller, account, **fields)
        return lambda lang: get(api, token, lang)

    return prepare


def _result(email: str, **choice: str) -> Any:
    def prepare(api: Api, stack: Stack) -> Callable[[str], Reply]:
        _, token = invite_with_token(api, email)
        # the second language is a replayed submit: the same result, told in the other language
        return lambda lang: post(api, token, lang, **choice)

    return prepare


def _choice_missing(api: Api, stack: Stack) -> Callable[[str], Reply]:
    _, token = invite_with_token(api, JAN)
    return lambda lang: post(api, token, lang)


def _amount_changed(api: Api, stack: Stack) -> Callable[[str], Reply]:
    """Jan's page was open when the platform renewed his plan at a new price: his accept is asked again."""
    _, token = invite_with_token(api, JAN)
    shown = api.quote(token, api.invitee(token))
    renewal = {"account_id": "acc-jan", "amount_minor": 17990, "currency": "EUR", "interval": "year",
               "current_period_start": "2026-12-01T00:00:00Z", "current_period_end": "2027-12-01T00:00:00Z",
               "payment_method": "visa-4242", "status": "active", "version": 2}  # fmt: skip
    assert send(stack, ("SubscriptionChanged", renewal))["applied"] == 1
    return lambda lang: post(api, token, lang, settlement="refund", quote=shown)


def _unknown(api: Api, stack: Stack) -> Callable[[str], Reply]:
    return lambda lang: get(api, "0" * 32 + "." + "A" * 43, lang)


def _used(api: Api, stack: Stack) -> Callable[[str], Reply]:
    _, token = invite_with_token(api, FLEUR, user_type="basic")
    assert api.accept(token).status == 200
    return lambda lang: get(api, token, lang)


def _closed(status: str) -> Any:
    def prepare(api: Api, stack: Stack) -> Callable[[str], Reply]:
        invitation_id, token = invite_with_token(api, JAN)
        close_invitation(invitation_id, status)
        return lambda lang: get(api, token, lang)

    return prepare


def _expired(api: Api, stack: Stack) -> Callable[[str], Reply]:
    _, token = invite_with_token(api, JAN)
    stack.clock.advance(31 * 24 * 3600)
    return lambda lang: get(api, token, lang)


def _no_license(api: Api, stack: Stack) -> Callable[[str], Reply]:
    _, token = invite_with_token(api, JAN)
    set_account("acme", licenses_held=0)
    return lambda lang: get(api, token, lang)


def _member_meanwhile(api: Api, stack: Stack) -> Callable[[str], Reply]:
    _, token = invite_with_token(api, FLEUR, user_type="basic")
    repo.key_item(m.UserModel, "u-fleur").update(actions=[m.UserModel.account_id.set("acme")])
    return lambda lang: get(api, token, lang)


CASES = {
    "confirm-paid": Case(200, "page_title_confirm", ACME, _confirm(JAN)),
    "confirm-refund-only": Case(
        200, "page_title_confirm", {"org": "Globex Ltd"}, _confirm(JAN, caller="u-gwen", account="globex")
    ),
    "confirm-free": Case(200, "page_title_confirm", ACME, _confirm(FLEUR, user_type="basic")),
    "confirm-new-user": Case(200, "page_title_confirm", ACME, _confirm("newcomer@example.org", first_name="Nina")),
    "confirm-choice-missing": Case(400, "page_title_confirm", ACME, _choice_missing),
    "confirm-amount-changed": Case(409, "page_title_confirm", ACME, _amount_changed, ("page_amount_changed_title",)),
    "result-credit": Case(200, "result_title", ACME, _result(JAN, settlement="credit")),
    "result-refund": Case(200, "result_title", ACME, _result(JAN, settlement="refund")),
    "result-nothing-to-settle": Case(
        200,
        "result_title",
        {**ACME, "email": "newcomer@example.org"},
        _result("newcomer@example.org"),
        ("result_body_new", "result_nothing"),
    ),
    "refused-unknown-link": Case(404, "refused_heading_unknown_link", {}, _unknown),
    "refused-already-accepted": Case(409, "refused_heading_already_accepted", ACME, _used),
    "refused-revoked": Case(410, "refused_heading_revoked", ACME, _closed("revoked")),
    "refused-expired": Case(410, "refused_heading_expired", ACME, _expired),
    "refused-expired-by-workflow": Case(410, "refused_heading_expired", ACME, _closed("expired")),
    "refused-outstanding-invoices": Case(
        409, "refused_heading_outstanding_invoices", ACME, _confirm(PIET), ("refused_amount_due", "refused_context")
    ),
    "refused-account-has-other-users": Case(
        409, "refused_heading_account_has_other_users", ACME, _confirm(KEES), ("refused_other_users",)
    ),
    "refused-no-license-available": Case(409, "refused_heading_no_license_available", ACME, _no_license),
    "refused-already-member": Case(409, "refused_heading_already_member", ACME, _member_meanwhile),
}


def sentence(lang: str, case: Case, key: str) -> str:
    said = i18n.text(lang, key, **case.words)
    for value in case.words.values():
        if value.endswith("."):
            said = said.replace(value + ".", value)
    return said


def show(tab: Tab, reply: Reply) -> None:
    """Serve the handler's answer, status and headers as they are, at a URL of ours; open it."""

    def fulfill(route: Route) -> None:
        route.fulfill(status=reply.status, headers=reply.headers, body=reply.body)

    tab.page.route(f"{ORIGIN}/invitations/accept*", fulfill)
    response = tab.page.goto(f"{ORIGIN}/invitations/accept")
    assert response is not None and response.status == reply.status
    tab.page.unroute(f"{ORIGIN}/invitations/accept*")


@pytest.mark.parametrize("name", list(CASES))
def test_every_accept_page_in_both_languages_at_desktop_and_phone_width(
    name: str, api: Api, stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    case = CASES[name]
    # Given the state that leads to this page
    answer = case.prepare(api, stack)
    for lang in ("en", "nl"):
        # When the handler answers in this language
        reply = answer(lang)
        assert reply.status == case.status, reply.body
        assert reply.headers["Content-Security-Policy"].startswith("default-src 'none'")
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            # Then Chromium shows it, in that language, with its own heading, accessible and within the width
            tab = open_tab(ORIGIN, viewport=viewport)
            show(tab, reply)
            assert tab.page.get_attribute("html", "lang") == lang
            assert tab.page.inner_text("h1") == sentence(lang, case, case.heading)
            for key in case.says:
                assert sentence(lang, case, key) in tab.text(), key
            assert tab.page.locator("h1").count() == 1
            # and the switch offers the other languages, each named in itself
            switch = tab.page.locator("nav.lang a, nav.lang button")
            assert switch.all_inner_texts() == [name for code, name in i18n.NAMES.items() if code != lang]
            tab.check(f"page-{name}-{lang}-{width}")


def test_the_german_confirm_page_at_desktop_and_phone_width(
    api: Api, stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    # Given Jan's invitation from Acme (he pays for his own plan)
    _, token = invite_with_token(api, JAN)
    # When the handler answers in German
    reply = get(api, token, "de")
    assert reply.status == 200, reply.body
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        # Then Chromium shows it in German, the money as German writes it, accessible and within the width
        tab = open_tab(ORIGIN, viewport=viewport)
        show(tab, reply)
        assert tab.page.get_attribute("html", "lang") == "de"
        assert tab.page.inner_text("h1") == i18n.text("de", "page_title_confirm", **ACME)
        assert tab.page.get_by_role("radio", name="74,53\u00a0€ auf Visa •••• 4242 erstatten").count() == 1
        assert tab.page.get_by_role("button", name="Annehmen und Acme B.V. beitreten").count() == 1
        switch = tab.page.locator("nav.lang a")
        assert switch.all_inner_texts() == ["English", "Nederlands", "Français"]
        tab.check(f"page-confirm-de-{width}")


def test_the_confirm_page_offers_what_the_invitee_can_choose(
    api: Api, stack: Stack, open_tab: Callable[..., Tab]
) -> None:
    # Given Jan's invitations from Acme (EUR, like his plan) and from Globex (GBP)
    _, acme = invite_with_token(api, JAN)
    _, globex = invite_with_token(api, "fleur@bakker.example", caller="u-gwen", account="globex", user_type="basic")
    tab = open_tab(ORIGIN)
    # When he opens Acme's
    show(tab, get(api, acme, "en"))
    # Then both choices are offered, none chosen, each labelled, the refund to his masked card
    radios = tab.page.get_by_role("radio")
    assert radios.count() == 2
    assert [radios.nth(i).is_checked() for i in range(2)] == [False, False]
    assert tab.page.get_by_role("radio", name="Refund €74.53 to Visa •••• 4242").count() == 1
    assert tab.page.get_by_role("radio", name="Transfer €74.53 as credit to Acme B.V.").count() == 1
    assert tab.page.get_by_role("group", name="What should happen with €74.53?").count() == 1
    # and a free account's page has nothing to choose
    show(tab, get(api, globex, "en"))
    assert tab.page.get_by_role("radio").count() == 0
    assert tab.page.get_by_role("button", name="Accept and join Globex Ltd").count() == 1


def test_the_accessibility_scan_finds_what_it_should(open_tab: Callable[..., Tab]) -> None:
    # Given a page with an unlabelled field, unreadable text and an image without text, under a strict CSP
    broken = Reply(
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'"},
        '<!doctype html><html lang="en"><head><title>broken</title></head><body><main><h1>Broken</h1>'
        '<form><input type="text" name="x"></form><img src="data:,"></main></body></html>',
    )
    tab = open_tab(ORIGIN)
    # When axe-core scans it
    show(tab, broken)
    failing = {v["id"] for v in tab.axe("self-test-broken-page")}
    # Then it reports them as serious or worse: our check can fail
    assert {"label", "image-alt"} <= failing
