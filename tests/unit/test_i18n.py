"""The catalogues (gettext, managed with Babel) and the one rule that chooses the language a person reads."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from paid_invites import i18n

ROOT = Path(__file__).resolve().parents[2]


def _po(lang: str) -> object:
    with (i18n.LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=lang)


def _keys(lang: str) -> dict[str, str]:
    return {m.id: m.string for m in _po(lang) if m.id}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("stated", "accept_language", "chosen"),
    [
        # the profile first, then the invitation, then the browser, then English
        ({"profile": "de", "invitation": "nl"}, "fr", "de"),
        ({"profile": None, "invitation": "nl"}, "fr", "nl"),
        ({"profile": "es", "invitation": "fr"}, "de", "fr"),  # a profile language we do not serve is passed over
        ({"profile": "de-AT", "invitation": "en"}, None, "de"),
        ({}, "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ({}, "es, de;q=0.5, nl;q=0.7", "nl"),  # by q-value, not by order
        ({}, "en;q=0.2, de;q=0.9", "de"),
        ({}, "de;q=0, fr;q=0.1", "fr"),  # q=0: not wanted
        ({}, "es, it, *", "en"),
        ({}, "de;q=oops, nl", "nl"),  # a malformed q makes its entry count for nothing
        ({}, "", "en"),
        ({}, None, "en"),
        # what the person chose on the page (the language switch) comes before all of them
        ({"chosen": "nl", "profile": "de", "invitation": "fr"}, "en", "nl"),
        ({"chosen": "xx", "profile": "de"}, None, "de"),
    ],
)
def test_the_language_is_the_first_served_of_choice_profile_invitation_browser_english(
    stated: dict[str, str | None], accept_language: str | None, chosen: str
) -> None:
    assert i18n.choose(**stated, accept_language=accept_language) == chosen


def test_accept_language_is_read_by_q_value_then_order() -> None:
    assert i18n.accepted("da, en-GB;q=0.8, en;q=0.7") == ["da", "en-GB", "en"]
    assert i18n.accepted("fr;q=0.5, de;q=0.5, nl") == ["nl", "fr", "de"]
    assert i18n.accepted("<script>, de;q=2, en") == ["en"]


def test_every_language_we_serve_has_a_catalogue_and_no_catalogue_is_unserved() -> None:
    assert sorted(p.name for p in i18n.LOCALE.iterdir() if p.is_dir()) == sorted(i18n.LANGUAGES)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_each_compiled_catalogue_says_what_its_source_says(lang: str) -> None:
    # Given the .po source and the committed .mo (`make messages` compiles one from the other)
    with (i18n.LOCALE / lang / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    # Then they hold the same messages, word for word (the header's dates aside)
    assert compiled == _keys(lang), f"{lang}: run `make messages`"


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT])
def test_each_language_says_every_english_message_with_the_same_fields(lang: str) -> None:
    english, translated = _keys(i18n.DEFAULT), _keys(lang)
    assert sorted(translated) == sorted(english)
    fields = string.Formatter()
    for key, text in english.items():
        assert translated[key], f"{lang}: {key} is not translated"
        assert translated[key] != text or (key == "result_continue" and lang == "en"), f"{lang}: {key} is English"
        wanted = {name for _, name, _, _ in fields.parse(text) if name}
        assert {name for _, name, _, _ in fields.parse(translated[key]) if name} == wanted, f"{lang}: {key}"


def test_every_key_the_code_and_templates_ask_for_is_in_the_english_catalogue() -> None:
    # Given what `make messages` extracts (babel.cfg: t("key") in templates, i18n.text(lang, "key") in code)
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"t": None, "text": (2,)}
    found = {msg[2] for msg in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    # Then each is an English message (the refusals' keys are made from their codes: test_pages, test_accept_*)
    assert len(found) > 50
    assert found - set(_keys(i18n.DEFAULT)) == set()


def test_a_missing_message_is_a_defect_not_its_key_on_a_page() -> None:
    with pytest.raises(KeyError):
        i18n.text("de", "no_such_message")


def test_words_come_from_the_catalogue_of_the_language() -> None:
    assert i18n.text("de", "page_accept", org="Acme") == "Annehmen und Acme beitreten"
    assert i18n.text("fr", "page_accept", org="Acme") == "Accepter et rejoindre Acme"
    assert i18n.text("nl", "page_accept", org="Acme") == "Accepteren en lid worden van Acme"
    assert i18n.text("xx", "page_accept", org="Acme") == "Accept and join Acme"
    assert i18n.payment_method(None, "fr") == "votre moyen de paiement"
    assert i18n.payment_method("visa-4242", "de") == "Visa •••• 4242"
