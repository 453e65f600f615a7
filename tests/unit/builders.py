"""Small builders of domain objects for the rule tests: the seed's world, without AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from paid_invites.accounts import Account, User
from paid_invites.invitations import PENDING, Invitation, new_token
from paid_invites.proration import Subscription

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INVITATION_ID = "0123456789abcdef0123456789abcdef"

OLGA = User("u-olga", "olga@acme.example", "Olga Owner", "acme", "owner", "licensed")
ARNO = User("u-arno", "arno@acme.example", "Arno Admin", "acme", "admin", "licensed", language="nl")
MIA = User("u-mia", "mia@acme.example", "Mia Member", "acme", "member", "basic")
JAN = User("u-jan", "jan@devries.example", "Jan de Vries", "acc-jan", "owner", "licensed", language="nl")


def acme(**changes: Any) -> Account:
    org = Account(
        id="acme",
        name="Acme B.V.",
        type="organization",
        plan="business",
        status="active",
        currency="EUR",
        licenses_free=8,
        licenses_used=2,
        members_count=3,
    )
    return replace(org, **changes)


def jans_subscription(**changes: Any) -> Subscription:
    sub = Subscription(
        amount_minor=14990,
        currency="EUR",
        interval="year",
        current_period_start=datetime(2026, 6, 1, tzinfo=UTC),
        current_period_end=datetime(2027, 6, 1, tzinfo=UTC),
        payment_method="visa-4242",
    )
    return replace(sub, **changes)


def jans_account(**changes: Any) -> Account:
    own = Account(
        id="acc-jan",
        name="Jan de Vries",
        type="individual",
        plan="pro",
        status="active",
        currency="EUR",
        licenses_used=1,
        members_count=1,
        subscription=jans_subscription(),
    )
    return replace(own, **changes)


def fleurs_account(**changes: Any) -> Account:
    own = Account(
        id="acc-fleur",
        name="Fleur Bakker",
        type="individual",
        plan="basic",
        status="active",
        currency="EUR",
        members_count=1,
    )
    return replace(own, **changes)


def invitation(**changes: Any) -> tuple[Invitation, str]:
    """A pending, e-mailed invitation and the secret of its link."""
    token, token_hash = new_token(INVITATION_ID)
    inv = Invitation(
        id=INVITATION_ID,
        account_id="acme",
        email="jan@devries.example",
        user_type="licensed",
        role="member",
        inviter_id="u-arno",
        inviter_name="Arno Admin",
        org_name="Acme B.V.",
        status=PENDING,
        created_at=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=29),
        token_hash=token_hash,
    )
    return replace(inv, **changes), token.partition(".")[2]
