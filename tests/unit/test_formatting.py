"""Money and dates as each language we serve writes them: Babel's CLDR forms, from integer minor units."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paid_invites import formatting, i18n
from paid_invites.money import _EXPONENTS, Money

NBSP, NNBSP = "\u00a0", "\u202f"  # CLDR's no-break space and narrow no-break space


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("de", f"149,90{NBSP}€"),
        ("fr", f"149,90{NBSP}€"),
        ("nl", f"€{NBSP}149,90"),
        ("en", "€149.90"),
    ],
)
def test_an_amount_in_euro_is_written_as_each_language_writes_it(lang: str, shown: str) -> None:
    # Given EUR 149.90 in minor units / When it is shown in a language / Then it reads as CLDR writes it there
    assert formatting.money(Money(14990, "EUR"), lang) == shown


@pytest.mark.parametrize(
    ("money", "lang", "shown"),
    [
        (Money(123456789, "EUR"), "nl", f"€{NBSP}1.234.567,89"),
        (Money(123456789, "EUR"), "de", f"1.234.567,89{NBSP}€"),
        (Money(123456789, "EUR"), "fr", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (Money(123456789, "EUR"), "en", "€1,234,567.89"),
        (Money(5, "EUR"), "en", "€0.05"),
        (Money(0, "EUR"), "nl", f"€{NBSP}0,00"),
        (Money(7453, "GBP"), "en", "£74.53"),
        # the minor unit is the yen itself; three for the dinar
        (Money(1234, "JPY"), "en", "¥1,234"),
        (Money(1234567, "KWD"), "de", f"1.234,567{NBSP}KWD"),
        # the sign where the language puts it
        (Money(-1499, "EUR"), "en", "-€14.99"),
        (Money(-1499, "EUR"), "nl", f"€{NBSP}-14,99"),
        (Money(-1499, "EUR"), "de", f"-14,99{NBSP}€"),
    ],
)
def test_digits_grouping_and_sign_follow_the_currency_and_the_language(money: Money, lang: str, shown: str) -> None:
    assert formatting.money(money, lang) == shown


def test_a_language_we_do_not_serve_gets_the_english_form() -> None:
    assert formatting.money(Money(14990, "EUR"), "es") == formatting.money(Money(14990, "EUR"), "en") == "€149.90"


@pytest.mark.parametrize("currency", sorted(_EXPONENTS))
def test_the_minor_units_of_the_domain_are_the_digits_cldr_writes(currency: str) -> None:
    # Given one minor unit of a currency with an exponent other than 2
    one = Money(1, currency)
    # When it is formatted / Then no digit of it is rounded away: the last digit shown is that unit
    assert formatting.money(one, "en").rstrip().endswith("1")
    # and a whole unit is written with the currency's decimals (CLDR writes whole Iraqi dinars without fils)
    decimals = 1 if one.exponent and currency != "IQD" else 0
    assert formatting.money(Money(10**one.exponent, currency), "de").count(",") == decimals


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("en", "December 7, 2026"), ("nl", "7 december 2026"), ("de", "7. Dezember 2026"), ("fr", "7 décembre 2026")],
)
def test_a_date_is_written_out_as_each_language_does(lang: str, shown: str) -> None:
    assert formatting.date(date(2026, 12, 7), lang) == shown
    assert formatting.date(datetime(2026, 12, 7, 23, 59, tzinfo=UTC), lang) == shown  # the datetime's own day


def test_the_words_and_the_language_rule_do_not_import_babel_and_formatting_imports_it_when_it_formats() -> None:
    # Given a fresh interpreter / When the catalogues are read and a language is chosen by the stated ones
    script = (
        "import sys\n"
        "from paid_invites import formatting, i18n\n"
        "i18n.text('de', 'page_accept', org='Acme'); i18n.choose(profile='de', accept_language='fr')\n"
        "print('babel' in sys.modules)\n"
        "from paid_invites.money import Money\n"
        "formatting.money(Money(1, 'EUR'), 'de')\n"
        "print('babel.numbers' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603
    # Then Babel is not imported for them, and formatting money imports it
    assert done.stdout.split() == ["False", "True"]
    assert i18n.LANGUAGES == ("en", "nl", "de", "fr")


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["EUR", "GBP", "USD", "JPY", "CHF", "KWD"]),
    st.sampled_from(i18n.LANGUAGES),
)
def test_every_form_reads_back_as_the_same_amount(amount: int, currency: str, lang: str) -> None:
    # Given any amount / When it is formatted in any language we serve / Then its digits are exactly the amount
    shown = formatting.money(Money(amount, currency), lang)
    assert int("".join(c for c in shown if c.isdigit())) == abs(amount)
    assert ("-" in shown) == (amount < 0)
