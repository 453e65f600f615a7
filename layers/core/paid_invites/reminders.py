"""The cadence of an open invitation: when its next reminder, or its expiry, is due. Pure: no AWS in here.

Every send (the first, and every resend) restarts the cadence: reminders at the configured offsets
after that send (default 3 and 7 days), at most ``max_reminders`` of them (default 2), and the
expiry ``lifetime`` after that send (default 30 days). A reminder that would fall on or after the
expiry is not sent. When the job falls behind (it was down for days), only the latest reminder that
is due goes out, never a burst of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .invitations import ACCEPTED, EXPIRED, OPEN, PENDING, Invitation

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Cadence:
    offsets: tuple[timedelta, ...]  # after the (last) send, ascending
    max_reminders: int
    lifetime: timedelta

    @property
    def schedule(self) -> tuple[timedelta, ...]:
        """The offsets that are used: the first ``max_reminders`` of them."""
        return self.offsets[: max(self.max_reminders, 0)]


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """``"3,7"`` -> 3 and 7 days after the send; fractions are allowed (``"0.5"`` is 12 hours)."""
    values: list[float] = []
    for part in text.split(","):
        if not part.strip():
            continue
        value = float(part)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"reminder offsets are positive numbers of days, not {part!r}")
        values.append(value)
    if values != sorted(values) or len(set(values)) != len(values):
        raise ValueError(f"reminder offsets must ascend: {text!r}")
    return tuple(timedelta(days=v) for v in values)


def cadence(offsets_days: str, max_reminders: int, lifetime_seconds: int) -> Cadence:
    return Cadence(parse_offsets(offsets_days), max_reminders, timedelta(seconds=lifetime_seconds))


def expires_after_send(sent_at: datetime, plan: Cadence) -> datetime:
    return sent_at + plan.lifetime


def reminder_times(sent_at: datetime, expires_at: datetime, plan: Cadence) -> list[datetime]:
    """When reminder 1, 2, ... fall due after this send (only those before the expiry)."""
    return [t for t in (sent_at + offset for offset in plan.schedule) if t < expires_at]


def next_due(sent_at: datetime, reminders_sent: int, expires_at: datetime, plan: Cadence) -> datetime:
    """The next moment the job has work on this invitation: its next reminder, else its expiry."""
    times = reminder_times(sent_at, expires_at, plan)
    return times[reminders_sent] if reminders_sent < len(times) else expires_at


def due_reminder(
    sent_at: datetime, reminders_sent: int, expires_at: datetime, now: datetime, plan: Cadence
) -> int | None:
    """The number (1-based) of the reminder to send now, or None.

    It is the latest one that is due: reminders the job missed (it was down) are skipped, not sent
    together.
    """
    if now >= expires_at:
        return None
    due = [n for n, t in enumerate(reminder_times(sent_at, expires_at, plan), start=1) if t <= now]
    if not due or due[-1] <= reminders_sent:
        return None
    return due[-1]


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until the expiry, rounded up (an invitation that is still open has at least 1)."""
    return max(1, math.ceil((expires_at - now) / DAY))


StepKind = Literal["expire", "remind", "reschedule", "start", "reconcile", "notify_expired", "drop"]


@dataclass(frozen=True)
class Step:
    """What the scheduled job does with one due invitation."""

    kind: StepKind
    reminder: int = 0  # for "remind": its number
    due_at: datetime | None = None  # for "remind" and "reschedule": the next due moment


def reminded(inv: Invitation) -> bool:
    """Whether reminders go to this invitation: one we e-mail, whose reminders were not stopped (an invitation
    created without e-mail gets none: its link went to the admin)."""
    return inv.send_email and not inv.reminders_stopped


def planned_due(inv: Invitation, plan: Cadence) -> datetime:
    """When an open invitation is next due, from what it holds."""
    if inv.status == PENDING and inv.sent_at is not None and reminded(inv):
        return next_due(inv.sent_at, inv.reminders_sent, inv.expires_at, plan)
    return inv.expires_at


def decide(inv: Invitation, now: datetime, plan: Cadence) -> Step:
    """The one thing to do now with an invitation the due index returned."""
    if inv.status in OPEN:
        if inv.expires_at <= now:
            return Step("expire")
        if inv.status == PENDING and inv.sent_at is None and inv.task_token is None and inv.mailed_for is None:
            # due before its expiry and never taken up by its workflow: the invite could not start it
            return Step("start", due_at=inv.expires_at)
        if inv.status == PENDING and inv.sent_at is not None and reminded(inv):
            number = due_reminder(inv.sent_at, inv.reminders_sent, inv.expires_at, now, plan)
            if number is not None:
                return Step("remind", number, next_due(inv.sent_at, number, inv.expires_at, plan))
        return Step("reschedule", due_at=planned_due(inv, plan))
    if inv.status == ACCEPTED:
        return Step("reconcile")
    if inv.status == EXPIRED and inv.expiry_notified_at is None:
        return Step("notify_expired")
    return Step("drop")
