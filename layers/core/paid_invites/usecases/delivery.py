"""The e-mails: the invitation (the workflow's SendInvitation step) and the inviter's notices.

Every mail goes through :func:`send_mail`, which asks our suppression list first: nothing goes to an
address that complained (``MailSuppressed``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import clock, formatting, mail, reminders
from ..config import get_settings
from ..errors import InvitationExpired, InvitationRevoked, NotFound
from ..invitations import EXPIRED, OPEN, PENDING, REVOKED, Invitation, message_lines, new_token
from ..store import repository as repo
from ..store import sends, suppressions


def configured_cadence() -> reminders.Cadence:
    """The reminder cadence and lifetime the settings configure."""
    settings = get_settings()
    return reminders.cadence(
        settings.reminder_offsets_days, settings.max_reminders, settings.invitation_lifetime_seconds
    )


def accept_url(token: str) -> str:
    return f"{get_settings().accept_base_url}?token={token}"


def send_mail(message: mail.Mail, tags: dict[str, str] | None = None) -> str:
    """Send unless the address is on our suppression list (then ``MailSuppressed``); the SES message id."""
    reason = suppressions.suppression(message.to)
    if reason is not None:
        raise mail.MailSuppressed(f"no mail goes to this address any more ({reason})", details={"reason": reason})
    return mail.send(message, tags=tags)


def invitation_mail(inv: Invitation, token: str) -> mail.Mail:
    """The invitation e-mail with its accept link (first send and resend alike)."""
    return mail.render(
        "invitation",
        inv.email,
        inv.language,
        org=inv.org_name,
        inviter=inv.inviter_name,
        expires_on=formatting.date(inv.expires_at, inv.language),
        accept_url=accept_url(token),
        message_lines=message_lines(inv),
    )


def send_invitation(invitation_id: str, task_token: str) -> dict[str, Any]:
    """Render and send the invitation e-mail with a fresh link; store the task token beside its hash.

    A retry after the e-mail went out sends nothing again: the same task token redelivered, or a new
    one (Step Functions gives every attempt of the step its own token). The step runs once per
    invitation (its execution is named after it), so an e-mail that went out is this step's e-mail.

    An invitation created without e-mail (``send_email`` False) got its link when it was created: the step
    only stores the task token (``sends.take_task``) and sends nothing, ever.
    """
    now = clock.now()
    token, token_hash = new_token(invitation_id)
    cadence = configured_cadence()
    expires_at = reminders.expires_after_send(now, cadence)  # the lifetime counts from the send
    inv = sends.claim_send(invitation_id, token_hash, task_token)
    if inv is None:
        current = repo.get_invitation(invitation_id)
        if current is None:
            raise NotFound(f"no invitation {invitation_id}")
        if sends.mailed_for(current, task_token):
            return {"status": "already_sent" if current.send_email else "link_handed_over"}
        if not current.send_email and current.mailed_for is None and current.status == PENDING:
            if sends.take_task(invitation_id, task_token, now) is not None:
                return {"status": "link_handed_over"}
            current = repo.get_invitation(invitation_id) or current  # revoked, expired or accepted meanwhile
        if current.status == REVOKED:
            raise InvitationRevoked(invitation_id)
        if current.status == EXPIRED:
            raise InvitationExpired(invitation_id)
        # A retried attempt: the e-mail of an earlier one went out (or the invitee even accepted with its
        # link meanwhile). The workflow now waits on this attempt's token, so it is the one to resume.
        sends.follow_task(invitation_id, task_token)
        return {"status": "already_sent" if current.status in OPEN else current.status}
    try:
        message_id = send_mail(
            invitation_mail(replace(inv, expires_at=expires_at), token), tags={"invitation_id": invitation_id}
        )
    except mail.MailSuppressed as suppressed:
        # the address complained before: nothing is sent; the admin sees it as bounced, and it expires
        sends.mark_bounced_unsent(inv, task_token, expires_at, suppressed.message, now)
        return {"status": "suppressed"}
    first_due = reminders.next_due(now, 0, expires_at, cadence)
    sends.record_send(invitation_id, task_token, now, expires_at, first_due, message_id)
    return {"status": "sent", "message_id": message_id}


def notify_inviter(invitation_id: str, kind: str, inv: Invitation | None = None) -> dict[str, Any]:
    """Tell the inviter what became of the invitation (``kind``: the mail, e.g. ``accepted``); ``inv``: the
    invitation as the caller just wrote it (else it is read)."""
    inv = inv or repo.get_invitation(invitation_id)
    if inv is None:
        raise NotFound(f"no invitation {invitation_id}")
    inviter = repo.get_user(inv.inviter_id)
    if inviter is None:
        return {"status": "no_inviter"}
    message = mail.render(kind, inviter.email, inviter.language, org=inv.org_name, email=inv.email)
    return {"status": "sent", "message_id": send_mail(message)}


def first_due_after_send(sent_at: datetime, expires_at: datetime) -> datetime:
    """When an invitation (re)sent at ``sent_at`` is first due: its first reminder, else its expiry."""
    return reminders.next_due(sent_at, 0, expires_at, configured_cadence())
