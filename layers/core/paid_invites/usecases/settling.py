"""Settle an accepted invitation exactly once: the ledger, the subscription, the credit, then the events."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from .. import clock, events
from ..acceptance import Acceptance
from ..config import get_settings
from ..errors import MailThrottled, TransientError
from ..invitations import Invitation
from ..ledger import REQUESTED, LedgerEntry
from ..proration import Subscription
from ..settlement import EXTERNAL, Event, request_event, settlement_events
from ..store import repository as repo
from ..store import settlements
from ..store import transactions as tx
from .delivery import notify_inviter

log = logging.getLogger(__name__)


def settle(acc: Acceptance, actor: str = "workflow") -> dict[str, Any]:
    """Book the money (if any), publish the events, mark it settled: ``_settle``'s answer."""
    return _settle(acc, actor)[0]


def _settle(acc: Acceptance, actor: str = "workflow") -> tuple[dict[str, Any], Invitation | None]:
    """Book the money (if the invitee's own paid subscription ends), publish the events, mark it settled.

    The booking is conditioned on the invitation: accepted as ``acc`` says, not settled yet; one it disagrees
    with books nothing and raises ``SettlementRefused`` (not retried: recorded on the invitation).
    Safe to run again: the ledger is booked once whatever the runs (``first_time`` says whether this run
    booked it) and the events carry stable ids. It is marked settled only once its events are out, so a
    run that failed before that stays due and runs again.

    With external billing the entries are booked ``requested`` and each one still waiting for its answer is
    published as a billing request (its current attempt: the same ids again on a run again); the invitation
    stays due until ``SettlementAnswerSeconds`` from now, when the sweep reports requests still unanswered.

    With the answer, the invitation as this run marked it settled (None: a run before did), which claims the
    inviter's notice."""
    settings = get_settings()
    external = settings.billing_mode == EXTERNAL
    now = clock.now()
    sub = acc.subscription
    booked_now = True
    booked = acc.settle_due and sub is not None and acc.invitee_account_id
    if booked:
        assert sub is not None and acc.invitee_account_id is not None
        booked_now = tx.book_settlement(
            tx.Booking(
                invitation_id=acc.invitation_id,
                org_account_id=acc.account_id,
                own_account_id=acc.invitee_account_id,
                user_id=acc.invitee_user_id or "",
                refund=acc.refund,
                credit=acc.credit,
                cancelled_amount=sub.paid,
                payment_method=sub.payment_method,
                settlement=acc.settlement,
                accepted_at=acc.accepted_at,
                billing=settings.billing_mode,
            ),
            now,
        )
    requests = None
    if external and booked:
        waiting = [e for e in settlements.entries_of(acc.invitation_id) if e.state == REQUESTED]
        requests = billing_requests(waiting, acc.subscription)
    events.publish(settlement_events(acc, requests))
    answer_due = now + timedelta(seconds=settings.settlement_answer_seconds) if requests else None
    marked = tx.mark_settled(acc.invitation_id, now, actor, answer_due)
    amount = acc.amount
    result = {
        "invitation_id": acc.invitation_id,
        "settlement": acc.settlement,
        "amount_minor": amount.amount_minor if amount else 0,
        "first_time": booked_now,
        "billing": settings.billing_mode,
        "requested": len(requests or []),
    }
    return result, marked


def settle_and_tell_inviter(acc: Acceptance) -> dict[str, Any]:
    """The workflow's Settle step: settle (``settle``), then tell the inviter of the acceptance, once.

    The run that marks the invitation settled claims the notice in the same write; a run again (a retry
    after a timeout, a throttled send) finds it claimed and sends nothing, unless the run that claimed it
    could not send it and gave the claim back (throttled, or a transient failure: raised as
    ``MailThrottled`` for the workflow to retry the step, which settles nothing twice). Any other failure
    of the courtesy mail is logged and leaves the settlement as it is (the inviter is not told)."""
    result, marked = _settle(acc)
    claimed = marked or tx.claim_accept_notice(acc.invitation_id, clock.now())
    if claimed is None:
        return {**result, "notice": "already_claimed"}
    try:
        notice = notify_inviter(acc.invitation_id, "accepted", claimed)  # as the claim wrote it: no read
    except TransientError as error:  # MailThrottled too
        tx.release_accept_notice(acc.invitation_id)
        raise MailThrottled(f"the inviter's notice could not be sent for now: {error}") from error
    except Exception:  # the courtesy e-mail only: settled is settled
        log.exception("settled invitation %s, but could not tell its inviter", acc.invitation_id)
        return {**result, "notice": "failed"}
    return {**result, "notice": notice.get("status", "sent")}


def billing_requests(entries: list[LedgerEntry], subscription: Subscription | None) -> list[Event]:
    """The billing request of each entry in its current attempt, with the billing system's ids of the
    invitee's subscription (``subscription``: the snapshot the acceptance keeps) and of the customer the money
    goes to (for a credit the organization's, else the invitee's own account's), where they are known."""
    if not entries:
        return []
    ids = sorted({e.org_account_id if e.kind == "credit_transferred" else e.account_id for e in entries})
    customers = {i: getattr(repo.get_account(i), "billing_customer_id", None) for i in ids if i}
    return [
        request_event(
            e,
            subscription_external_id=getattr(subscription, "external_id", None),
            billing_customer_id=customers.get(e.org_account_id if e.kind == "credit_transferred" else e.account_id),
        )
        for e in entries
    ]


def report_unanswered(inv: Invitation, read_due: datetime, now: datetime) -> int:
    """The scheduled sweep's check of a settled invitation that is due (as its query read it): its billing
    requests still without an answer ``SettlementAnswerSeconds`` after they were requested are logged,
    published again (the same ids: a billing system that has them does nothing twice) and counted (the
    caller's metric is alarmed); it is due again when the next one's time is up. Not due any more once none
    waits. How many were overdue."""
    answer = timedelta(seconds=get_settings().settlement_answer_seconds)
    waiting = [e for e in settlements.entries_of(inv.id) if e.state == REQUESTED]
    if not waiting:
        settlements.drop_due(inv.id)
        return 0
    overdue = [e for e in waiting if (e.requested_at or e.created_at) + answer <= now]
    later = [(e.requested_at or e.created_at) + answer for e in waiting if e not in overdue]
    if overdue:
        log.warning(
            "billing requests unanswered: %s",
            ", ".join(f"{e.invitation_id}:{e.kind}:{e.attempt}" for e in overdue),
        )
        events.publish(billing_requests(overdue, inv.subscription))
    settlements.reschedule_unanswered(inv.id, read_due, min([now + answer, *later]))
    return len(overdue)
