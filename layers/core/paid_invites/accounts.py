"""Accounts, members, licenses and invoices: the rules about who may invite and who may join."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import AcceptRefused, Conflict, Forbidden, NotFound, Unauthorized
from .money import Money
from .proration import Subscription, unused_value

ORGANIZATION = "organization"
INDIVIDUAL = "individual"
FREE_PLAN = "basic"
MANAGER_ROLES = ("owner", "admin")
ACTIVE = "active"


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    type: str
    plan: str
    status: str
    currency: str
    licenses_free: int = 0
    licenses_used: int = 0
    licenses_held: int = 0
    credit_minor: int = 0
    balance_due_minor: int = 0
    members_count: int = 0
    invitations_pending: int = 0
    subscription: Subscription | None = None
    billing_customer_id: str | None = None  # the billing system's customer (e.g. Stripe's cus_...), if any
    invited_day: str | None = None  # the UTC day (YYYY-MM-DD) that invited_today counts
    invited_today: int = 0

    def invited_on(self, day: str) -> int:
        """Invitations the organization created on ``day`` (the daily limit's count)."""
        return self.invited_today if self.invited_day == day else 0

    @property
    def is_paid(self) -> bool:
        return self.plan != FREE_PLAN

    @property
    def licenses_total(self) -> int:
        return self.licenses_free + self.licenses_used + self.licenses_held

    @property
    def balance_due(self) -> Money:
        return Money(self.balance_due_minor, self.currency)

    @property
    def credit(self) -> Money:
        return Money(self.credit_minor, self.currency)


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    account_id: str
    role: str
    user_type: str
    language: str = "en"


@dataclass(frozen=True)
class SettlementOffer:
    """What the invitee's own paid subscription is worth at acceptance, and what they may do with it."""

    amount: Money
    payment_method: str
    choices: tuple[str, ...]  # ("refund", "credit") or ("refund",) across currencies; () when nothing to pay back


def ensure_can_manage(caller: User | None, account_id: str) -> User:
    """Owner or admin of this very account. Another tenant learns nothing: 404, not 403."""
    if caller is None:
        raise Unauthorized("sign in to manage invitations")
    if caller.account_id != account_id:
        raise NotFound("no such account")
    if caller.role not in MANAGER_ROLES:
        raise Forbidden("only the owner or an admin of the account can manage invitations")
    return caller


def ensure_can_invite(org: Account | None) -> Account:
    if org is None:
        raise NotFound("no such account")
    if org.type != ORGANIZATION or org.status != "active" or not org.is_paid:
        raise Conflict("only an active, paid organization account can invite users", code="account_not_eligible")
    return org


def may_grant_role(caller: User, role: str) -> bool:
    """Only the owner can make someone an admin (as in the reference product)."""
    return role == "member" or caller.role == "owner"


def settlement_offer(invitee_account: Account | None, org: Account, at: datetime) -> SettlementOffer | None:
    """None when there is nothing to settle: no own account, a free one, or no active subscription."""
    if invitee_account is None or not invitee_account.is_paid:
        return None
    sub = invitee_account.subscription
    if sub is None or sub.status != "active":
        return None
    amount = unused_value(sub, at)
    if amount.amount_minor == 0:
        choices: tuple[str, ...] = ()
    elif amount.currency == org.currency:
        choices = ("refund", "credit")
    else:
        choices = ("refund",)  # credit is not offered across currencies
    return SettlementOffer(amount=amount, payment_method=sub.payment_method, choices=choices)


def is_organization(account: Account) -> bool:
    """An account that is more than one person's: of type organization, or holding what only an organization
    holds (pending invitations, licenses held for them or bought beyond the owner's own seat, credit).
    Joining another account would close it."""
    return (
        account.type == ORGANIZATION
        or account.invitations_pending > 0
        or account.licenses_held > 0
        or account.licenses_total > 1
        or account.credit_minor > 0
    )


def join_refusal(user: User | None, own_account: Account | None, org: Account, user_type: str) -> AcceptRefused | None:
    """Why this invitee cannot join now, or None. Checked on the page and again, atomically, on accept.

    Joining closes the invitee's own account, so it must be an individual one: no other users, and nothing
    an organization has (pending invitations, licenses, credit). An organization or own account that is no
    longer active is a refusal too: nothing can change that by trying again.
    """
    if user is not None and user.account_id == org.id:
        return AcceptRefused("you are already a member of this organization", code="already_member")
    if org.status != ACTIVE:
        return AcceptRefused(
            "the organization has been closed; its invitations cannot be accepted", code="organization_closed"
        )
    if own_account is not None and own_account.status != ACTIVE:
        return AcceptRefused("your own account is no longer active", code="own_account_closed")
    if own_account is not None and own_account.balance_due_minor > 0:
        due = own_account.balance_due
        return AcceptRefused(
            "your account has outstanding invoices; pay them first, then open this link again",
            code="outstanding_invoices",
            details=due.as_dict(),
        )
    if own_account is not None and own_account.members_count > 1:
        return AcceptRefused(
            "your account still has other users; remove them first, then open this link again",
            code="account_has_other_users",
            details={"other_users": own_account.members_count - 1},
        )
    if own_account is not None and is_organization(own_account):
        return AcceptRefused(
            "your account is an organization; transfer its ownership or close it first, then open this link again",
            code="own_account_is_organization",
            details={
                "account_name": own_account.name,
                "pending_invitations": own_account.invitations_pending,
                "licenses": own_account.licenses_total,
                "credit": own_account.credit.as_dict(),
            },
        )
    # A licensed invitation holds its license from the invite on; the hold is gone only when the
    # organization's licenses were cut back meanwhile.
    if user_type == "licensed" and org.licenses_held < 1:
        return AcceptRefused(
            "the organization has no free license left; ask the admin to add one",
            code="no_license_available",
        )
    return None
