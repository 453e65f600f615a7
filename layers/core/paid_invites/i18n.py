"""Words for e-mails and pages, from gettext catalogues; and the one rule for the language a person reads.

The catalogues are ``locale/<lang>/LC_MESSAGES/messages.po`` (edited by hand) and the ``messages.mo`` that
``make messages`` compiles from them (committed: the layer ships them as they are; tests/unit/test_i18n.py
fails when a ``.mo`` is not what its ``.po`` compiles to). The message ids are keys (``page_accept``): the
templates ask ``t("page_accept", org=...)``, the code ``text(lang, "page_accept", ...)``; the English
catalogue holds the English text and is the template of the others. Plain text with ``{name}`` fields:
templates escape it. A key missing from a catalogue is said in English.

Reading a catalogue is the standard library's ``gettext``: one small file per language, read the first time
that language is asked for. Money and dates are formatted by :mod:`paid_invites.formatting` (Babel, CLDR).
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

DEFAULT = "en"
# What we serve, each language named in itself (the language switch). A new language: docs/languages.md.
NAMES = {"en": "English", "nl": "Nederlands", "de": "Deutsch", "fr": "Français"}
LANGUAGES = tuple(NAMES)
LOCALE = Path(__file__).parent / "locale"
DOMAIN = "messages"

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_MOST_ACCEPTED = 16  # an Accept-Language longer than this says nothing more worth reading


def language(value: str | None) -> str:
    """A supported language for ``value`` ("nl-NL" -> "nl"), English when unknown."""
    return _supported(value) or DEFAULT


def _supported(value: str | None) -> str | None:
    code = (value or "").strip().split("-")[0].split("_")[0].lower()
    return code if code in NAMES else None


def accepted(header: str | None) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (by ``q``, then by order);
    ``q=0`` (not wanted), ``*`` and malformed entries left out."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((header or "").split(",")[:_MOST_ACCEPTED]):
        tag, _, params = entry.strip().partition(";")
        tag = tag.strip()
        if not _TAG.match(tag):
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = -1.0
        if 0 < weight <= 1:
            ranked.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose(
    chosen: str | None = None,
    profile: str | None = None,
    invitation: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The language a person reads, the first we serve of: the one ``chosen`` on the page (its language
    switch), their ``profile``'s (the platform user's ``language``), the ``invitation``'s, what their browser
    asks for (``Accept-Language``, by its q-values), English."""
    for stated in (chosen, profile, invitation):
        supported = _supported(stated)
        if supported:
            return supported
    wanted = accepted(accept_language)
    if wanted:
        from babel.core import negotiate_locale  # only a request that gets this far pays for it

        found = negotiate_locale(wanted, LANGUAGES, sep="-")
        if found:
            return language(found)
    return DEFAULT


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (read once per container), English behind it."""
    with (LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        translations = gettext.GNUTranslations(mo)
    if lang != DEFAULT:
        translations.add_fallback(catalogue(DEFAULT))
    return translations


def text(lang: str, key: str, **values: object) -> str:
    template = catalogue(language(lang)).gettext(key)
    if template == key:
        raise KeyError(f"no message {key!r}")
    said = template.format(**values)
    for value in values.values():  # "... of Acme B.V.." -> "... of Acme B.V."
        if isinstance(value, str) and value.endswith("."):
            said = said.replace(value + ".", value)
    return said


def payment_method(value: str | None, lang: str = DEFAULT) -> str:
    """``visa-4242`` -> ``Visa •••• 4242``; anything else is shown as the masked text it is."""
    if not value:
        return text(lang, "payment_method_unknown")
    brand, _, last4 = value.partition("-")
    if last4.isdigit() and len(last4) == 4:
        return f"{brand.replace('_', ' ').title()} •••• {last4}"
    return value
