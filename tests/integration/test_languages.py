"""The language a person reads: what they chose on the page, their profile's, the invitation's, what their
browser asks for (Accept-Language, by q-value), English. Each page says it all in that language, with money
and dates as that language writes them."""

from __future__ import annotations

from html import escape

from local.stack import Stack
from paid_invites import formatting, i18n
from paid_invites.money import Money

from ..support import JAN, Api, Reply, invite_with_token
from ..support.event_schemas import send

NEW = "nina@nieuw.example"  # nobody on the platform yet: her invitation is in English
UNUSED = Money(7453, "EUR")  # the unused half year of Jan's plan (the seed)


def open_link(api: Api, token: str, accept_language: str, signed_in: str | None = None) -> Reply:
    """The link, opened by a browser that sends ``Accept-Language``."""
    headers = {"Accept-Language": accept_language}
    return api.call("GET", "/invitations/accept", caller=signed_in, query={"token": token}, headers=headers)


def says(page: Reply, lang: str, key: str, **words: str) -> bool:
    return str(escape(i18n.text(lang, key, **words))) in page.body


def jan_reads(stack: Stack, language: str) -> None:
    """The platform changes Jan's profile: he reads ``language`` now."""
    detail = {
        "id": "u-jan",
        "email": JAN,
        "name": "Jan de Vries",
        "language": language,
        "account_id": "acc-jan",
        "role": "owner",
        "user_type": "licensed",
        "version": 2,
    }
    done = send(stack, ("UserChanged", detail))
    assert done["applied"] == 1, done


def test_an_invitee_whose_profile_says_german_sees_the_german_accept_page(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out (in Dutch, his language then), and since then his profile says German
    _invitation_id, token = invite_with_token(api, JAN)
    jan_reads(stack, "de")
    # When he opens the link, his browser asking for French
    page = open_link(api, token, "fr-FR, fr;q=0.9", signed_in="u-jan")
    # Then the page is German, its money written as German writes it
    assert page.status == 200, page.body
    assert '<html lang="de">' in page.body
    assert says(page, "de", "page_accept", org="Acme B.V.")
    assert says(page, "de", "page_money", amount=formatting.money(UNUSED, "de"))
    assert "74,53\u00a0€" in page.body
    assert not says(page, "nl", "page_accept", org="Acme B.V.")
    # and the switch offers the other languages, each in its own name
    for lang in ("en", "nl", "fr"):
        assert f'hreflang="{lang}" lang="{lang}">{i18n.NAMES[lang]}</a>' in page.body
    # When he chooses Dutch on the page, Then that choice comes first
    dutch = api.open_link(token, lang="nl")
    assert '<html lang="nl">' in dutch.body and says(dutch, "nl", "page_accept", org="Acme B.V.")


def test_an_unknown_invitee_whose_browser_asks_for_french_reads_the_invitation_s_english(api: Api) -> None:
    # Given Nina, not on the platform, is invited (her invitation is in English)
    _invitation_id, token = invite_with_token(api, NEW)
    # When she opens the link (not signed in yet), her browser asking for French
    page = open_link(api, token, "fr")
    # Then the page follows the invitation: English
    assert page.status == 401, page.body
    assert '<html lang="en">' in page.body
    assert says(page, "en", "page_sign_in") and not says(page, "fr", "page_sign_in")


def test_a_link_that_names_no_invitation_follows_the_browser_by_q_value(api: Api) -> None:
    # Given a link that is no invitation's / When a browser that prefers French over German opens it
    page = open_link(api, "inv_nothing.nothing", "de;q=0.5, fr;q=0.8")
    # Then the refusal is French
    assert page.status == 404
    assert '<html lang="fr">' in page.body and says(page, "fr", "refused_heading_unknown_link")
