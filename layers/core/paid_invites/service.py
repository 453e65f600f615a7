"""The use cases the handlers call: each reads, decides with the rules, writes, and moves the workflow."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import clock, i18n, mail
from .accounts import (
    Account,
    SettlementOffer,
    User,
    ensure_can_invite,
    ensure_can_manage,
    join_refusal,
    settlement_offer,
)
from .config import get_settings
from .errors import (
    AcceptRefused,
    Conflict,
    InvitationExpired,
    InvitationRevoked,
    NotFound,
    TooManyRequests,
    TransientError,
    ValidationFailed,
)
from .invitations import (
    ACCEPTED,
    BOUNCED,
    EXPIRED,
    OPEN,
    PENDING,
    REVOKED,
    Capacity,
    Invitation,
    Invitee,
    link_matches,
    new_token,
    normalize_email,
    plan_invites,
    refusal_for,
    split_token,
)
from .money import Money
from .proration import Subscription, unused_value
from .store import lifecycle as lifecycle_store
from .store import models as m
from .store import repository as repo
from .store import transactions as tx

if TYPE_CHECKING:
    from . import lifecycle

# The workflow, event and lifecycle (reminders, expiry) modules are imported by the use cases that need
# them: the accept link's cold start (view, accept) does not pay for them.

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- admin: invite, list, summary


@dataclass
class InviteResult:
    email: str
    status: str  # "created" | "rejected"
    invitation_id: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


def invite(caller_id: str | None, account_id: str, invitees: list[Invitee]) -> list[InviteResult]:
    from . import lifecycle, workflow

    settings = get_settings()
    if caller_id is None:
        ensure_can_manage(None, account_id)
    if not invitees:
        raise ValidationFailed("name at least one invitee", code="no_invitees")
    if len(invitees) > settings.max_invitees_per_request:
        raise ValidationFailed(
            f"at most {settings.max_invitees_per_request} invitees per request", code="too_many_invitees"
        )
    emails = []
    for invitee in invitees:
        try:
            emails.append(normalize_email(invitee.email))
        except ValidationFailed:
            continue
    ctx = repo.load_invite_context(str(caller_id), account_id, emails)
    caller = ensure_can_manage(ctx.caller, account_id)
    org = ensure_can_invite(ctx.org)
    now = clock.now()
    lapsed = [inv.email for inv in ctx.guarded if inv.status in OPEN and inv.expires_at <= now]
    if lapsed and lifecycle.release_expired(org.id, lapsed, now):  # past their expiry: re-inviting them works
        ctx = repo.load_invite_context(str(caller_id), account_id, emails)
        org = ensure_can_invite(ctx.org)
    now = clock.now()
    capacity = Capacity(
        licenses=org.licenses_free,
        pending=settings.max_pending_invitations - org.invitations_pending,
        daily=settings.max_invitations_per_day,
    )
    decisions = plan_invites(
        caller, org, invitees, ctx.known, ctx.accounts, now, settings.invitation_lifetime_seconds, capacity
    )
    planned = [d.invitation for d in decisions if d.invitation is not None]
    outcome = tx.create_invitations(
        org.id,
        planned,
        capacity,
        settings.max_pending_invitations,
        settings.max_invitations_per_day,
        now.date().isoformat(),
    )
    for existing in outcome.already_invited.values():
        if existing:
            workflow.start(existing)  # heals an invitation whose first start was lost; else a no-op
    created = {inv.email for inv in outcome.created}
    for inv in outcome.created:
        workflow.start(inv.id)
    results = []
    for d in decisions:
        if d.invitation is not None and d.email in created:
            results.append(InviteResult(d.email, "created", invitation_id=d.invitation.id, warnings=d.warnings))
        elif d.email in outcome.already_invited:
            results.append(InviteResult(d.email, "rejected", reason="already_invited"))
        elif d.email in outcome.refused:
            results.append(InviteResult(d.email, "rejected", reason=outcome.refused[d.email]))
        else:
            results.append(InviteResult(d.email, "rejected", reason=d.reason))
    return results


def public_invitation(inv: Invitation) -> dict[str, Any]:
    """An invitation as the admin API shows it: never the token hash or the task token."""
    return {
        "id": inv.id,
        "account_id": inv.account_id,
        "email": inv.email,
        "first_name": inv.first_name,
        "last_name": inv.last_name,
        "user_type": inv.user_type,
        "role": inv.role,
        "status": inv.status,
        "inviter_id": inv.inviter_id,
        "created_at": clock.iso(inv.created_at),
        "expires_at": clock.iso(inv.expires_at),
        "sent_at": clock.iso(inv.sent_at) if inv.sent_at else None,
        "accepted_at": clock.iso(inv.accepted_at) if inv.accepted_at else None,
        "settlement": inv.settlement,
        "history": inv.history,
    }


def _manage(caller_id: str | None, account_id: str) -> Account:
    caller = repo.get_user(caller_id) if caller_id else None
    ensure_can_manage(caller, account_id)
    org = repo.get_account(account_id)
    if org is None:
        raise NotFound("no such account")
    return org


def list_invitations(
    caller_id: str | None, account_id: str, status: str, limit: int, cursor: str | None, email_prefix: str | None
) -> tuple[list[Invitation], str | None]:
    _manage(caller_id, account_id)
    return repo.list_invitations(account_id, status, limit, cursor, email_prefix)


def account_summary(caller_id: str | None, account_id: str) -> dict[str, Any]:
    org = _manage(caller_id, account_id)
    ledger = repo.ledger_for(account_id)
    return {
        "id": org.id,
        "name": org.name,
        "type": org.type,
        "plan": org.plan,
        "status": org.status,
        "currency": org.currency,
        "licenses": {
            "total": org.licenses_total,
            "used": org.licenses_used,
            "held_by_pending": org.licenses_held,
            "free": org.licenses_free,
        },
        "balance_due": org.balance_due.as_dict(),
        "credit": org.credit.as_dict(),
        "ledger": [
            {
                "invitation_id": e.invitation_id,
                "kind": e.kind,
                "account_id": e.account_id,
                "user_id": e.user_id,
                "amount_minor": int(e.amount_minor),
                "currency": e.currency,
                "at": clock.iso(e.created_at),
            }
            for e in ledger
        ],
    }


# ---------------------------------------------------------------- invitee: the accept link


@dataclass
class AcceptView:
    invitation: Invitation
    org: Account
    offer: SettlementOffer | None
    user: User | None
    own_account: Account | None

    @property
    def new_user(self) -> bool:
        return self.user is None


def _live_invitation(token: object) -> tuple[Invitation | None, str | None]:
    parts = split_token(token)
    if parts is None:
        return None, None
    inv = repo.get_invitation(parts[0])
    return inv, parts[1]


def words(inv: Invitation) -> dict[str, str]:
    """What every page about this invitation may say: who invites, to what, whom."""
    return {"org": inv.org_name, "inviter": inv.inviter_name, "email": inv.email}


def view(token: object) -> AcceptView:
    """What the confirm page shows. Reads only: mail scanners prefetch links."""
    inv, secret = _live_invitation(token)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv)
    assert inv is not None
    return _check_joinable(inv)


def _with_words(refusal: AcceptRefused, inv: Invitation | None) -> AcceptRefused:
    if inv is not None and refusal.code != "unknown_link":
        refusal.words = words(inv)
    return refusal


def _check_joinable(inv: Invitation) -> AcceptView:
    ctx = repo.load_accept_context(inv)
    if ctx.org is None:
        raise AcceptRefused("this invitation link is not valid", code="unknown_link")
    refusal = join_refusal(ctx.user, ctx.own_account, ctx.org, inv.user_type)
    if refusal:
        raise _with_words(refusal, inv)
    offer = settlement_offer(ctx.own_account, ctx.org, clock.now())
    return AcceptView(inv, ctx.org, offer, ctx.user, ctx.own_account)


@dataclass
class AcceptResult:
    invitation: Invitation
    settlement: str
    amount: Money | None
    payment_method: str | None
    replayed: bool = False


def _result(inv: Invitation, replayed: bool) -> AcceptResult:
    sub = inv.subscription
    amount = unused_value(sub, inv.accepted_at) if sub and inv.accepted_at else None
    return AcceptResult(inv, inv.settlement or "none", amount, sub.payment_method if sub else None, replayed=replayed)


def accept(token: object, settlement: str | None) -> AcceptResult:
    """Accept once. A repeated submit of the same link answers with the first result."""
    inv, secret = _live_invitation(token)
    if inv is not None and inv.status == ACCEPTED and secret and link_matches(secret, inv):
        return _result(inv, replayed=True)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv)
    assert inv is not None and secret is not None
    for _attempt in range(3):
        try:
            view_ = _check_joinable(inv)
        except AcceptRefused:
            # read on fresh data: the invitation itself may have changed meanwhile (accepted by a
            # concurrent submit, revoked, expired, resent): then that is the answer, not its side effects
            settled = _settled_meanwhile(token, secret)
            if settled is not None:
                return settled
            raise
        offer = view_.offer
        chosen: str | None = None
        if offer is not None and offer.choices:
            if settlement not in offer.choices:
                raise _with_words(
                    AcceptRefused(
                        "choose a refund or a credit transfer" if "credit" in offer.choices else "choose a refund",
                        code="choice_required",
                        details={"choices": list(offer.choices)},
                    ),
                    inv,
                )
            chosen = settlement
        try:
            acceptance = tx.accept(
                inv, view_.org, view_.user, view_.own_account, chosen, offer is not None, clock.now()
            )
        except repo.TxCancelled:
            settled = _settled_meanwhile(token, secret)
            if settled is not None:
                return settled
            inv, _ = _live_invitation(token)
            assert inv is not None
            continue  # the invitee or an account changed under us: decide again on fresh data
        _resume(acceptance.invitation)
        return _result(acceptance.invitation, replayed=False)
    raise TransientError("the invitation changed while accepting; try again")


def _settled_meanwhile(token: object, secret: str) -> AcceptResult | None:
    """When the invitation changed under an accept: the first result if this link accepted it, else
    raises its refusal (revoked, expired, replaced by a resend); None when it is still open."""
    inv, _ = _live_invitation(token)
    if inv is not None and inv.status == ACCEPTED and link_matches(secret, inv):
        return _result(inv, replayed=True)
    refusal = refusal_for(inv, secret, clock.now())
    if refusal:
        raise _with_words(refusal, inv) from None
    return None


def _resume(inv: Invitation) -> bool:
    """Hand the acceptance to the workflow. A failure here is not lost: the invitation stays due
    and the scheduled job resumes it (see ``reconcile``)."""
    from . import workflow

    if not inv.task_token:
        return False
    try:
        return workflow.resume(inv.task_token, handover(inv))
    except Exception:  # the acceptance is committed: whatever failed here, the scheduled job resumes it
        log.exception("could not resume the workflow of invitation %s; the scheduled job will", inv.id)
        return False


def handover(inv: Invitation) -> dict[str, Any]:
    """The task output that resumes the workflow: the acceptance as the accept transaction wrote it, which
    the state machine hands the settle step (so that it need not read the invitation again)."""
    sub = inv.subscription
    return {
        "invitation_id": inv.id,
        "settle_due": inv.settle_due,
        "accepted": {
            "account_id": inv.account_id,
            "invitee_user_id": inv.invitee_user_id,
            "invitee_account_id": inv.invitee_account_id,
            "user_type": inv.user_type,
            "role": inv.role,
            "settlement": inv.settlement or "none",
            "accepted_at": inv.accepted_at.isoformat() if inv.accepted_at else None,
            "subscription": None
            if sub is None
            else {
                "amount_minor": sub.amount_minor,
                "currency": sub.currency,
                "interval": sub.interval,
                "current_period_start": sub.current_period_start.isoformat(),
                "current_period_end": sub.current_period_end.isoformat(),
                "payment_method": sub.payment_method,
                "status": sub.status,
            },
        },
    }


def _handed_over(invitation_id: str, accepted: dict[str, Any]) -> Invitation:
    """The accepted invitation as :func:`handover` gave it to the workflow: the fields settling reads (the
    others, which it does not read, are left empty)."""
    at = clock.parse(accepted["accepted_at"])
    raw = accepted.get("subscription")
    sub = None
    if raw:
        sub = Subscription(
            amount_minor=int(raw["amount_minor"]),
            currency=raw["currency"],
            interval=raw["interval"],
            current_period_start=clock.parse(raw["current_period_start"]),
            current_period_end=clock.parse(raw["current_period_end"]),
            payment_method=raw["payment_method"],
            status=raw.get("status", "active"),
        )
    return Invitation(
        id=invitation_id,
        account_id=accepted["account_id"],
        email="",
        user_type=accepted["user_type"],
        role=accepted["role"],
        inviter_id="",
        inviter_name="",
        org_name="",
        status=ACCEPTED,
        created_at=at,
        expires_at=at,
        invitee_user_id=accepted.get("invitee_user_id"),
        invitee_account_id=accepted.get("invitee_account_id"),
        accepted_at=at,
        settlement=accepted.get("settlement") or "none",
        settle_due=bool(accepted.get("settle_due")),
        subscription=sub,
    )


def run_due(limit: int = 500, deadline: float | None = None) -> lifecycle.RunReport:
    """The scheduled job: everything the sparse ``by_due`` index says is due now, and nothing else.

    Open invitations get their next reminder or expire (lifecycle.py); accepted ones the workflow has not
    settled within the grace period are reconciled (:func:`reconcile`).
    """
    from . import lifecycle

    return lifecycle.run_due(reconcile, limit, deadline=deadline)


def reconcile(inv: Invitation) -> str:
    """An accepted invitation still unsettled after the grace period (as the job's query read it):
    ``"resumed"``, ``"settled"`` or ``"left"`` (to the workflow).

    Its workflow still waiting for the acceptance (the SendTaskSuccess after the accept transaction was
    lost) is resumed. A workflow that was resumed and still runs is settling it (its Settle step may be
    retrying): left to it. A workflow that ended without settling it (its Settle step failed for good,
    or it was stopped) can no longer do it: the job settles the invitation here, exactly once as the
    workflow would have (ledger once, stable event ids), and tells the inviter, as its NotifyInviter step
    would have.
    """
    from . import workflow

    if _resume(inv):
        return "resumed"
    if workflow.running(inv.id):
        return "left"
    current = repo.get_invitation(inv.id)  # the workflow may have settled it and ended since the job's query
    if current is None or current.status != ACCEPTED or any(e.get("event") == "settled" for e in current.history):
        return "left"
    settle(inv.id, handover(current), actor="scheduler")
    try:
        notify_inviter(inv.id, "accepted")
    except Exception:  # the courtesy e-mail only: settled is settled (the workflow's catch does the same)
        log.exception("settled invitation %s, but could not tell its inviter", inv.id)
    return "settled"


# ---------------------------------------------------------------- workflow tasks


def send_invitation(invitation_id: str, task_token: str) -> dict[str, Any]:
    """Render and send the invitation e-mail with a fresh link; store the task token beside its hash.

    A retry after the e-mail went out sends nothing again: the same task token redelivered, or a new
    one (Step Functions gives every attempt of the step its own token). The step runs once per
    invitation (its execution is named after it), so an e-mail that went out is this step's e-mail.
    """
    from . import lifecycle

    now = clock.now()
    token, token_hash = new_token(invitation_id)
    expires_at = lifecycle.expires_after_send(now)
    inv = repo.update_invitation(
        invitation_id,
        [
            m.InvitationModel.token_hash.set(token_hash),
            m.InvitationModel.task_token.set(task_token),
            m.InvitationModel.expires_at.set(expires_at),  # the lifetime counts from the send
        ],
        (m.InvitationModel.status == PENDING) & m.InvitationModel.mailed_for.does_not_exist(),
    )
    if inv is None:
        current = repo.get_invitation(invitation_id)
        if current is None:
            raise NotFound(f"no invitation {invitation_id}")
        if current.mailed_for == task_token:
            return {"status": "already_sent"}
        if current.status == REVOKED:
            raise InvitationRevoked(invitation_id)
        if current.status == EXPIRED:
            raise InvitationExpired(invitation_id)
        # A retried attempt: the e-mail of an earlier one went out (or the invitee even accepted with its
        # link meanwhile). The workflow now waits on this attempt's token, so it is the one to resume.
        repo.update_invitation(
            invitation_id,
            [m.InvitationModel.task_token.set(task_token)],
            m.InvitationModel.status.is_in(*OPEN)
            | ((m.InvitationModel.status == ACCEPTED) & m.InvitationModel.due_at.exists()),
        )
        return {"status": "already_sent" if current.status in OPEN else current.status}
    try:
        message_id = mail.send(invitation_mail(inv, token), tags={"invitation_id": invitation_id})
    except mail.MailSuppressed as suppressed:
        # the address complained before: nothing is sent; the admin sees it as bounced, and it expires
        repo.update_invitation(
            invitation_id,
            [
                m.InvitationModel.mailed_for.set(task_token),
                m.InvitationModel.status.set(BOUNCED),
                m.InvitationModel.status_key.set(repo.status_key(BOUNCED, inv.created_at, inv.id)),
                m.InvitationModel.due_shard.set(repo.DUE_SHARD),
                m.InvitationModel.due_at.set(expires_at),
                repo.log("bounced", "workflow", now, reason=suppressed.message),
            ],
            m.InvitationModel.status == PENDING,
        )
        return {"status": "suppressed"}
    repo.update_invitation(
        invitation_id,
        [
            m.InvitationModel.mailed_for.set(task_token),
            m.InvitationModel.sent_at.set(now),
            *lifecycle.schedule_after_send(now, expires_at),
            repo.log("emailed", "workflow", now, message_id=message_id),
        ],
    )
    return {"status": "sent", "message_id": message_id}


def invitation_mail(inv: Invitation, token: str) -> mail.Mail:
    """The invitation e-mail with its accept link (first send and resend alike)."""
    return mail.render(
        "invitation",
        inv.email,
        inv.language,
        org=inv.org_name,
        inviter=inv.inviter_name,
        expires_on=i18n.date(inv.expires_at, inv.language),
        accept_url=f"{get_settings().accept_base_url}?token={token}",
    )


def settle(invitation_id: str, acceptance: dict[str, Any] | None = None, actor: str = "workflow") -> dict[str, Any]:
    """Settle an accepted invitation exactly once: ledger, subscription, credit, then the events.

    ``acceptance``: what the accept handed the workflow (:func:`handover`); without it (a workflow resumed
    by an older accept, or the scheduled job settling one whose workflow ended) the invitation is read."""
    from . import events as bus

    accepted = (acceptance or {}).get("accepted")
    if isinstance(accepted, dict) and accepted.get("accepted_at"):
        accepted = {**accepted, "settle_due": (acceptance or {}).get("settle_due")}
        inv: Invitation | None = _handed_over(invitation_id, accepted)
    else:
        inv = repo.get_invitation(invitation_id)
    if inv is None or inv.status != ACCEPTED or inv.accepted_at is None:
        raise NotFound(f"no accepted invitation {invitation_id}")
    now = clock.now()
    result = _result(inv, replayed=False)
    refund = result.amount if result.settlement == "refund" and result.amount else None
    credit = result.amount if result.settlement == "credit" and result.amount else None
    sub = inv.subscription
    first = True
    if inv.settle_due and sub is not None and inv.invitee_account_id:
        first = tx.book_settlement(
            tx.Booking(
                invitation_id=inv.id,
                org_account_id=inv.account_id,
                own_account_id=inv.invitee_account_id,
                user_id=inv.invitee_user_id or "",
                refund=refund,
                credit=credit,
                cancelled_amount=sub.paid,
                payment_method=sub.payment_method,
            ),
            now,
        )
    published: list[tuple[str, dict[str, Any]]] = [
        (
            "InvitationAccepted",
            {
                "event_id": f"{inv.id}:accepted",
                "invitation_id": inv.id,
                "user_id": inv.invitee_user_id,
                "from_account_id": inv.invitee_account_id,
                "to_account_id": inv.account_id,
                "user_type": inv.user_type,
                "role": inv.role,
            },
        )
    ]
    if refund is not None and refund.amount_minor > 0:
        published.append(
            (
                "ProrationRefundRequested",
                {
                    "event_id": f"{inv.id}:refund",
                    "invitation_id": inv.id,
                    "account_id": inv.invitee_account_id,
                    "user_id": inv.invitee_user_id,
                    "amount_minor": refund.amount_minor,
                    "currency": refund.currency,
                    "payment_method": inv.subscription.payment_method if inv.subscription else None,
                },
            )
        )
    bus.publish(published)
    # settled once its events are out: a run that failed before this point runs again (the ledger is
    # booked once whatever the runs; the events carry stable ids)
    repo.update_invitation(inv.id, tx.settled_actions(now, actor), m.InvitationModel.due_at.exists())
    return {
        "invitation_id": inv.id,
        "settlement": result.settlement,
        "amount_minor": result.amount.amount_minor if result.amount else 0,
        "first_time": first,
    }


def notify_inviter(invitation_id: str, kind: str) -> dict[str, Any]:
    """Tell the inviter what became of the invitation (accepted)."""
    inv = repo.get_invitation(invitation_id)
    if inv is None:
        raise NotFound(f"no invitation {invitation_id}")
    inviter = repo.get_user(inv.inviter_id)
    if inviter is None:
        return {"status": "no_inviter"}
    message = mail.render(kind, inviter.email, inviter.language, org=inv.org_name, email=inv.email)
    return {"status": "sent", "message_id": mail.send(message)}


def expire(invitation_id: str) -> dict[str, Any]:
    """The workflow's Expire step: mark the invitation expired (once) and tell the inviter (once)."""
    from . import lifecycle

    return lifecycle.expire(invitation_id)


# ---------------------------------------------------------------- admin: one invitation, resend, revoke


def _own_invitation(caller_id: str | None, account_id: str, invitation_id: str) -> tuple[User, Invitation]:
    """The caller may manage the account, and the invitation is the account's (else 404, like another tenant)."""
    caller_item, inv = repo.get_user(caller_id) if caller_id else None, None
    caller = ensure_can_manage(caller_item, account_id)
    inv = repo.get_invitation(invitation_id) if len(invitation_id) <= 64 else None
    if inv is None or inv.account_id != account_id:
        raise NotFound("no such invitation")
    return caller, inv


def get_invitation(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    return _own_invitation(caller_id, account_id, invitation_id)[1]


def resend(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    """A fresh link and a fresh e-mail: the previous link stops working at once, the lifetime restarts."""
    from . import lifecycle, workflow

    caller, inv = _own_invitation(caller_id, account_id, invitation_id)
    settings = get_settings()
    now = clock.now()
    if inv.status not in OPEN:
        raise Conflict(f"only a pending invitation can be resent (this one is {inv.status})", code="not_pending")
    if inv.sent_at is not None and (wait := resend_wait(inv.sent_at, now, settings.resend_cooldown_seconds)) > 0:
        raise TooManyRequests(
            "this invitation was sent a moment ago; wait before sending it again",
            code="resend_cooldown",
            details={"retry_after_seconds": wait},
        )
    if reason := lifecycle_store.suppression(inv.email):
        # before the link is rotated: a refused resend leaves the invitation as it was
        raise mail.MailSuppressed(f"no more e-mail goes to this address ({reason})", details={"reason": reason})
    token, token_hash = new_token(inv.id)
    expires_at = now + timedelta(seconds=settings.invitation_lifetime_seconds)
    sent_before = (
        m.InvitationModel.sent_at == inv.sent_at if inv.sent_at else m.InvitationModel.sent_at.does_not_exist()
    )
    updated = repo.update_invitation(
        inv.id,
        [
            m.InvitationModel.token_hash.set(token_hash),
            m.InvitationModel.expires_at.set(expires_at),
            m.InvitationModel.sent_at.set(now),
            m.InvitationModel.status.set(PENDING),
            m.InvitationModel.status_key.set(repo.status_key(PENDING, inv.created_at, inv.id)),
            *lifecycle.schedule_after_send(now, expires_at),  # the reminders start again, old links end
            repo.log("resent", caller.id, now),
        ],
        m.InvitationModel.status.is_in(*OPEN) & sent_before,
    )
    if updated is None:  # a concurrent resend, revoke or accept won
        raise Conflict("the invitation changed meanwhile; reload it", code="invitation_changed")
    if updated.task_token:
        workflow.heartbeat(updated.task_token)  # restarts the workflow's expiry backstop
    message_id = mail.send(invitation_mail(updated, token), tags={"invitation_id": inv.id})
    return repo.update_invitation(inv.id, [repo.log("emailed", caller.id, now, message_id=message_id)]) or updated


def resend_wait(sent_at: datetime, now: datetime, cooldown_seconds: int) -> int:
    """Seconds until a resend is allowed again (0: now)."""
    return max(0, int(cooldown_seconds - (now - sent_at).total_seconds()))


def revoke(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    """Withdraw an open invitation: its license hold is released and its workflow ends now."""
    from . import workflow

    caller, inv = _own_invitation(caller_id, account_id, invitation_id)
    if inv.status not in OPEN or not tx.close_pending(inv, REVOKED, caller.id, clock.now()):
        current = repo.get_invitation(inv.id) or inv
        raise Conflict(f"only a pending invitation can be revoked (this one is {current.status})", code="not_pending")
    if inv.task_token:
        workflow.fail(inv.task_token, "InvitationRevoked", f"revoked by {caller.id}")
    revoked = repo.get_invitation(inv.id)
    assert revoked is not None
    return revoked
