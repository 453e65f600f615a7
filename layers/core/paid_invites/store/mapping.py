"""Mapping between the pynamodb items and the domain values (accounts, users, invitations, subscriptions)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import MapAttribute

from ..accounts import Account, User
from ..fields import same_named
from ..invitations import PENDING, Invitation
from ..ledger import COMPLETED, LedgerEntry
from ..proration import Subscription
from . import models as m

DUE_SHARD = "due"
_ACCOUNT_TEXTS = ("id", "name", "type", "plan", "status", "currency")
_USER_FIELDS = list(User.__dataclass_fields__)
_SUBSCRIPTION_FIELDS = list(Subscription.__dataclass_fields__)


def to_account(item: m.AccountModel) -> Account:
    sub = item.subscription
    return Account(
        **same_named(item, _ACCOUNT_TEXTS),
        licenses_free=int(item.licenses_free),
        licenses_used=int(item.licenses_used),
        licenses_held=int(item.licenses_held),
        credit_minor=int(item.credit_minor),
        balance_due_minor=int(item.balance_due_minor),
        members_count=int(item.members_count),
        invitations_pending=int(item.invitations_pending or 0),
        subscription=to_subscription(sub, sub.currency or item.currency) if sub else None,
        billing_customer_id=item.billing_customer_id,
        invited_day=item.invited_day,
        invited_today=int(item.invited_today or 0),
    )


def to_user(item: m.UserModel) -> User:
    return User(**same_named(item, _USER_FIELDS))


_INVITATION_FIELDS = [name for name in Invitation.__dataclass_fields__ if name not in ("history", "subscription")]


def to_invitation(item: m.InvitationModel) -> Invitation:
    values = same_named(item, _INVITATION_FIELDS)
    history = [dict(e.as_dict() if hasattr(e, "as_dict") else e) for e in (item.history or [])]
    sub = item.subscription
    return Invitation(**values, history=history, subscription=to_subscription(sub, sub.currency) if sub else None)


def to_subscription(sub: m.SubscriptionAttribute, currency: str) -> Subscription:
    values = same_named(sub, _SUBSCRIPTION_FIELDS) | {"amount_minor": int(sub.amount_minor), "currency": currency}
    return Subscription(**values)


def status_key(status: str, created_at: datetime, invitation_id: str) -> str:
    return f"{status}#{created_at.isoformat()}#{invitation_id}"


def from_invitation(inv: Invitation) -> m.InvitationModel:
    item = m.InvitationModel(**same_named(inv, _INVITATION_FIELDS))
    item.status_key = status_key(inv.status, inv.created_at, inv.id)
    item.history = [MapAttribute(**entry) for entry in inv.history]
    item.subscription = subscription_attribute(inv.subscription)
    if inv.status == PENDING and inv.sent_at is None:
        # due at its expiry from the start, so that even one whose e-mail never went out expires
        # (and frees its license); sending it moves due_at to the first reminder (sends.py)
        item.due_shard, item.due_at = DUE_SHARD, inv.expires_at
    return item


def subscription_attribute(sub: Subscription | None) -> m.SubscriptionAttribute | None:
    if sub is None:
        return None
    return m.SubscriptionAttribute(**same_named(sub, _SUBSCRIPTION_FIELDS))


def to_entry(item: m.LedgerModel) -> LedgerEntry:
    """A ledger entry as stored; one without a state was booked complete (the built-in billing)."""
    return LedgerEntry(
        invitation_id=item.invitation_id,
        kind=item.kind,
        account_id=item.account_id,
        user_id=item.user_id,
        amount_minor=int(item.amount_minor),
        currency=item.currency,
        created_at=item.created_at,
        state=item.state or COMPLETED,
        attempt=int(item.attempt or 1),
        failure=item.failure,
        org_account_id=item.org_account_id,
        payment_method=item.payment_method,
        requested_at=item.requested_at,
        answered_at=item.answered_at,
        external_id=item.external_id,
    )
