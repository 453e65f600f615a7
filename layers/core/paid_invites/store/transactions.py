"""The multi-item writes of the use cases, each one conditional TransactWriteItems."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..accounts import Account, User
from ..errors import SettlementRefused
from ..fields import same_named
from ..invitations import ACCEPTED, OPEN, PENDING, Capacity, Invitation, new_id
from ..money import Money
from . import models as m
from .mapping import DUE_SHARD, from_invitation, status_key, subscription_attribute
from .repository import Tx, TxCancelled, key_item, log, update_invitation

RESUME_GRACE = timedelta(minutes=2)

# Each transaction holds at most 100 actions: 2 per invitation (item + pending guard) + 1 account update.
INVITES_PER_TRANSACTION = 49


@dataclass
class CreateOutcome:
    created: list[Invitation]
    already_invited: dict[str, str]  # email -> the pending invitation's id
    refused: dict[str, str]  # email -> no_license_available | pending_limit_reached | daily_limit_reached


def _number(raw: dict[str, Any] | None, name: str) -> int:
    return int((raw or {}).get(name, {}).get("N", "0"))


def create_invitations(
    org_id: str,
    invitations: list[Invitation],
    capacity: Capacity,
    max_pending: int,
    max_daily: int,
    day: str,
    counted_today: bool,
) -> CreateOutcome:
    """Write invitations with their pending guards, license holds and counters, a transaction a chunk.

    The counters are the organization's account item's: licenses, open invitations and the invitations of
    ``day`` (``counted_today``: the item's day counter already counts ``day``, as read; else the chunk starts
    it). A guard that exists already means "already invited"; a counter that moved meanwhile (another
    request took licenses, the day turned, or the limits) means the chunk is fitted again to what is left.
    Nothing is half-written: a chunk commits whole.
    """
    model = m.AccountModel
    outcome = CreateOutcome(created=[], already_invited={}, refused={})
    queue = list(invitations)
    while queue:
        chunk, queue = queue[:INVITES_PER_TRANSACTION], queue[INVITES_PER_TRANSACTION:]
        while chunk:
            chunk, refused = capacity.fit(chunk)
            outcome.refused.update(refused)
            if not chunk:
                break
            licensed = sum(inv.user_type == "licensed" for inv in chunk)
            tx = Tx()
            for inv in chunk:
                tx.put(f"inv:{inv.id}", from_invitation(inv), m.InvitationModel.id.does_not_exist())
                guard = m.PendingGuardModel(id=m.PendingGuardModel.key(org_id, inv.email), invitation_id=inv.id)
                tx.put(f"guard:{inv.email}", guard, m.PendingGuardModel.id.does_not_exist(), return_old=True)
            if counted_today:
                count: list[Any] = [model.invited_today.add(len(chunk))]
                within_day = (model.invited_day == day) & (model.invited_today <= max_daily - len(chunk))
            else:  # the first invitations of the day (capacity.fit kept the chunk within the limit)
                count = [model.invited_day.set(day), model.invited_today.set(len(chunk))]
                within_day = model.invited_day.does_not_exist() | (model.invited_day != day)
            tx.update(
                "org",
                key_item(model, org_id),
                [
                    model.licenses_free.add(-licensed),
                    model.licenses_held.add(licensed),
                    model.invitations_pending.add(len(chunk)),
                    *count,
                ],
                (model.licenses_free >= licensed)
                & (model.status == "active")
                & (model.invitations_pending.does_not_exist() | (model.invitations_pending <= max_pending - len(chunk)))
                & within_day,
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
                    active = old_org.get("status", {}).get("S") == "active"
                    counted_today = old_org.get("invited_day", {}).get("S") == day
                    capacity.licenses = _number(old_org, "licenses_free") if active else 0
                    capacity.pending = max_pending - _number(old_org, "invitations_pending") if active else 0
                    capacity.daily = max_daily - (_number(old_org, "invited_today") if counted_today else 0)
                    capacity.daily = capacity.daily if active else 0
                continue
            capacity.take(chunk)
            counted_today = True
            outcome.created += chunk
            chunk = []
    return outcome


def accept(
    inv: Invitation,
    org: Account,
    user: User | None,
    own_account: Account | None,
    settlement: str | None,
    settle_due: bool,
    at: datetime,
    new_user_id: str | None = None,
) -> Invitation:
    """Move the invitee into the organization: one transaction over up to six items; the accepted invitation.

    Its conditions re-check, atomically, everything the page checked: the invitation is still
    pending with this token, the license hold is there, the invitee is still where we read them,
    and their own account still has no open invoices and no other users. The money too: the own
    account's plan, currency and subscription are still the ones read (the ones the invitee was quoted,
    which the snapshot keeps), and the organization's currency (whether credit is offered) is unchanged.
    """
    tx = Tx()
    # a new user's id is their platform identity's (the ``sub`` they signed in with), when known
    user_id = user.id if user is not None else (new_user_id or new_id())
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
            # due for the sweep's reconcile until the workflow has settled it (see mark_settled)
            m.InvitationModel.due_shard.set(DUE_SHARD),
            m.InvitationModel.due_at.set(at + RESUME_GRACE),
            log("accepted", user.id if user else inv.email, at, settlement=settlement or "none"),
        ],
        (m.InvitationModel.status == PENDING)
        & (m.InvitationModel.token_hash == inv.token_hash)
        & (m.InvitationModel.expires_at > at),
    )
    tx.delete("guard", key_item(m.PendingGuardModel, m.PendingGuardModel.key(inv.account_id, inv.email)))
    org_actions = [m.AccountModel.members_count.add(1), m.AccountModel.invitations_pending.add(-1)]
    org_condition = m.AccountModel.status == "active"
    if inv.user_type == "licensed":
        org_actions += [m.AccountModel.licenses_held.add(-1), m.AccountModel.licenses_used.add(1)]
        org_condition = org_condition & (m.AccountModel.licenses_held >= 1)
    org_condition = org_condition & (m.AccountModel.currency == org.currency)
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
                id=user_id, name=name, account_id=org.id, **same_named(inv, ("email", "language", "role", "user_type"))
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
            & (m.AccountModel.members_count <= 1)
            # still an individual account (accounts.is_organization): nothing an organization holds
            & (m.AccountModel.type != "organization")
            & (m.AccountModel.invitations_pending <= 0)
            & (m.AccountModel.licenses_held <= 0)
            & (m.AccountModel.credit_minor <= 0)
            & _money_as_read(own_account),
        )
    tx.commit()
    return replace(
        inv,
        status=ACCEPTED,
        accepted_at=at,
        settlement=settlement or "none",
        settle_due=settle_due,
        invitee_user_id=user_id,
        invitee_account_id=own_account.id if own_account else None,
        subscription=snapshot,
    )


def _money_as_read(account: Account) -> Any:
    """The account's plan, currency and subscription are as read: what its settlement offer was computed from."""
    model = m.AccountModel
    same = (model.plan == account.plan) & (model.currency == account.currency)
    sub = account.subscription
    if sub is None:
        return same & model.subscription.does_not_exist()
    held: Any = model.subscription
    status = held.status == sub.status
    if sub.status == "active":
        status = status | held.status.does_not_exist()  # read as its default
    return (
        same
        & (held.amount_minor == sub.amount_minor)
        & (held.interval == sub.interval)
        & (held.current_period_start == sub.current_period_start)
        & (held.current_period_end == sub.current_period_end)
        & (held.payment_method == sub.payment_method)
        & status
    )


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
    settlement: str = "none"  # the choice, and the moment, the acceptance handed over
    accepted_at: datetime | None = None
    billing: str = "builtin"  # builtin: booked completed, credit raised now; external: booked requested


def _handed_over(b: Booking) -> Any:
    """The invitation is accepted as the booking was handed over: the same organization, invitee, own
    account, choice, moment and subscription."""
    inv = m.InvitationModel
    return (
        (inv.status == ACCEPTED)
        & (inv.account_id == b.org_account_id)
        & (inv.invitee_user_id == b.user_id)
        & (inv.invitee_account_id == b.own_account_id)
        & (inv.settlement == b.settlement)
        & (inv.accepted_at == b.accepted_at)
        & (inv.settle_due == True)  # noqa: E712 - a condition expression, not a comparison
        & (inv.subscription.amount_minor == b.cancelled_amount.amount_minor)  # type: ignore[attr-defined]
    )


def book_settlement(b: Booking, at: datetime) -> bool:
    """Write the ledger entries, cancel the subscription and raise the credit. False if done before.

    The same transaction updates the invitation's ``settlement_state`` on the condition that it is accepted
    as handed over and not settled yet (still due, not marked settled). A booking the invitation disagrees
    with books nothing and raises ``SettlementRefused``; one of an invitation settled before as handed over
    (a step run again) is False. The invitation is marked settled only after its events are out
    (``mark_settled``, by the caller): until then it stays due, so a settlement whose events were never
    published is not taken as done.

    Builtin billing books every entry ``completed`` and raises the organization's credit now; external
    billing books them ``requested`` (attempt 1) and leaves the credit to the billing system's
    ``CreditApplied`` (store/settlements.py)."""
    external = b.billing == "external"
    state = "requested" if external else "completed"
    inv = m.InvitationModel
    tx = Tx()
    tx.update(
        "invitation",
        key_item(inv, b.invitation_id),
        [inv.settlement_state.set(state), inv.settlement_failure.remove(), inv.settlement_version.add(1)],
        _handed_over(b) & inv.due_at.exists() & inv.settled_at.does_not_exist(),
    )

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
            state=state,
            attempt=1,
            requested_at=at,
            answered_at=None if external else at,
        )
        tx.put(f"ledger:{kind}", item, m.LedgerModel.invitation_id.does_not_exist())

    entry("subscription_cancelled", b.own_account_id, b.cancelled_amount)
    if b.refund is not None:
        entry("refund_requested", b.own_account_id, b.refund, b.payment_method)
    if b.credit is not None:
        entry("credit_transferred", b.org_account_id, b.credit)
    if b.credit is not None and not external:
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
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "invitation" in cancelled.failed and not _settled_as_handed_over(b):
            raise SettlementRefused(
                f"the acceptance handed over disagrees with invitation {b.invitation_id}: nothing booked"
            ) from cancelled
        if "invitation" in cancelled.failed or any(label.startswith("ledger:") for label in cancelled.failed):
            return False
        raise
    return True


def _settled_as_handed_over(b: Booking) -> bool:
    """The invitation is accepted as handed over and settled already (no longer due)."""
    m.bind()
    try:
        item = m.InvitationModel.get(b.invitation_id, consistent_read=True)
    except m.InvitationModel.DoesNotExist:
        return False
    sub = item.subscription
    return (
        item.status == ACCEPTED
        and (item.due_at is None or item.settled_at is not None)
        and (item.account_id, item.invitee_user_id, item.invitee_account_id, item.settlement, item.accepted_at)
        == (b.org_account_id, b.user_id, b.own_account_id, b.settlement, b.accepted_at)
        and bool(item.settle_due)
        and sub is not None
        and int(sub.amount_minor) == b.cancelled_amount.amount_minor
    )


def close_pending(inv: Invitation, new_status: str, actor: str, at: datetime, as_read: bool = False) -> bool:
    """End a pending invitation (expired, revoked): release its guard and license hold, atomically.

    False when it was no longer pending (accepted, or closed by someone else first). ``as_read``: only
    while it is still the send the caller read and its time is up by ``at`` (the scheduled job's expiry: a
    resend or the first send since its query gave it a new lifetime, and it is left alone).
    """
    model = m.InvitationModel
    condition = model.status.is_in(*OPEN)
    if as_read:
        sent = model.sent_at == inv.sent_at if inv.sent_at else model.sent_at.does_not_exist()
        condition = condition & (model.expires_at == inv.expires_at) & (model.expires_at <= at) & sent
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
        condition,
    )
    tx.delete("guard", key_item(m.PendingGuardModel, m.PendingGuardModel.key(inv.account_id, inv.email)))
    released = [m.AccountModel.licenses_held.add(-1), m.AccountModel.licenses_free.add(1)]
    tx.update(
        "org",
        key_item(m.AccountModel, inv.account_id),
        [m.AccountModel.invitations_pending.add(-1), *(released if inv.user_type == "licensed" else [])],
    )
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "invitation" in cancelled.failed:
            return False
        raise
    return True


def mark_settled(invitation_id: str, at: datetime, actor: str, answer_due: datetime | None = None) -> Invitation | None:
    """An accepted invitation is settled: its events are out; no longer due for the sweep's reconcile, and
    no failure left from a workflow that ended before it settled (the sweep settles those). Once: only while
    it is due and not marked settled. The same write claims the inviter's notice of the acceptance
    (``accept_notice_at``): the invitation as this call marked it (None: marked before), so that its caller
    is the one to tell the inviter.

    ``answer_due`` (external billing): while its billing requests still wait for their answers, it stays
    due until then, for the sweep's check of unanswered requests (the settlement version moves, so an
    outcome applied meanwhile is applied again on what this wrote)."""
    inv = m.InvitationModel
    not_yet = inv.due_at.exists() & inv.settled_at.does_not_exist()
    if answer_due is not None:
        waiting = update_invitation(
            invitation_id,
            [
                inv.due_at.set(answer_due),
                inv.due_shard.set(DUE_SHARD),
                inv.failure.remove(),
                inv.settled_at.set(at),
                inv.accept_notice_at.set(at),
                inv.settlement_version.add(1),
                log("settled", actor, at),
            ],
            # failed too: another entry may still wait (the sweep drops it when none does)
            not_yet & inv.settlement_state.is_in("requested", "failed"),
        )
        if waiting is not None:
            return waiting
    return update_invitation(
        invitation_id,
        [
            inv.due_at.remove(),
            inv.due_shard.remove(),
            inv.failure.remove(),
            inv.settled_at.set(at),
            inv.accept_notice_at.set(at),
            log("settled", actor, at),
        ],
        not_yet,
    )


def claim_accept_notice(invitation_id: str, at: datetime) -> Invitation | None:
    """Claim the inviter's notice of a settled invitation's acceptance once more, after a run that claimed
    it could not send it (``release_accept_notice``): the invitation, or None when it is claimed (sent, or
    being sent)."""
    inv = m.InvitationModel
    condition = inv.settled_at.exists() & inv.accept_notice_at.does_not_exist()
    return update_invitation(invitation_id, [inv.accept_notice_at.set(at)], condition)


def release_accept_notice(invitation_id: str) -> None:
    """The claimed notice could not be sent for now: the next run of the step claims it again."""
    inv = m.InvitationModel
    update_invitation(invitation_id, [inv.accept_notice_at.remove()], inv.accept_notice_at.exists())
