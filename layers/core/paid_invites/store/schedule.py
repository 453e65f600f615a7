"""The writes of an open invitation's schedule after its e-mail went out: the reminder cadence, bounces,
complaints and the inviter's expiry notice. Each one is a single conditional UpdateItem (or PutItem),
so two scheduled runs, a retried run or a redelivered SES event change an invitation at most once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..invitations import BOUNCED, EXPIRED, OPEN, PENDING, Invitation
from . import models as m
from .mapping import DUE_SHARD, status_key, to_invitation
from .repository import Key, log, read_many, update_invitation

I = m.InvitationModel  # noqa: E741 - the model every expression here is about


def restart_cadence(due_at: datetime) -> list[Any]:
    """The update actions of a send (first or resend): no reminders yet, due at ``due_at`` (the first one)."""
    return [
        I.due_shard.set(DUE_SHARD),
        I.due_at.set(due_at),
        I.reminders_sent.set(0),
        I.reminder_hashes.set([]),
        I.last_reminded_at.remove(),
        I.reminders_stopped.remove(),
    ]


def _cadence_unchanged(inv: Invitation, now: datetime) -> Any:
    """The invitation is still as the job read it: pending, same send, same reminder count, not expired."""
    sent = I.sent_at == inv.sent_at if inv.sent_at else I.sent_at.does_not_exist()
    count = I.reminders_sent == inv.reminders_sent
    if not inv.reminders_sent:
        count = count | I.reminders_sent.does_not_exist()
    return (I.status == PENDING) & sent & count & (I.expires_at > now) & I.reminders_stopped.does_not_exist()


def claim_reminder(inv: Invitation, number: int, token_hash: str, due_at: datetime, now: datetime) -> bool:
    """Claim reminder ``number`` before sending it. False when another run (or a retry) got there first."""
    return (
        update_invitation(
            inv.id,
            [
                I.reminders_sent.set(number),
                I.last_reminded_at.set(now),
                I.reminder_hashes.set((I.reminder_hashes | []).append([token_hash])),
                I.due_at.set(due_at),
            ],
            _cadence_unchanged(inv, now),
        )
        is not None
    )


def release_reminder(inv: Invitation, number: int, claimed_at: datetime) -> bool:
    """Undo our claim after the send failed cleanly (SES refused): due again now, for the next run."""
    return (
        update_invitation(
            inv.id,
            [
                I.reminders_sent.set(inv.reminders_sent),
                I.due_at.set(claimed_at),
                I.last_reminded_at.set(inv.last_reminded_at) if inv.last_reminded_at else I.last_reminded_at.remove(),
            ],
            (I.reminders_sent == number) & (I.last_reminded_at == claimed_at) & (I.status == PENDING),
        )
        is not None
    )


def record_reminded(invitation_id: str, number: int, message_id: str, at: datetime) -> None:
    update_invitation(invitation_id, [log("reminded", "scheduler", at, number=str(number), message_id=message_id)])


def due(now: datetime, limit: int) -> list[tuple[Invitation, datetime]]:
    """What the sparse ``by_due`` index holds with ``due_at <= now``, oldest first, with each one's due_at.

    One Query on the index: it reads the entries that are due and nothing else. Each invitation holds only
    what the index projects (``models.DUE_PROJECTED``): enough for the cadence of a pending invitation whose
    e-mail went out (``cadence_known``) and its reminder; ``read_due`` reads one whole for anything else.
    The index is eventually consistent; every write below is conditional on what was read, so a stale
    entry changes nothing.
    """
    m.bind()
    query = I.by_due.query(DUE_SHARD, m.InvitationsDue.due_at <= now, limit=limit)
    return [(to_invitation(item), item.due_at) for item in query]


def cadence_known(entry: Invitation) -> bool:
    """Whether the due index's copy of an invitation is all its next reminder (or rescheduling) needs: a
    pending one whose e-mail went out (the start of an unsent one needs its task token, the others more)."""
    return entry.status == PENDING and entry.sent_at is not None


def read_due(invitation_id: str, due_at: datetime) -> Invitation | None:
    """The whole invitation the due index returned, read from the table (consistent); None when it is gone or
    no longer due at ``due_at`` (it changed since the index was read: the next run sees it as it is)."""
    m.bind()
    try:
        item = I.get(invitation_id, consistent_read=True)
    except I.DoesNotExist:
        return None
    return to_invitation(item) if item.due_at == due_at else None


def start_later(invitation_id: str, at: datetime) -> bool:
    """Its workflow could not be started: due now, so the scheduled job starts it (only while its workflow
    has not taken it up: pending, no task token, never sent)."""
    return (
        update_invitation(
            invitation_id,
            [I.due_shard.set(DUE_SHARD), I.due_at.set(at), log("delivery_delayed", "system", at)],
            (I.status == PENDING) & I.task_token.does_not_exist() & I.sent_at.does_not_exist(),
        )
        is not None
    )


def reschedule(invitation_id: str, read_due: datetime, due_at: datetime) -> bool:
    """Move the due moment (nothing to do yet), if it is still the one the job read."""
    return update_invitation(invitation_id, [I.due_at.set(due_at)], I.due_at == read_due) is not None


def drop_due(invitation_id: str) -> None:
    """Nothing more is due on this invitation: leave the sparse index."""
    update_invitation(invitation_id, [I.due_at.remove(), I.due_shard.remove()], I.due_at.exists())


def stop_reminders(
    inv: Invitation, reason: str, at: datetime, actor: str = "scheduler", event: str = "reminders_stopped", **extra: str
) -> bool:
    """No more reminders (complaint, suppressed address): still due at its expiry, which frees the license."""
    return (
        update_invitation(
            inv.id,
            [
                I.reminders_stopped.set(reason),
                I.due_shard.set(DUE_SHARD),
                I.due_at.set(inv.expires_at),
                log(event, actor, at, reason=reason, **extra),
            ],
            I.status.is_in(*OPEN) & I.reminders_stopped.does_not_exist(),
        )
        is not None
    )


def mark_bounced(inv: Invitation, reason: str, message_id: str, mail_sent_at: datetime, at: datetime) -> bool:
    """A hard bounce of a mail of the current send: ``bounced``, no more reminders; the license stays held
    (resend after fixing the address, or revoke; it expires like a pending one). False when the bounce is
    stale (the mail was sent before the last send) or the invitation is no longer pending."""
    return (
        update_invitation(
            inv.id,
            [
                I.status.set(BOUNCED),
                I.status_key.set(status_key(BOUNCED, inv.created_at, inv.id)),
                I.due_shard.set(DUE_SHARD),
                I.due_at.set(inv.expires_at),
                log("bounced", "ses", at, reason=reason, message_id=message_id),
            ],
            (I.status == PENDING) & (I.sent_at <= mail_sent_at),
        )
        is not None
    )


def record_mail_event(invitation_id: str, event_id: str, kind: str, at: datetime, **extra: str) -> bool:
    """Append an SES event (delivery, complaint, soft bounce) to the history, once per ``event_id``."""
    return (
        update_invitation(
            invitation_id,
            [I.mail_events.add({event_id}), log(kind, "ses", at, **extra)],
            I.id.exists() & ~I.mail_events.contains(event_id),
        )
        is not None
    )


def claim_expiry_notice(invitation_id: str, at: datetime) -> bool:
    """Claim the one notice to the inviter that this invitation expired."""
    return (
        update_invitation(
            invitation_id,
            [I.expiry_notified_at.set(at), I.due_at.remove(), I.due_shard.remove()],
            (I.status == EXPIRED) & I.expiry_notified_at.does_not_exist(),
        )
        is not None
    )


def release_expiry_notice(invitation_id: str, claimed_at: datetime, retry_at: datetime | None) -> None:
    """The notice could not be sent: unclaim it (and, for the scheduled job, be due again at ``retry_at``)."""
    actions: list[Any] = [I.expiry_notified_at.remove()]
    if retry_at is not None:
        actions += [I.due_shard.set(DUE_SHARD), I.due_at.set(retry_at)]
    update_invitation(invitation_id, actions, I.expiry_notified_at == claimed_at)


def record_expiry_notice(invitation_id: str, message_id: str, at: datetime) -> None:
    update_invitation(invitation_id, [log("inviter_notified", "workflow", at, message_id=message_id)])


def guarded_invitations(account_id: str, emails: list[str]) -> list[Invitation]:
    """The invitations the pending guards of these addresses point at (at most two batched reads)."""
    if not emails:
        return []
    keys: list[Key] = [(m.PendingGuardModel, m.PendingGuardModel.key(account_id, e)) for e in emails]
    guards = [g for g in read_many(keys) if g is not None]
    if not guards:
        return []
    items = read_many([(m.InvitationModel, g.invitation_id) for g in guards])
    return [to_invitation(item) for item in items if item is not None]
