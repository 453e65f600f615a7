"""Admin: send an open invitation again, with a new link."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .. import clock, mail, workflow
from ..config import get_settings
from ..errors import Conflict, ServiceUnavailable, TooManyRequests
from ..invitations import OPEN, Invitation, new_token
from ..store import repository as repo
from ..store import sends, suppressions
from .access import own_invitation
from .delivery import accept_url, first_due_after_send, invitation_mail, send_mail

log = logging.getLogger(__name__)

MAIL_RETRY_AFTER_SECONDS = 5  # what a resend whose e-mail could not be sent answers in Retry-After


@dataclass
class Resent:
    invitation: Invitation
    accept_url: str | None = None  # an invitation created without e-mail: its new link, for this answer only


def resend(caller_id: str | None, account_id: str, invitation_id: str) -> Resent:
    """A fresh link and a fresh e-mail: once the e-mail went out, the previous link stops working and the lifetime
    restarts; an e-mail that cannot be sent changes nothing (``503 mail_unavailable``, to retry at once).

    An invitation created without e-mail gets a fresh link and no e-mail: the link goes back in the answer
    (``Resent.accept_url``), the previous one stops working, the lifetime restarts. No cool-down: no e-mail
    goes anywhere."""
    caller, inv = own_invitation(caller_id, account_id, invitation_id)
    settings = get_settings()
    now = clock.now()
    if inv.status not in OPEN:
        raise Conflict(f"only a pending invitation can be resent (this one is {inv.status})", code="not_pending")
    if not inv.send_email:
        return _new_link(caller.id, inv, now, settings.invitation_lifetime_seconds)
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
    # The e-mail first, the rotation after: until its e-mail went out the new link does not exist, so a send
    # that fails changes nothing (the previous link works, no cool-down starts) and the admin may retry at
    # once. The rotation is conditioned on the invitation as read; losing that race leaves a mailed link
    # that never worked (docs/reliability.md).
    try:
        message_id = send_mail(
            invitation_mail(replace(inv, expires_at=expires_at), token), tags={"invitation_id": inv.id}
        )
    except mail.MailSuppressed:
        raise
    except Exception as error:  # SES throttled, failed or unreachable: nothing was written
        log.warning("resend of invitation %s: the e-mail could not be sent (%r)", inv.id, error)
        raise ServiceUnavailable(
            "the e-mail could not be sent; the invitation is unchanged and its link still works; try again",
            code="mail_unavailable",
            details={"retry_after_seconds": MAIL_RETRY_AFTER_SECONDS},
        ) from error
    first_due = first_due_after_send(now, expires_at)
    updated = sends.rotate_link(inv, token_hash, expires_at, first_due, caller.id, now, message_id)
    if updated is None:  # a concurrent resend, revoke, expiry or accept won
        raise Conflict("the invitation changed meanwhile; reload it", code="invitation_changed")
    _heartbeat(updated)
    return Resent(updated)


NEW_LINK_ATTEMPTS = 3


def _new_link(actor: str, inv: Invitation, now: datetime, lifetime_seconds: int) -> Resent:
    """The resend of an invitation we do not e-mail: a new link replaces the previous one; no reminders.

    Nothing went anywhere before the write, so a write that lost a race (the workflow's send step taking its
    task right after the create, another resend) is tried again on the invitation as it is now; one that is
    no longer open is refused."""
    token, token_hash = new_token(inv.id)
    expires_at = now + timedelta(seconds=lifetime_seconds)
    for _ in range(NEW_LINK_ATTEMPTS):
        updated = sends.rotate_link(inv, token_hash, expires_at, expires_at, actor, now, message_id=None)
        if updated is not None:
            _heartbeat(updated)
            return Resent(updated, accept_url(token))
        current = repo.get_invitation(inv.id)
        if current is None or current.status not in OPEN:
            raise Conflict("the invitation is no longer pending", code="not_pending")
        inv = current
    raise Conflict("the invitation changed meanwhile; reload it", code="invitation_changed")


def _heartbeat(updated: Invitation) -> None:
    if updated.task_token:
        try:
            workflow.heartbeat(updated.task_token)  # restarts the workflow's expiry backstop
        except Exception:  # the resend stands; the scheduled job expires by expires_at before the backstop
            log.exception("resend of invitation %s: the workflow's heartbeat failed", updated.id)


def resend_wait(sent_at: datetime, now: datetime, cooldown_seconds: int) -> int:
    """Seconds until a resend is allowed again (0: now)."""
    return max(0, int(cooldown_seconds - (now - sent_at).total_seconds()))
