"""Removing a member: who may be removed, the individual account they get, and what makes a retry find it done."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paid_invites.accounts import is_organization, join_refusal
from paid_invites.errors import Conflict, NotFound
from paid_invites.members import is_done, own_account, own_account_id, plan_removal

from ..support.builders import ARNO, JAN, MIA, NOW, OLGA, acme


def test_a_members_removal_gives_them_an_individual_free_account_they_can_join_an_organization_from() -> None:
    # Given Arno, a licensed admin of Acme
    # When the owner plans his first removal
    removal = plan_removal(ARNO, acme(), None, OLGA.id, NOW)
    # Then it is his first, remembers what he was, and frees a license
    assert (removal.n, removal.role, removal.user_type, removal.by) == (1, "admin", "licensed", OLGA.id)
    assert removal.freed_license and removal.event_pending
    assert removal.event_id == "acme:u-arno:removed:2026-12-01T12:00:00Z"
    # and the account he gets is an active individual one on the free plan, his alone
    own = own_account(ARNO, removal, "EUR")
    assert (own.id, own.type, own.plan, own.status, own.members_count) == (
        removal.own_account_id,
        "individual",
        "basic",
        "active",
        1,
    )
    # which does not keep him from joining an organization again
    assert not is_organization(own)
    moved = replace(ARNO, account_id=own.id, role="owner", user_type="basic")
    assert join_refusal(moved, own, acme(licenses_held=1), "licensed") is None


def test_the_new_accounts_id_is_the_same_for_a_retry_and_another_for_the_next_removal() -> None:
    first = plan_removal(MIA, acme(), None, ARNO.id, NOW)
    retried = plan_removal(MIA, acme(), None, ARNO.id, NOW.replace(minute=5))
    assert first.own_account_id == retried.own_account_id == own_account_id(MIA.id, 1)
    # the next removal (after she joined again) gets another account, as does a taken id skipped
    assert plan_removal(MIA, acme(), first, ARNO.id, NOW).own_account_id == own_account_id(MIA.id, 2)
    assert plan_removal(MIA, acme(), None, ARNO.id, NOW, skip=1).own_account_id == own_account_id(MIA.id, 2)
    assert own_account_id(MIA.id, 1) != own_account_id(ARNO.id, 1)


def test_a_removal_is_done_while_the_user_is_still_in_the_account_it_gave_them() -> None:
    removal = plan_removal(MIA, acme(), None, ARNO.id, NOW)
    removed = replace(MIA, account_id=removal.own_account_id, role="owner")
    assert is_done(removed, "acme", removal)
    assert not is_done(MIA, "acme", removal)  # joined Acme again: a new removal, not this one
    assert not is_done(replace(MIA, account_id="globex"), "acme", removal)  # moved on since
    assert not is_done(removed, "globex", removal)  # another organization's request
    assert not is_done(removed, "acme", None)


def test_the_owner_cannot_be_removed_and_a_non_member_is_not_found() -> None:
    with pytest.raises(Conflict) as refused:
        plan_removal(OLGA, acme(), None, ARNO.id, NOW)
    assert refused.value.code == "owner_not_removable" and refused.value.status == 409
    for who in (JAN, None):
        with pytest.raises(NotFound):
            plan_removal(who, acme(), None, OLGA.id, NOW)
