"""Money: integer minor units, one currency, formatted the way each language writes amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paid_invites.money import Money


@pytest.mark.parametrize(
    ("money", "language", "shown"),
    [
        (Money(123456, "EUR"), "nl", "€ 1.234,56"),
        (Money(123456, "EUR"), "en", "€1,234.56"),
        (Money(1499, "EUR"), "nl", "€ 14,99"),
        (Money(1499, "EUR"), "en", "€14.99"),
        (Money(123456789, "EUR"), "nl", "€ 1.234.567,89"),
        (Money(5, "EUR"), "en", "€0.05"),
        (Money(0, "EUR"), "nl", "€ 0,00"),
        (Money(7453, "GBP"), "en", "£74.53"),
        (Money(100, "USD"), "en", "$1.00"),
        # zero decimals: the minor unit is the yen itself
        (Money(1234, "JPY"), "en", "¥1,234"),
        (Money(1234, "JPY"), "nl", "¥ 1.234"),
        (Money(1234, "KRW"), "en", "1,234 KRW"),
        # no symbol of our own: the ISO code after the amount
        (Money(123456, "CHF"), "en", "1,234.56 CHF"),
        (Money(123456, "CHF"), "nl", "1.234,56 CHF"),
        (Money(1234567, "KWD"), "en", "1,234.567 KWD"),
        (Money(1234567, "KWD"), "nl", "1.234,567 KWD"),
        # a language we do not write in gets the English form
        (Money(123456, "EUR"), "de", "€1,234.56"),
    ],
)
def test_format_writes_the_amount_as_the_language_does(money: Money, language: str, shown: str) -> None:
    # Given an amount in minor units / When it is shown in a language / Then it reads as people write it
    assert money.format(language) == shown


def test_format_puts_the_sign_in_front() -> None:
    assert Money(-1499, "EUR").format("en") == "-€14.99"
    assert Money(-1499, "EUR").format("nl") == "-€ 14,99"
    assert Money(-123456, "CHF").format("en") == "-1,234.56 CHF"


def test_the_default_language_is_english() -> None:
    assert Money(123456, "EUR").format() == "€1,234.56"


@pytest.mark.parametrize(
    ("money", "value"),
    [
        (Money(14990, "EUR"), Decimal("149.90")),
        (Money(1234, "JPY"), Decimal("1234")),
        (Money(1234567, "KWD"), Decimal("1234.567")),
        (Money(-5, "EUR"), Decimal("-0.05")),
    ],
)
def test_decimal_uses_the_currency_exponent(money: Money, value: Decimal) -> None:
    assert money.decimal() == value


def test_exponents() -> None:
    assert (Money(1, "EUR").exponent, Money(1, "JPY").exponent, Money(1, "BHD").exponent) == (2, 0, 3)


def test_adding_and_subtracting_keep_the_currency() -> None:
    assert Money(1000, "EUR") + Money(499, "EUR") == Money(1499, "EUR")
    assert Money(1000, "EUR") - Money(1499, "EUR") == Money(-499, "EUR")
    assert Money.zero("GBP") == Money(0, "GBP")


@pytest.mark.parametrize("op", ["add", "sub"])
def test_currencies_never_mix(op: str) -> None:
    # Given euros and pounds / When they are added or subtracted / Then that is refused
    eur, gbp = Money(100, "EUR"), Money(100, "GBP")
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = eur + gbp if op == "add" else eur - gbp


@pytest.mark.parametrize("amount", [1.5, 10.0, "100", Decimal(1), True, None])
def test_the_amount_is_an_integer_of_minor_units(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["eur", "EURO", "EU", "", "E1R", "€€€", "EU "])
def test_the_currency_is_an_iso_4217_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, currency)


def test_as_dict_is_what_the_api_shows() -> None:
    assert Money(1499, "EUR").as_dict() == {"amount_minor": 1499, "currency": "EUR"}


def test_money_is_a_value() -> None:
    assert Money(1499, "EUR") == Money(1499, "EUR")
    assert Money(1499, "EUR") != Money(1499, "GBP")
    assert len({Money(1, "EUR"), Money(1, "EUR")}) == 1


amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(amounts)
def test_dutch_and_english_forms_differ_only_in_separators(amount: int) -> None:
    en = Money(amount, "EUR").format("en")
    nl = Money(amount, "EUR").format("nl")
    swapped = en.replace(",", "_").replace(".", ",").replace("_", ".")
    assert nl == swapped.replace("€", "€ ", 1)


@given(amounts, st.sampled_from(["EUR", "GBP", "USD", "JPY", "CHF", "KWD"]))
def test_the_english_form_reads_back_as_the_same_amount(amount: int, currency: str) -> None:
    # Given any amount / When it is formatted in English / Then its digits are exactly the amount
    money = Money(amount, currency)
    shown = money.format("en")
    digits = shown.replace(",", "").replace(".", "").strip("-€£$¥ ").removesuffix(f" {currency}")
    assert int(digits) == abs(amount)
    assert shown.startswith("-") == (amount < 0)


@given(amounts, amounts)
def test_adding_then_subtracting_gives_back_the_amount(a: int, b: int) -> None:
    assert Money(a, "EUR") + Money(b, "EUR") - Money(b, "EUR") == Money(a, "EUR")
