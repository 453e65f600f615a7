"""Who may join an organization with their own account: only an individual account that is still active, into
an organization that is still active. Joining closes the invitee's own account, so an account that is an
organization (or holds what only one holds) is refused with what to do."""

from __future__ import annotations

from typing import Any

import pytest

from paid_invites.accounts import Account, is_organization, join_refusal
from paid_invites.errors import AcceptRefused

from ..support.builders import JAN, acme, fleurs_account, jans_account

GLOBEX_OWNER_ACCOUNT = {"id": "globex", "name": "Globex Ltd"}


def refusal(own: Account | None, org: Account | None = None, user_type: str = "basic") -> AcceptRefused | None:
    return join_refusal(JAN, own, org or acme(licenses_held=1), user_type)


@pytest.mark.parametrize(
    ("what", "changes"),
    [
        ("an organization account, alone in it", {"type": "organization", "plan": "business"}),
        ("pending invitations of its own", {"invitations_pending": 1}),
        ("licenses held for its invitations", {"licenses_held": 1}),
        ("licenses bought beyond the owner's own", {"licenses_free": 4, "licenses_used": 1}),
        ("credit", {"credit_minor": 1}),
    ],
)
def test_an_own_account_that_is_an_organization_is_refused_with_what_to_do(what: str, changes: dict[str, Any]) -> None:
    # Given the invitee's own account, alone in it, holds what only an organization holds
    own = jans_account(**GLOBEX_OWNER_ACCOUNT, **changes)
    assert is_organization(own), what
    # When the rules decide, Then joining is refused: it would dissolve that organization
    refused = refusal(own)
    assert refused is not None and refused.code == "own_account_is_organization", what
    assert refused.status == 409
    assert refused.details["account_name"] == "Globex Ltd"
    assert "transfer" in refused.message and "close" in refused.message


@pytest.mark.parametrize(
    "own",
    [
        None,  # new to the platform
        fleurs_account(),  # a free individual account
        jans_account(),  # a paid individual account: its owner's one license
    ],
)
def test_an_individual_account_may_join(own: Account | None) -> None:
    assert own is None or not is_organization(own)
    assert refusal(own) is None


def test_an_organization_that_is_closed_is_a_refusal_not_a_retry() -> None:
    refused = refusal(jans_account(), acme(status="closed", licenses_held=1))
    assert refused is not None and (refused.code, refused.status) == ("organization_closed", 410)


def test_an_own_account_that_is_closed_is_a_refusal() -> None:
    refused = refusal(jans_account(status="closed"))
    assert refused is not None and (refused.code, refused.status) == ("own_account_closed", 409)


def test_other_users_are_named_before_the_organization_they_make() -> None:
    # an organization with other users: removing them is the first thing to do
    own = jans_account(type="organization", members_count=3)
    refused = refusal(own)
    assert refused is not None and refused.code == "account_has_other_users"
