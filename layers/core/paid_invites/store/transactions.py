"""The multi-item writes of the use cases, each one conditional TransactWriteItems."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..accounts import Account, User
from ..invitations import ACCEPTED, OPEN, PENDING, Invitation, new_id
from ..money import Money
from . import models as m
from .repository import DUE_SHARD, Tx, TxCancelled, from_invitation, key_item, log, status_key, subscription_attribute

RESUME_GRACE = timedelta(minutes=2)

# Each transaction holds at most 100 actions: 2 per invitation (item + pending guard) + 1 account update.
INVITES_PER_TRANSACTION = 49


@dataclass
class CreateOutcome:
    created: list[Invitation]
    already_invited: dict[str, str]  # email -> the pending invitation's id
    no_license: list[str]  # emails that lost the race for the last licenses


def create_invitations(org_id: str, invitations: list[Invitation], licenses_free: int) -> CreateOutcome:
    """Write invitations with their pending guards and license holds, in chunks of one transaction.

    A guard that exists already means "already invited"; a license count that fell meanwhile means
    the chunk is retried with the licenses left. Nothing is half-written: a chunk commits whole.
    """
    outcome = CreateOutcome(created=[], already_invited={}, no_license=[])
    queue = list(invitations)
    while queue:
        chunk, queue = queue[:INVITES_PER_TRANSACTION], queue[INVITES_PER_TRANSACTION:]
        while chunk:
            licensed = sum(1 for inv in chunk if inv.user_type == "licensed")
            if licensed > licenses_free:
                # keep the first ones that still fit; the rest lose the race
                keep, dropped, budget = [], [], licenses_free
                for inv in chunk:
                    if inv.user_type == "licensed":
                        if budget < 1:
                            dropped.append(inv)
                            continue
                        budget -= 1
                    keep.append(inv)
                outcome.no_license += [inv.email for inv in dropped]
                chunk = keep
                continue
            tx = Tx()
            for inv in chunk:
                tx.put(f"inv:{inv.id}", from_invitation(inv), m.InvitationModel.id.does_not_exist())
                guard = m.PendingGuardModel(id=m.PendingGuardModel.key(org_id, inv.email), invitation_id=inv.id)
                tx.put(f"guard:{inv.email}", guard, m.PendingGuardModel.id.does_not_exist(), return_old=True)
            if licensed:
                tx.update(
                    "org",
                    key_item(m.AccountModel, org_id),
                    [m.AccountModel.licenses_free.add(-licensed), m.AccountModel.licenses_held.add(licensed)],
                    (m.AccountModel.licenses_free >= licensed) & (m.AccountModel.status == "active"),
                )
            try:
                tx.commit()
            except TxCancelled as cancelled:
                guards = {k.split(":", 1)[1]: v for k, v in cancelled.failed.items() if k.startswith("guard:")}
                for email, old in guards.items():
                    outcome.already_invited[email] = (old or {}).get("invitation_id", {}).get("S", "")
                chunk = [inv for inv in chunk if inv.email not in guards]
                if "org" in cancelled.failed:
                    old_org = cancelled.failed["org"] or {}
                    licenses_free = int(old_org.get("licenses_free", {}).get("N", "0"))
                    if old_org.get("status", {}).get("S", "active") != "active":
                        licenses_free = 0
                continue
            outcome.created += chunk
            licenses_free -= licensed
            chunk = []
    return outcome


@dataclass(frozen=True)
class Acceptance:
    invitation: Invitation
    user_id: str
    settle_due: bool


def accept(
    inv: Invitation,
    org: Account,
    user: User | None,
    own_account: Account | None,
    settlement: str | None,
    settle_due: bool,
    at: datetime,
) -> Acceptance:
    """Move the invitee into the organization: one transaction over up to six items.

    Its conditions re-check, atomically, everything the page checked: the invitation is still
    pending with this token, the license hold is there, the invitee is still where we read them,
    and their own account still has no open invoices and no other users.
    """
    tx = Tx()
    user_id = user.id if user is not None else new_id()
    snapshot = own_account.subscription if own_account and settle_due else None
    extra = [m.InvitationModel.invitee_user_id.set(user_id)]
    if own_account is not None:
        extra.append(m.InvitationModel.invitee_account_id.set(own_account.id))
    if snapshot is not None:
        extra.append(m.InvitationModel.subscription.set(subscription_attribute(snapshot)))  # type: ignore[arg-type]
    tx.update(
        "invitation",
        key_item(m.InvitationModel, inv.id),
        [
            *extra,
            m.InvitationModel.status.set(ACCEPTED),
            m.InvitationModel.status_key.set(status_key(ACCEPTED, inv.created_at, inv.id)),
            m.InvitationModel.accepted_at.set(at),
            m.InvitationModel.settlement.set(settlement or "none"),
            m.InvitationModel.settle_due.set(settle_due),
            # due for the reconciler until the workflow has settled it (see settle)
            m.InvitationModel.due_shard.set(DUE_SHARD),
            m.InvitationModel.due_at.set(at + RESUME_GRACE),
            log("accepted", user.id if user else inv.email, at, settlement=settlement or "none"),
        ],
        (m.InvitationModel.status == PENDING)
        & (m.InvitationModel.token_hash == inv.token_hash)
        & (m.InvitationModel.expires_at > at),
    )
    tx.delete("guard", key_item(m.PendingGuardModel, m.PendingGuardModel.key(inv.account_id, inv.email)))
    org_actions = [m.AccountModel.members_count.add(1)]
    org_condition = m.AccountModel.status == "active"
    if inv.user_type == "licensed":
        org_actions += [m.AccountModel.licenses_held.add(-1), m.AccountModel.licenses_used.add(1)]
        org_condition = org_condition & (m.AccountModel.licenses_held >= 1)
    tx.update("org", key_item(m.AccountModel, org.id), org_actions, org_condition)
    if user is not None:
        tx.update(
            "user",
            key_item(m.UserModel, user.id),
            [
                m.UserModel.account_id.set(org.id),
                m.UserModel.role.set(inv.role),
                m.UserModel.user_type.set(inv.user_type),
            ],
            m.UserModel.account_id == user.account_id,
        )
        tx.update(
            "email",
            key_item(m.UserEmailModel, m.UserEmailModel.key(inv.email)),
            [m.UserEmailModel.account_id.set(org.id)],
            m.UserEmailModel.user_id == user.id,
        )
    else:
        name = f"{inv.first_name} {inv.last_name}".strip() or inv.email
        tx.put(
            "user",
            m.UserModel(
                id=user_id,
                email=inv.email,
                name=name,
                language=inv.language,
                account_id=org.id,
                role=inv.role,
                user_type=inv.user_type,
            ),
            m.UserModel.id.does_not_exist(),
        )
        tx.put(
            "email",
            m.UserEmailModel(
                id=m.UserEmailModel.key(inv.email), user_id=user_id, account_id=org.id, language=inv.language
            ),
            m.UserEmailModel.id.does_not_exist(),
        )
    if own_account is not None:
        tx.update(
            "own_account",
            key_item(m.AccountModel, own_account.id),
            [m.AccountModel.status.set("closed"), m.AccountModel.members_count.add(-1)],
            (m.AccountModel.status == "active")
            & (m.AccountModel.balance_due_minor <= 0)
            & (m.AccountModel.members_count <= 1),
        )
    tx.commit()
    accepted = replace(
        inv,
        status=ACCEPTED,
        accepted_at=at,
        settlement=settlement or "none",
        settle_due=settle_due,
        invitee_user_id=user_id,
        invitee_account_id=own_account.id if own_account else None,
        subscription=snapshot,
    )
    return Acceptance(invitation=accepted, user_id=user_id, settle_due=settle_due)


@dataclass(frozen=True)
class Booking:
    """What settling one invitation writes to the ledger."""

    invitation_id: str
    org_account_id: str
    own_account_id: str
    user_id: str
    refund: Money | None
    credit: Money | None
    cancelled_amount: Money
    payment_method: str


def book_settlement(b: Booking, at: datetime) -> bool:
    """Write the ledger entries, cancel the subscription and raise the credit. False if done before."""
    tx = Tx()

    def entry(kind: str, account_id: str, money: Money, payment_method: str | None = None) -> None:
        item = m.LedgerModel(
            invitation_id=b.invitation_id,
            kind=kind,
            org_account_id=b.org_account_id,
            account_id=account_id,
            user_id=b.user_id,
            amount_minor=money.amount_minor,
            currency=money.currency,
            payment_method=payment_method,
            created_at=at,
        )
        tx.put(f"ledger:{kind}", item, m.LedgerModel.invitation_id.does_not_exist())

    entry("subscription_cancelled", b.own_account_id, b.cancelled_amount)
    if b.refund is not None:
        entry("refund_requested", b.own_account_id, b.refund, b.payment_method)
    if b.credit is not None:
        entry("credit_transferred", b.org_account_id, b.credit)
        tx.update(
            "org",
            key_item(m.AccountModel, b.org_account_id),
            [m.AccountModel.credit_minor.add(b.credit.amount_minor)],
        )
    tx.update(
        "own_account",
        key_item(m.AccountModel, b.own_account_id),
        [m.AccountModel.subscription.status.set("cancelled")],  # type: ignore[attr-defined]
        m.AccountModel.subscription.exists(),
    )
    tx.update("invitation", key_item(m.InvitationModel, b.invitation_id), settled_actions(at))
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if any(label.startswith("ledger:") for label in cancelled.failed):
            return False
        raise
    return True


def close_pending(inv: Invitation, new_status: str, actor: str, at: datetime) -> bool:
    """End a pending invitation (expired, revoked): release its guard and license hold, atomically.

    False when it was no longer pending (accepted, or closed by someone else first).
    """
    tx = Tx()
    tx.update(
        "invitation",
        key_item(m.InvitationModel, inv.id),
        [
            m.InvitationModel.status.set(new_status),
            m.InvitationModel.status_key.set(status_key(new_status, inv.created_at, inv.id)),
            m.InvitationModel.due_at.remove(),
            m.InvitationModel.due_shard.remove(),
            log(new_status, actor, at),
        ],
        m.InvitationModel.status.is_in(*OPEN),
    )
    tx.delete("guard", key_item(m.PendingGuardModel, m.PendingGuardModel.key(inv.account_id, inv.email)))
    if inv.user_type == "licensed":
        tx.update(
            "org",
            key_item(m.AccountModel, inv.account_id),
            [m.AccountModel.licenses_held.add(-1), m.AccountModel.licenses_free.add(1)],
        )
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "invitation" in cancelled.failed:
            return False
        raise
    return True


def settled_actions(at: datetime) -> list[Any]:
    """What marks an accepted invitation settled: no longer due for the reconciler."""
    return [
        m.InvitationModel.due_at.remove(),
        m.InvitationModel.due_shard.remove(),
        log("settled", "workflow", at),
    ]
