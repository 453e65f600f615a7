"""Admin: send an open invitation again, with a new link."""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import clock, mail, workflow
from ..config import get_settings
from ..errors import Conflict, TooManyRequests
from ..invitations import OPEN, Invitation, new_token
from ..store import sends, suppressions
from .access import own_invitation
from .delivery import first_due_after_send, invitation_mail, send_mail


def resend(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    """A fresh link and a fresh e-mail: the previous link stops working at once, the lifetime restarts."""
    caller, inv = own_invitation(caller_id, account_id, invitation_id)
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
    if reason := suppressions.suppression(inv.email):
        # before the link is rotated: a refused resend leaves the invitation as it was
        raise mail.MailSuppressed(f"no more e-mail goes to this address ({reason})", details={"reason": reason})
    token, token_hash = new_token(inv.id)
    expires_at = now + timedelta(seconds=settings.invitation_lifetime_seconds)
    updated = sends.rotate_link(inv, token_hash, expires_at, first_due_after_send(now, expires_at), caller.id, now)
    if updated is None:  # a concurrent resend, revoke or accept won
        raise Conflict("the invitation changed meanwhile; reload it", code="invitation_changed")
    if updated.task_token:
        workflow.heartbeat(updated.task_token)  # restarts the workflow's expiry backstop
    message_id = send_mail(invitation_mail(updated, token), tags={"invitation_id": inv.id})
    return sends.record_emailed(inv.id, caller.id, now, message_id) or updated


def resend_wait(sent_at: datetime, now: datetime, cooldown_seconds: int) -> int:
    """Seconds until a resend is allowed again (0: now)."""
    return max(0, int(cooldown_seconds - (now - sent_at).total_seconds()))
