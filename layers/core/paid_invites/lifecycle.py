"""An open invitation's life after its e-mail went out: reminders, expiry, bounces and complaints.

The scheduled job (``functions/remind`` -> ``service.run_due`` -> :func:`run_due`) reads only what
the sparse ``by_due`` index says is due now and does one thing per invitation (``reminders.decide``):
send the next reminder, expire it, move its due moment, or resume an accepted one's workflow.

Exactly-once, as far as e-mail allows: every action first *claims* its change with a conditional
UpdateItem (pending, same send, same reminder count) and only then sends. Two runs at once, or a
run retried after a crash, cannot both win the claim, so no reminder goes out twice. The price is
the other direction: a run that crashes between its claim and the send (the Lambda timed out or
died) loses that one reminder; the cadence carries on with the next one and the expiry. A send
that fails cleanly (SES refused) undoes its claim and the next run tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import clock, i18n, mail, reminders, workflow
from .config import get_settings
from .errors import NotFound
from .invitations import EXPIRED, OPEN, Invitation, new_token, normalize_email
from .store import lifecycle as store
from .store import repository as repo
from .store import transactions as tx

log = logging.getLogger(__name__)

RETRY_NOTICE = timedelta(hours=1)  # an inviter notice that could not be sent is due again after this
INVITEE_MAILS = ("invitation", "reminder")  # the mails whose bounce says something about the invitee's address
# SES stamps a mail in milliseconds, a little after we noted the send: a mail "sent" this much before
# the last send still belongs to it (a bounce of an older one, before a resend, is stale)
CLOCK_SLACK = timedelta(seconds=2)


def plan() -> reminders.Cadence:
    settings = get_settings()
    return reminders.cadence(
        settings.reminder_offsets_days, settings.max_reminders, settings.invitation_lifetime_seconds
    )


# ---------------------------------------------------------------- the contract with send and resend


def expires_after_send(sent_at: datetime) -> datetime:
    """When an invitation (re)sent at ``sent_at`` expires: the configured lifetime after it."""
    return reminders.expires_after_send(sent_at, plan())


def schedule_after_send(sent_at: datetime, expires_at: datetime) -> list[Any]:
    """The update actions that (re)start the cadence, for the UpdateItem that records a send.

    They set the due index to the first reminder (or the expiry), reset the reminder count and drop
    the links of earlier reminders. They do not touch ``sent_at`` or ``expires_at``: the caller
    sets those in the same update.
    """
    return store.schedule_actions(reminders.next_due(sent_at, 0, expires_at, plan()))


# ---------------------------------------------------------------- the scheduled job


@dataclass
class RunReport:
    """What one run of the scheduled job did."""

    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    seen: int = 0
    resumed: int = 0
    settled: int = 0  # accepted, and settled by the job: the workflow ended without settling it
    rescheduled: int = 0
    notified: int = 0
    suppressed: int = 0
    skipped: int = 0  # another run (or a change meanwhile) got there first
    deferred: int = 0  # left for the next run: this one ran out of time
    errors: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "reminded": len(self.reminded),
            "expired": len(self.expired),
            "resumed": self.resumed,
            "settled": self.settled,
            "rescheduled": self.rescheduled,
            "notified": self.notified,
            "suppressed": self.suppressed,
            "skipped": self.skipped,
            "deferred": self.deferred,
            "errors": self.errors,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"reminded": self.reminded, "expired": self.expired, "counts": self.counts()}


def run_due(reconcile: Callable[[Invitation], str], limit: int = 500, deadline: float | None = None) -> RunReport:
    """One run: everything due now, once. ``reconcile`` resumes or settles an accepted invitation the
    workflow has not settled (``"resumed"``, ``"settled"`` or ``"left"`` to the workflow); ``deadline``
    (``time.monotonic()``) leaves the rest for the next run rather than time out."""
    now = clock.now()
    cadence = plan()
    report = RunReport()
    for inv, read_due in store.due(now, limit):
        if deadline is not None and time.monotonic() > deadline:
            report.deferred += 1
            continue
        report.seen += 1
        step = reminders.decide(inv, now, cadence)
        try:
            if step.kind == "expire":
                expire_due(inv, now, report)
            elif step.kind == "remind":
                remind(inv, step, now, cadence, report)
            elif step.kind == "reschedule":
                assert step.due_at is not None
                if step.due_at != read_due and store.reschedule(inv.id, read_due, step.due_at):
                    report.rescheduled += 1
            elif step.kind == "reconcile":
                outcome = reconcile(inv)
                report.resumed += outcome == "resumed"
                report.settled += outcome == "settled"
            elif step.kind == "notify_expired":
                report.notified += notify_expired_once(inv.id, now)
            else:
                store.drop_due(inv.id)
        except Exception:  # one invitation's trouble must not stop the others; it stays due
            log.exception("scheduled work on invitation %s failed", inv.id)
            report.errors += 1
    return report


def remind(inv: Invitation, step: reminders.Step, now: datetime, cadence: reminders.Cadence, report: RunReport) -> None:
    """Claim reminder ``step.reminder``, then send it with a fresh link (the earlier links keep working)."""
    assert inv.sent_at is not None and step.due_at is not None
    token, token_hash = new_token(inv.id)
    if not store.claim_reminder(inv, step.reminder, token_hash, step.due_at, now):
        report.skipped += 1
        return
    total = len(reminders.reminder_times(inv.sent_at, inv.expires_at, cadence))
    message = mail.render(
        "reminder",
        inv.email,
        inv.language,
        org=inv.org_name,
        inviter=inv.inviter_name,
        days_left=reminders.days_left(inv.expires_at, now),
        expires_on=i18n.date(inv.expires_at, inv.language),
        accept_url=f"{get_settings().accept_base_url}?token={token}",
        last=step.reminder >= total,
    )
    try:
        message_id = mail.send(message, tags={"invitation_id": inv.id})
    except mail.MailSuppressed:
        store.stop_reminders(inv, "address_suppressed", now)
        report.suppressed += 1
        return
    except Exception:
        store.release_reminder(inv, step.reminder, now)
        raise
    store.record_reminded(inv.id, step.reminder, message_id, now)
    report.reminded.append(inv.id)


def expire_due(inv: Invitation, now: datetime, report: RunReport) -> None:
    """Mark it expired (releasing its guard and license hold, atomically), end its workflow with
    ``InvitationExpired`` (the state machine catches it: its Expire step), and tell the inviter.

    The notice is claimed before it is sent, so whoever comes first (this job or the Expire step)
    sends it and the other finds it done; that also covers an invitation with no workflow left.
    """
    if not tx.close_pending(inv, EXPIRED, "scheduler", now):
        report.skipped += 1
        return
    report.expired.append(inv.id)
    if inv.task_token:
        workflow.fail(inv.task_token, "InvitationExpired", f"expired at {clock.iso(now)} (scheduled job)")
    report.notified += notify_expired_once(inv.id, now)


def release_expired(account_id: str, emails: list[str], now: datetime) -> list[str]:
    """Expire now the open invitations of these addresses whose time is up but which the job has not
    expired yet (it runs hourly), so that re-inviting them works instead of answering "already invited".
    The addresses freed."""
    freed = []
    report = RunReport()
    for inv in store.guarded_invitations(account_id, emails):
        if inv.status in OPEN and inv.expires_at <= now:
            expire_due(inv, now, report)
            if inv.id in report.expired:
                freed.append(inv.email)
    return freed


# ---------------------------------------------------------------- the workflow's Expire step


def expire(invitation_id: str) -> dict[str, Any]:
    """The state machine's Expire step, after the job failed the task or the lifetime ran out: mark it
    expired (if the job did not already) and tell the inviter, at most once however often it runs."""
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


def notify_expired_once(invitation_id: str, now: datetime) -> bool:
    """Tell the inviter their invitation expired: claimed first, so it goes out at most once. A send that
    fails undoes the claim (and makes the invitation due again, for the job) and raises, for retries."""
    if not store.claim_expiry_notice(invitation_id, now):
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
        message_id = mail.send(message, tags={"invitation_id": inv.id})
    except mail.MailSuppressed:
        return False
    except Exception:
        store.release_expiry_notice(invitation_id, now, retry_at=now + RETRY_NOTICE)
        raise
    store.record_expiry_notice(invitation_id, message_id, now)
    return True


# ---------------------------------------------------------------- SES events (bounce, complaint, delivery)


def _first(values: Any) -> str:
    return str(values[0]) if isinstance(values, list) and values else ""


def _address(raw: Any) -> str:
    try:
        return normalize_email(str(raw))
    except Exception:  # noqa: BLE001 - SES sends what the recipient's server said; keep it as it is
        return str(raw).strip().lower()


def handle_ses_event(event: dict[str, Any]) -> dict[str, Any]:
    """One SES event record (what SNS carries in ``Message``), from the configuration set.

    A hard bounce of the invitation or a reminder marks the invitation ``bounced`` with the reason
    (no more reminders; the admin resends after fixing the address, or revokes). A complaint puts
    the address on our suppression list: nothing more is sent to it. A delivery is recorded in the
    history. The invitation is found by the ``invitation_id`` message tag; SNS may deliver an event
    twice, and each is recorded once.
    """
    now = clock.now()
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    sent = event.get("mail") or {}
    tags = sent.get("tags") or {}
    message_id = str(sent.get("messageId") or "")
    mail_kind = _first(tags.get("kind"))
    invitation_id = _first(tags.get("invitation_id"))
    sent_at = (clock.parse(sent["timestamp"]) if sent.get("timestamp") else now) + CLOCK_SLACK
    inv = repo.get_invitation(invitation_id) if invitation_id else None
    about_invitee = inv is not None and mail_kind in INVITEE_MAILS
    outcome: dict[str, Any] = {"event": kind, "invitation_id": inv.id if inv else None, "actions": []}
    actions: list[str] = outcome["actions"]

    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        for recipient in bounce.get("bouncedRecipients") or []:
            address = _address(recipient.get("emailAddress"))
            reason = str(recipient.get("diagnosticCode") or bounce.get("bounceSubType") or "bounced")[:500]
            if not (about_invitee and inv is not None and address == inv.email):
                actions.append(f"ignored:{address}")
            elif hard and store.mark_bounced(inv, reason, message_id, sent_at, now):
                actions.append(f"bounced:{address}")
            elif not hard and store.record_mail_event(
                inv.id, f"bounce:{message_id}:{address}", "soft_bounce", now, reason=reason, message_id=message_id
            ):
                actions.append(f"soft_bounce:{address}")
            else:
                actions.append(f"unchanged:{address}")
    elif kind == "Complaint":
        complaint = event.get("complaint") or {}
        reason = str(complaint.get("complaintFeedbackType") or "complaint")
        for recipient in complaint.get("complainedRecipients") or []:
            address = _address(recipient.get("emailAddress"))
            if store.suppress(address, reason, now, message_id):
                actions.append(f"suppressed:{address}")
            if about_invitee and inv is not None and address == inv.email:
                if inv.status in OPEN and store.stop_reminders(
                    inv, "complaint", now, actor="ses", event="complained", message_id=message_id, feedback=reason
                ):
                    actions.append("reminders_stopped")
                elif store.record_mail_event(
                    inv.id, f"complaint:{message_id}:{address}", "complained", now, message_id=message_id
                ):
                    actions.append("recorded")
    elif kind == "Delivery":
        delivery = event.get("delivery") or {}
        if inv is not None:
            for address in delivery.get("recipients") or sent.get("destination") or []:
                if store.record_mail_event(
                    inv.id,
                    f"delivery:{message_id}:{_address(address)}",
                    "delivered",
                    now,
                    mail=mail_kind or "mail",
                    message_id=message_id,
                ):
                    actions.append(f"delivered:{_address(address)}")
    else:
        actions.append("ignored")
    return outcome
