"""The end of an open invitation whose time is up: closed (its license hold freed), its workflow ended, and
the inviter told once.

Whoever comes first, the scheduled sweep or the workflow's Expire step, closes it and sends the notice;
the other finds it done. The notice is claimed before it is sent, so it goes out at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import clock, mail, workflow
from ..errors import NotFound
from ..invitations import EXPIRED, OPEN, Invitation
from ..store import repository as repo
from ..store import schedule
from ..store import transactions as tx
from .delivery import send_mail

RETRY_NOTICE = timedelta(hours=1)  # an inviter notice that could not be sent is due again after this


def expire(invitation_id: str) -> dict[str, Any]:
    """The state machine's Expire step, after the sweep failed the task or the lifetime ran out: mark it
    expired (if the sweep did not already) and tell the inviter, at most once however often it runs."""
    inv = repo.get_invitation(invitation_id)
    if inv is None:
        raise NotFound(f"no invitation {invitation_id}")
    now = clock.now()
    status = inv.status
    if status in OPEN:
        closed = tx.close_pending(inv, EXPIRED, "workflow", now)
        status = EXPIRED if closed else (repo.get_invitation(invitation_id) or inv).status  # accepted meanwhile?
    notified = status == EXPIRED and notify_expired_once(invitation_id, now)
    return {"status": status, "inviter_notified": notified}


def close_expired(inv: Invitation, now: datetime) -> bool:
    """Mark it expired, releasing its guard and license hold, atomically. False when it was no longer open
    (accepted, revoked, or closed by another run first) or no longer as read: a resend since gave it a new
    lifetime (or its first send did)."""
    return tx.close_pending(inv, EXPIRED, "scheduler", now, as_read=True)


def end_workflow(inv: Invitation, now: datetime) -> None:
    """End the expired invitation's workflow with ``InvitationExpired`` (the state machine catches it: its
    Expire step, which finds the invitation closed)."""
    if inv.task_token:
        workflow.fail(inv.task_token, "InvitationExpired", f"expired at {clock.iso(now)} (scheduled job)")


def release_expired(account_id: str, emails: list[str], now: datetime) -> list[str]:
    """Expire now the open invitations of these addresses whose time is up but which the sweep has not
    expired yet (it runs hourly), so that re-inviting them works instead of answering "already invited".
    The addresses freed."""
    freed = []
    for inv in schedule.guarded_invitations(account_id, emails):
        if inv.status in OPEN and inv.expires_at <= now and close_expired(inv, now):
            freed.append(inv.email)
            end_workflow(inv, now)
            notify_expired_once(inv.id, now)
    return freed


def notify_expired_once(invitation_id: str, now: datetime) -> bool:
    """Tell the inviter their invitation expired: claimed first, so it goes out at most once. A send that
    fails undoes the claim (and makes the invitation due again, for the sweep) and raises, for retries."""
    if not schedule.claim_expiry_notice(invitation_id, now):
        return False
    inv = repo.get_invitation(invitation_id)
    inviter = repo.get_user(inv.inviter_id) if inv else None
    if inv is None or inviter is None:
        return False
    message = mail.render(
        "expired_inviter",
        inviter.email,
        inviter.language,
        org=inv.org_name,
        email=inv.email,
        licensed=inv.user_type == "licensed",
    )
    try:
        message_id = send_mail(message, tags={"invitation_id": inv.id})
    except mail.MailSuppressed:
        return False
    except Exception:
        schedule.release_expiry_notice(invitation_id, now, retry_at=now + RETRY_NOTICE)
        raise
    schedule.record_expiry_notice(invitation_id, message_id, now)
    return True
