"""The writes of sending an invitation's e-mail: the workflow's send, and the admin's resend (a new link).

Each is one conditional UpdateItem. A send restarts the reminder cadence (``schedule.restart_cadence``); a
resend writes only once its e-mail went out (``rotate_link``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute

from ..invitations import ACCEPTED, BOUNCED, OPEN, PENDING, Invitation, event
from . import models as m
from .mapping import DUE_SHARD, status_key
from .repository import log, update_invitation
from .schedule import restart_cadence

I = m.InvitationModel  # noqa: E741 - the model every expression here is about


def sent_mark(task_token: str) -> str:
    """What ``mailed_for`` keeps of the task token whose e-mail went out: its SHA-256 (43 characters), not the
    token itself, which Step Functions makes up to 2,048 characters long and the item holds already in
    ``task_token``. Every write of the invitation (and of its copies in the indexes) is billed by its size."""
    return base64.urlsafe_b64encode(hashlib.sha256(task_token.encode()).digest()).decode().rstrip("=")


def mailed_for(inv: Invitation, task_token: str) -> bool:
    """The e-mail of ``task_token``'s attempt went out (an item written before ``sent_mark`` holds the token)."""
    return inv.mailed_for is not None and inv.mailed_for in (sent_mark(task_token), task_token)


def claim_send(invitation_id: str, token_hash: str, task_token: str) -> Invitation | None:
    """Take the invitation's one send: store the link's hash and the workflow's task token. None when it is not
    pending, its e-mail went out already, or it is one we do not e-mail (``take_task``). The new expiry (the
    lifetime counts from the send) is stored with the send (``record_send``), so that the claim changes
    nothing the due index copies (no index write)."""
    return update_invitation(
        invitation_id,
        [I.token_hash.set(token_hash), I.task_token.set(task_token)],
        (I.status == PENDING)
        & I.mailed_for.does_not_exist()
        & (I.send_email.does_not_exist() | (I.send_email == True)),  # noqa: E712 - a condition, not a test
    )


def take_task(invitation_id: str, task_token: str, at: datetime) -> Invitation | None:
    """The send step of an invitation we do not e-mail: its link was made (and handed to the admin) when it
    was created, so only the workflow's task token is stored, marked as this step's, and ``sent_at`` set. The
    lifetime still counts from the creation, and no reminder cadence starts. None when it is not pending or
    the step ran already."""
    return update_invitation(
        invitation_id,
        [I.task_token.set(task_token), I.mailed_for.set(sent_mark(task_token)), I.sent_at.set(at)],
        (I.status == PENDING) & I.mailed_for.does_not_exist() & (I.send_email == False),  # noqa: E712
    )


def follow_task(invitation_id: str, task_token: str) -> None:
    """The workflow now waits on ``task_token`` (a retried attempt of its send step): the accept resumes that
    one. Only while the invitation is open, or accepted and not settled yet."""
    update_invitation(
        invitation_id,
        [I.task_token.set(task_token)],
        I.status.is_in(*OPEN) | ((I.status == ACCEPTED) & I.due_at.exists()),
    )


def record_send(
    invitation_id: str, task_token: str, sent_at: datetime, expires_at: datetime, first_due: datetime, message_id: str
) -> None:
    """The e-mail of ``task_token``'s attempt went out: it expires at ``expires_at`` (as the e-mail says), the
    cadence starts, due at ``first_due``."""
    update_invitation(
        invitation_id,
        [
            I.mailed_for.set(sent_mark(task_token)),
            I.sent_at.set(sent_at),
            I.expires_at.set(expires_at),
            *restart_cadence(first_due),
            log("emailed", "workflow", sent_at, message_id=message_id),
        ],
    )


def mark_bounced_unsent(inv: Invitation, task_token: str, expires_at: datetime, reason: str, at: datetime) -> None:
    """The address is suppressed, so nothing was sent: ``bounced`` (the admin sees it), expiring at ``expires_at``
    (the lifetime counts from this send) and due then."""
    update_invitation(
        inv.id,
        [
            I.mailed_for.set(sent_mark(task_token)),
            I.expires_at.set(expires_at),
            I.status.set(BOUNCED),
            I.status_key.set(status_key(BOUNCED, inv.created_at, inv.id)),
            I.due_shard.set(DUE_SHARD),
            I.due_at.set(expires_at),
            log("bounced", "workflow", at, reason=reason),
        ],
        I.status == PENDING,
    )


def rotate_link(
    inv: Invitation,
    token_hash: str,
    expires_at: datetime,
    first_due: datetime,
    actor: str,
    at: datetime,
    message_id: str | None,
) -> Invitation | None:
    """A resend whose e-mail went out (``message_id``; None: an invitation we do not e-mail, whose new link
    went back to the admin): its link replaces the previous one (which stops working), the lifetime and the
    cadence restart, and a bounced invitation is pending again. None when it changed since ``inv`` was read
    (another resend, a revoke, an expiry or an accept won): then nothing is written."""
    sent_before = I.sent_at == inv.sent_at if inv.sent_at else I.sent_at.does_not_exist()
    hash_before = I.token_hash == inv.token_hash if inv.token_hash else I.token_hash.does_not_exist()
    entries: list[MapAttribute[str, Any]] = [MapAttribute(**event("resent", actor, at))]
    if message_id is not None:
        entries.append(MapAttribute(**event("emailed", actor, at, message_id=message_id)))
    return update_invitation(
        inv.id,
        [
            I.token_hash.set(token_hash),
            I.expires_at.set(expires_at),
            I.sent_at.set(at),
            I.status.set(PENDING),
            I.status_key.set(status_key(PENDING, inv.created_at, inv.id)),
            *restart_cadence(first_due),  # the reminders start again, old links end
            I.history.set(I.history.append(entries)),
        ],
        I.status.is_in(*OPEN) & sent_before & hash_before,
    )
