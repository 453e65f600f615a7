"""Money: integer minor units, one currency (formatted for people by paid_invites.formatting: test_formatting.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paid_invites.money import Money


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


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("EUR", 2), ("USD", 2), ("JPY", 0), ("VND", 0), ("PYG", 0), ("XOF", 0), ("BHD", 3), ("IQD", 3), ("CLF", 4)],
)
def test_exponents_follow_iso_4217(currency: str, exponent: int) -> None:
    # Given an amount in a currency / Then its minor unit is ISO 4217's (VND and PYG have none, IQD has three)
    assert Money(1, currency).exponent == exponent


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


@given(amounts, amounts)
def test_adding_then_subtracting_gives_back_the_amount(a: int, b: int) -> None:
    assert Money(a, "EUR") + Money(b, "EUR") - Money(b, "EUR") == Money(a, "EUR")
