"""SES events of the configuration set: bounces, complaints and deliveries of the mails we sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import clock
from ..invitations import OPEN, normalize_email
from ..store import repository as repo
from ..store import schedule, suppressions

INVITEE_MAILS = ("invitation", "reminder")  # the mails whose bounce says something about the invitee's address
# SES stamps a mail in milliseconds, a little after we noted the send: a mail "sent" this much before
# the last send still belongs to it (a bounce of an older one, before a resend, is stale)
CLOCK_SLACK = timedelta(seconds=2)


def tag_value(values: Any) -> str:
    """A message tag's value as SES sends it back (a list of one string), or ``""``."""
    return str(values[0]) if isinstance(values, list) and values else ""


def recipient_address(raw: Any) -> str:
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
    mail_kind = tag_value(tags.get("kind"))
    invitation_id = tag_value(tags.get("invitation_id"))
    sent_at = (clock.parse(sent["timestamp"]) if sent.get("timestamp") else now) + CLOCK_SLACK
    inv = repo.get_invitation(invitation_id) if invitation_id else None
    about_invitee = inv is not None and mail_kind in INVITEE_MAILS
    outcome: dict[str, Any] = {"event": kind, "invitation_id": inv.id if inv else None, "actions": []}
    actions: list[str] = outcome["actions"]

    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        for recipient in bounce.get("bouncedRecipients") or []:
            address = recipient_address(recipient.get("emailAddress"))
            reason = str(recipient.get("diagnosticCode") or bounce.get("bounceSubType") or "bounced")[:500]
            if not (about_invitee and inv is not None and address == inv.email):
                actions.append(f"ignored:{address}")
            elif hard and schedule.mark_bounced(inv, reason, message_id, sent_at, now):
                actions.append(f"bounced:{address}")
            elif not hard and schedule.record_mail_event(
                inv.id, f"bounce:{message_id}:{address}", "soft_bounce", now, reason=reason, message_id=message_id
            ):
                actions.append(f"soft_bounce:{address}")
            else:
                actions.append(f"unchanged:{address}")
    elif kind == "Complaint":
        complaint = event.get("complaint") or {}
        reason = str(complaint.get("complaintFeedbackType") or "complaint")
        for recipient in complaint.get("complainedRecipients") or []:
            address = recipient_address(recipient.get("emailAddress"))
            if suppressions.suppress(address, reason, now, message_id):
                actions.append(f"suppressed:{address}")
            if about_invitee and inv is not None and address == inv.email:
                if inv.status in OPEN and schedule.stop_reminders(
                    inv, "complaint", now, actor="ses", event="complained", message_id=message_id, feedback=reason
                ):
                    actions.append("reminders_stopped")
                elif schedule.record_mail_event(
                    inv.id, f"complaint:{message_id}:{address}", "complained", now, message_id=message_id
                ):
                    actions.append("recorded")
    elif kind == "Delivery":
        delivery = event.get("delivery") or {}
        if inv is not None:
            for address in delivery.get("recipients") or sent.get("destination") or []:
                if schedule.record_mail_event(
                    inv.id,
                    f"delivery:{message_id}:{recipient_address(address)}",
                    "delivered",
                    now,
                    mail=mail_kind or "mail",
                    message_id=message_id,
                ):
                    actions.append(f"delivered:{recipient_address(address)}")
    else:
        actions.append("ignored")
    return outcome
