"""An organization's members: who may be removed, and what a removed member gets. Pure rules, no AWS or store.

A removed member leaves the organization (a licensed one frees the license) and gets an individual account
of their own again, as before they joined: active, individual, on the free plan, the user its owner and a
basic user. The account's id derives from the user and the how-many-th removal of theirs this is, so that
a retry of the same removal makes no second account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from .accounts import ACTIVE, FREE_PLAN, INDIVIDUAL, Account, User
from .clock import iso
from .errors import Conflict, NotFound

OWNER = "owner"
USER_TYPES = ("basic", "licensed")
ROLES = (OWNER, "admin", "member")


@dataclass(frozen=True)
class MemberFilter:
    """What a members list shows: all, or only one user type, one role, addresses starting with a prefix."""

    user_type: str | None = None
    role: str | None = None
    email_prefix: str | None = None  # lower case


@dataclass(frozen=True)
class Removal:
    """One member's removal from an organization (the ``n``-th removal of this user)."""

    n: int
    account_id: str  # the organization the member left
    user_id: str
    own_account_id: str  # the individual account the user has again
    at: datetime
    by: str  # who removed them
    role: str  # what they were in the organization
    user_type: str
    event_pending: bool = True  # its MemberRemoved event is not published yet

    @property
    def event_id(self) -> str:
        """The stable id of its MemberRemoved event: the same removal published again has it."""
        return f"{self.account_id}:{self.user_id}:removed:{iso(self.at)}"

    @property
    def freed_license(self) -> bool:
        return self.user_type == "licensed"


def own_account_id(user_id: str, n: int) -> str:
    """The id of the individual account the user gets at their ``n``-th removal: the same for every retry."""
    return "ind-" + hashlib.sha256(f"{user_id}:removal:{n}".encode()).hexdigest()[:24]


def plan_removal(
    member: User | None, org: Account, previous: Removal | None, by: str, at: datetime, skip: int = 0
) -> Removal:
    """The removal of ``member`` from ``org``: 404 when not a member of it, 409 for the owner. ``previous``: the
    user's latest removal (its ``n`` counts on); ``skip``: ids to pass over (taken by an account already)."""
    if member is None or member.account_id != org.id:
        raise NotFound("no such member of this account")
    if member.role == OWNER:
        raise Conflict("the owner cannot be removed; transfer the ownership first", code="owner_not_removable")
    n = (previous.n if previous else 0) + 1 + skip
    return Removal(
        n=n,
        account_id=org.id,
        user_id=member.id,
        own_account_id=own_account_id(member.id, n),
        at=at,
        by=by,
        role=member.role,
        user_type=member.user_type,
    )


def is_done(member: User | None, org_id: str, removal: Removal | None) -> bool:
    """The user's latest removal is from ``org_id`` and they are still in the account it gave them: a retry of
    that removal finds it done."""
    return (
        member is not None
        and removal is not None
        and removal.account_id == org_id
        and member.account_id == removal.own_account_id
    )


def own_account(member: User, removal: Removal, currency: str) -> Account:
    """The individual account a removed member gets: active, free plan, its one user the owner."""
    return Account(
        id=removal.own_account_id,
        name=member.name or member.email,
        type=INDIVIDUAL,
        plan=FREE_PLAN,
        status=ACTIVE,
        currency=currency,
        members_count=1,
    )
