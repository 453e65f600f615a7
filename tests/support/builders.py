"""The builders of domain objects, for every suite and the benchmark: the seed's world (tests/seed.json), without
AWS. Each builds one value with the seed's defaults; ``changes`` replace fields of it."""

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


def account(**changes: Any) -> Account:
    """An active account in euros: an individual one on the free plan with its owner alone, unless ``changes``
    say otherwise."""
    own = {"type": "individual", "plan": "basic", "status": "active", "currency": "EUR", "members_count": 1}
    return Account(**{**own, **changes})


def acme(**changes: Any) -> Account:
    """Acme B.V., the organization: 10 licenses, 2 of them used, 3 members."""
    org = {"type": "organization", "plan": "business", "licenses_free": 8, "licenses_used": 2, "members_count": 3}
    return account(**{"id": "acme", "name": "Acme B.V.", **org, **changes})


def jans_subscription(**changes: Any) -> Subscription:
    """Jan's own yearly plan: EUR 149.90 from June to June."""
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
    """Jan's own paid account (the pro plan, his subscription)."""
    own = {"id": "acc-jan", "name": "Jan de Vries", "plan": "pro", "licenses_used": 1}
    return account(**{**own, "subscription": jans_subscription(), **changes})


def fleurs_account(**changes: Any) -> Account:
    """Fleur's own free account."""
    return account(**{"id": "acc-fleur", "name": "Fleur Bakker", **changes})


def invitation(**changes: Any) -> Invitation:
    """A pending invitation of Acme by Arno for Jan, created a day before NOW, without a link. Given a
    ``created_at`` and no ``expires_at``, it lives 30 days from then."""
    created = changes.get("created_at", NOW - timedelta(days=1))
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
        created_at=created,
        expires_at=created + timedelta(days=30),
    )
    return replace(inv, **changes)


def invitation_with_link(**changes: Any) -> tuple[Invitation, str]:
    """A pending, e-mailed invitation (``invitation``) and the secret of its link."""
    token, token_hash = new_token(changes.get("id", INVITATION_ID))
    return invitation(**{"token_hash": token_hash, **changes}), token.partition(".")[2]
