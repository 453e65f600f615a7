"""Who may invite, who may join, and what an invitee's own subscription is worth when they do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from paid_invites.accounts import (
    Account,
    User,
    ensure_can_invite,
    ensure_can_manage,
    join_refusal,
    may_grant_role,
    settlement_offer,
)
from paid_invites.errors import AcceptRefused, Conflict, DomainError, Forbidden, NotFound, Unauthorized
from paid_invites.money import Money

from ..support.builders import ARNO, JAN, MIA, NOW, OLGA, acme, fleurs_account, jans_account, jans_subscription

# ---------------------------------------------------------------- who may manage and invite


@pytest.mark.parametrize("caller", [OLGA, ARNO])
def test_the_owner_and_admins_manage_their_own_account(caller: User) -> None:
    assert ensure_can_manage(caller, "acme") is caller


@pytest.mark.parametrize(
    ("caller", "account_id", "error", "status"),
    [
        (None, "acme", Unauthorized, 401),
        (MIA, "acme", Forbidden, 403),  # a member of the very account
        (OLGA, "globex", NotFound, 404),  # another tenant learns nothing, not even that it exists
        (JAN, "acme", NotFound, 404),
        (OLGA, "no-such-account", NotFound, 404),
    ],
)
def test_everyone_else_is_refused(caller: User | None, account_id: str, error: type[DomainError], status: int) -> None:
    with pytest.raises(error) as refused:
        ensure_can_manage(caller, account_id)
    assert refused.value.status == status


def test_an_active_paid_organization_can_invite() -> None:
    org = acme()
    assert ensure_can_invite(org) is org


def test_no_account_is_not_found() -> None:
    with pytest.raises(NotFound):
        ensure_can_invite(None)


@pytest.mark.parametrize(
    "org",
    [acme(type="individual"), acme(status="closed"), acme(status="suspended"), acme(plan="basic")],
    ids=["individual", "closed", "suspended", "free"],
)
def test_only_an_active_paid_organization_can_invite(org: Account) -> None:
    with pytest.raises(Conflict) as refused:
        ensure_can_invite(org)
    assert refused.value.code == "account_not_eligible"


def test_only_the_owner_grants_the_admin_role() -> None:
    assert may_grant_role(OLGA, "admin") and may_grant_role(OLGA, "member")
    assert not may_grant_role(ARNO, "admin") and may_grant_role(ARNO, "member")


def test_account_figures() -> None:
    org = acme(licenses_free=5, licenses_used=3, licenses_held=2, credit_minor=7453, balance_due_minor=1499)
    assert org.licenses_total == 10
    assert (org.credit, org.balance_due) == (Money(7453, "EUR"), Money(1499, "EUR"))
    assert org.is_paid and not fleurs_account().is_paid


# ---------------------------------------------------------------- who may join


def test_nothing_stands_in_the_way() -> None:
    assert join_refusal(JAN, jans_account(), acme(licenses_held=1), "licensed") is None
    assert join_refusal(None, None, acme(licenses_held=1), "licensed") is None  # someone new


def test_a_basic_user_needs_no_license() -> None:
    assert join_refusal(JAN, jans_account(), acme(licenses_held=0, licenses_free=0), "basic") is None


def test_outstanding_invoices_are_paid_first_and_the_amount_is_named() -> None:
    refusal = join_refusal(JAN, jans_account(balance_due_minor=1499), acme(licenses_held=1), "licensed")
    assert refusal is not None
    assert (refusal.code, refusal.status) == ("outstanding_invoices", 409)
    assert refusal.details == {"amount_minor": 1499, "currency": "EUR"}


def test_a_credit_on_the_own_account_is_no_invoice_but_would_be_lost_by_closing_it() -> None:
    refusal = join_refusal(JAN, jans_account(credit_minor=500), acme(licenses_held=1), "licensed")
    assert refusal is not None and refusal.code == "own_account_is_organization"


def test_an_account_with_other_users_cannot_be_closed() -> None:
    refusal = join_refusal(JAN, jans_account(members_count=3), acme(licenses_held=1), "licensed")
    assert refusal is not None
    assert (refusal.code, refusal.details) == ("account_has_other_users", {"other_users": 2})


def test_a_licensed_invitee_needs_the_license_the_invitation_holds() -> None:
    refusal = join_refusal(JAN, jans_account(), acme(licenses_held=0, licenses_free=3), "licensed")
    assert refusal is not None and (refusal.code, refusal.status) == ("no_license_available", 409)


def test_a_member_is_already_a_member() -> None:
    mia_in_acme = replace(MIA, account_id="acme")
    refusal = join_refusal(mia_in_acme, acme(licenses_held=1), acme(licenses_held=1), "basic")
    assert refusal is not None and refusal.code == "already_member"


def test_being_a_member_is_said_before_anything_else() -> None:
    refusal = join_refusal(OLGA, acme(balance_due_minor=100, members_count=3), acme(licenses_held=0), "licensed")
    assert refusal is not None and refusal.code == "already_member"


def test_invoices_come_before_other_users_and_licenses() -> None:
    own = jans_account(balance_due_minor=1499, members_count=2)
    refusal = join_refusal(JAN, own, acme(licenses_held=0), "licensed")
    assert refusal is not None and refusal.code == "outstanding_invoices"


def test_the_refusal_is_an_accept_refusal() -> None:
    refusal = join_refusal(JAN, jans_account(members_count=2), acme(licenses_held=1), "licensed")
    assert isinstance(refusal, AcceptRefused)


# ---------------------------------------------------------------- what the own subscription is worth


def test_nothing_to_settle_without_a_paid_account() -> None:
    org = acme()
    assert settlement_offer(None, org, NOW) is None  # someone new
    assert settlement_offer(fleurs_account(), org, NOW) is None  # free plan
    assert settlement_offer(jans_account(subscription=None), org, NOW) is None  # paid, no subscription
    cancelled = jans_account(subscription=jans_subscription(status="cancelled"))
    assert settlement_offer(cancelled, org, NOW) is None


def test_same_currency_offers_refund_or_credit() -> None:
    offer = settlement_offer(jans_account(), acme(), NOW)
    assert offer is not None
    assert offer.amount == Money(7453, "EUR")
    assert offer.choices == ("refund", "credit")
    assert offer.payment_method == "visa-4242"


def test_across_currencies_only_a_refund_in_the_invitees_own_currency() -> None:
    globex = acme(id="globex", name="Globex Ltd", currency="GBP")
    offer = settlement_offer(jans_account(), globex, NOW)
    assert offer is not None
    assert offer.choices == ("refund",)
    assert offer.amount == Money(7453, "EUR")


def test_a_used_up_period_offers_no_choice() -> None:
    # Given Jan's period ended / When he joins / Then there is an offer of nothing, and nothing to choose
    offer = settlement_offer(jans_account(), acme(), datetime(2027, 6, 1, tzinfo=UTC) + timedelta(hours=1))
    assert offer is not None
    assert offer.amount == Money(0, "EUR")
    assert offer.choices == ()


def test_a_tiny_remainder_that_rounds_to_nothing_offers_no_choice() -> None:
    offer = settlement_offer(jans_account(), acme(), datetime(2027, 6, 1, tzinfo=UTC) - timedelta(seconds=1))
    assert offer is not None and offer.amount.amount_minor == 0 and offer.choices == ()


def test_the_offer_follows_the_moment() -> None:
    later = settlement_offer(jans_account(), acme(), NOW + timedelta(days=30))
    now = settlement_offer(jans_account(), acme(), NOW)
    assert later is not None and now is not None
    assert later.amount < now.amount
