"""The seed file is the platform's first fill: its entries become the platform's events, in the order a
first fill sends them, each valid under its published schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.stack import seed_events
from tests.conftest import SEED
from tests.support.event_schemas import assert_valid


def seed() -> dict[str, Any]:
    return dict(json.loads(SEED.read_text()))


def test_the_seed_becomes_accounts_then_users_then_subscriptions_then_invoices() -> None:
    # Given the tests' seed
    data = seed()
    # When it is turned into events
    events = seed_events(data)
    # Then there is one per entry (and per subscription), in the first fill's order, each valid, version 1
    kinds = [kind for kind, _ in events]
    subscriptions = sum(1 for a in data["accounts"] if a.get("subscription"))
    expected = (
        ["AccountChanged"] * len(data["accounts"])
        + ["UserChanged"] * len(data["users"])
        + ["SubscriptionChanged"] * subscriptions
        + ["InvoiceChanged"] * len(data["invoices"])
    )
    assert kinds == expected
    for kind, detail in events:
        assert_valid(kind, detail)
        assert detail["version"] == 1


def test_an_entrys_own_version_is_kept() -> None:
    data = seed()
    data["accounts"][0]["version"] = 7
    ((kind, detail), *_) = seed_events(data)
    assert (kind, detail["id"], detail["version"]) == ("AccountChanged", data["accounts"][0]["id"], 7)


def test_two_users_with_one_address_are_refused() -> None:
    # Given a seed where two users share an address (in another case)
    data = seed()
    data["users"][1]["email"] = data["users"][0]["email"].upper()
    # Then it is refused before anything is sent
    with pytest.raises(ValueError, match="share an e-mail address"):
        seed_events(data)


def test_an_organization_with_more_licensed_members_than_licenses_is_refused() -> None:
    data = seed()
    globex = next(a for a in data["accounts"] if a["id"] == "globex")
    globex["licenses"] = 0
    with pytest.raises(ValueError, match="globex has 1 licensed members but 0 licenses"):
        seed_events(data)
