"""The quote: the fingerprint of the money the confirm page shows, which the accept must find unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paid_invites.acceptance import quote, quote_matches
from paid_invites.accounts import Account, settlement_offer

from ..support.builders import NOW, account, acme, fleurs_account, jans_account, jans_subscription

ACME = acme()  # invites, in euros


def quoted(own: Account | None, org: Account = ACME, seconds: float = 0) -> str:
    """The quote of the page ``own``'s invitee sees ``seconds`` after NOW."""
    return quote(settlement_offer(own, org, NOW + timedelta(seconds=seconds)), own)


def test_the_quote_stays_while_seconds_pass_and_the_amount_shrinks() -> None:
    # Given Jan's page at NOW, and the same page a day later (his unused value is less by then)
    jan = jans_account()
    earlier = settlement_offer(jan, ACME, NOW)
    later = settlement_offer(jan, ACME, NOW + timedelta(days=1))
    assert earlier is not None and later is not None and later.amount.amount_minor < earlier.amount.amount_minor
    # Then both carry the same quote: time passing alone is not a change of the money
    assert quoted(jan) == quoted(jan, seconds=86400)
    assert len(quoted(jan)) == 16 and int(quoted(jan), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"amount_minor": 17990},
        {"current_period_start": NOW - timedelta(hours=12), "current_period_end": NOW + timedelta(days=365)},
        {"interval": "month"},
        {"payment_method": "mastercard-5454"},
        {"status": "cancelled"},
    ],
    ids=["price", "renewal", "interval", "payment method", "cancelled"],
)
def test_every_fact_the_amount_depends_on_changes_the_quote(change: dict[str, object]) -> None:
    # Given Jan's subscription as his page showed it, and the same with one fact changed by the platform
    before = jans_account()
    after = jans_account(subscription=jans_subscription(**change))
    # Then the quote differs
    assert quoted(after) != quoted(before)


def test_what_is_offered_is_part_of_the_quote() -> None:
    # Given Jan invited by an organization billed in pounds: a refund only, no credit
    globex = account(id="globex", name="Globex Ltd", type="organization", plan="business", currency="GBP")
    # Then his quote differs from the one with both choices; and once his period is over (nothing to pay
    # back) it differs again
    jan = jans_account()
    assert quoted(jan, globex) != quoted(jan)
    ended = (jans_subscription().current_period_end - NOW).total_seconds() + 1
    assert quoted(jan, seconds=ended) != quoted(jan)


def test_no_money_has_one_quote_and_needs_none() -> None:
    # Given invitees without money to settle: a new person, a free account, a paid plan without a subscription
    nothing = {quoted(None), quoted(fleurs_account()), quoted(jans_account(subscription=None))}
    # Then they share one quote, other than any with money
    assert len(nothing) == 1 and quoted(jans_account()) not in nothing
    # and an accept without a quote goes ahead only when no money is involved
    assert quote_matches(None, nothing.pop(), money=False)
    assert not quote_matches(None, quoted(jans_account()), money=True)
    assert not quote_matches("", quoted(jans_account()), money=True)


def test_a_quote_matches_only_itself() -> None:
    current = quoted(jans_account())
    assert quote_matches(current, current, money=True)
    assert not quote_matches(quoted(jans_account(subscription=jans_subscription(amount_minor=1))), current, money=True)
    assert not quote_matches(current, quoted(None), money=False)  # the money went: asked again too
