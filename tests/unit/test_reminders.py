"""The reminder cadence and what the scheduled job does with one due invitation (reminders.py, pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paid_invites import reminders
from paid_invites.invitations import ACCEPTED, BOUNCED, EXPIRED, REVOKED, Invitation

from ..support.builders import NOW, invitation

SENT = NOW  # the e-mail goes out at the builders' now
DEFAULT = reminders.cadence("3,7", 2, 30 * 24 * 3600)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def sent_invitation(**changes: object) -> Invitation:
    """The builders' pending invitation, its e-mail sent at SENT (no link secret: the cadence needs none)."""
    return invitation(**{"created_at": SENT, "sent_at": SENT, **changes})


def test_offsets_are_days_after_the_send_ascending() -> None:
    assert reminders.parse_offsets("3,7") == (days(3), days(7))
    assert reminders.parse_offsets(" 0.5 , 2 ") == (timedelta(hours=12), days(2))
    assert reminders.parse_offsets("") == ()


@pytest.mark.parametrize("text", ["7,3", "3,3", "0", "-1", "x", "inf"])
def test_offsets_that_make_no_cadence_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        reminders.parse_offsets(text)


def test_reminders_fall_3_and_7_days_after_the_send_and_the_expiry_30_days_after() -> None:
    expires = reminders.expires_after_send(SENT, DEFAULT)
    assert expires == SENT + days(30)
    assert reminders.reminder_times(SENT, expires, DEFAULT) == [SENT + days(3), SENT + days(7)]
    assert reminders.next_due(SENT, 0, expires, DEFAULT) == SENT + days(3)
    assert reminders.next_due(SENT, 1, expires, DEFAULT) == SENT + days(7)
    assert reminders.next_due(SENT, 2, expires, DEFAULT) == expires


def test_the_maximum_cuts_the_offsets_and_zero_means_none() -> None:
    one = reminders.cadence("1,2,4", 1, 30 * 24 * 3600)
    assert reminders.reminder_times(SENT, SENT + days(30), one) == [SENT + days(1)]
    none = reminders.cadence("3,7", 0, 30 * 24 * 3600)
    assert reminders.next_due(SENT, 0, SENT + days(30), none) == SENT + days(30)


def test_no_reminder_falls_on_or_after_the_expiry() -> None:
    short = reminders.cadence("3,7", 2, 7 * 24 * 3600)
    assert reminders.reminder_times(SENT, SENT + days(7), short) == [SENT + days(3)]


@pytest.mark.parametrize(
    ("now", "sent_so_far", "expected"),
    [
        (days(2.99), 0, None),  # not yet
        (days(3), 0, 1),
        (days(5), 1, None),  # the first went out; the second is not due
        (days(7), 1, 2),
        (days(8), 0, 2),  # the job fell behind: only the latest due one, never a burst
        (days(20), 2, None),  # the maximum was reached
        (days(30), 0, None),  # expired: expiry, not a reminder
    ],
)
def test_the_reminder_due_now(now: timedelta, sent_so_far: int, expected: int | None) -> None:
    assert reminders.due_reminder(SENT, sent_so_far, SENT + days(30), SENT + now, DEFAULT) == expected


@pytest.mark.parametrize(
    ("left", "shown"), [(days(27), 27), (days(26.01), 27), (timedelta(hours=3), 1), (timedelta(0), 1)]
)
def test_days_left_round_up(left: timedelta, shown: int) -> None:
    assert reminders.days_left(SENT + left, SENT) == shown


def test_decide_what_the_job_does() -> None:
    at = SENT + days(3) + timedelta(minutes=1)
    assert reminders.decide(sent_invitation(), at, DEFAULT) == reminders.Step("remind", 1, SENT + days(7))
    assert reminders.decide(sent_invitation(), SENT + days(1), DEFAULT) == reminders.Step(
        "reschedule", due_at=SENT + days(3)
    )
    assert reminders.decide(sent_invitation(), SENT + days(30), DEFAULT).kind == "expire"
    # a bounced one, or one whose reminders stopped (complaint), only waits for its expiry
    for quiet in (sent_invitation(status=BOUNCED), sent_invitation(reminders_stopped="complaint")):
        assert reminders.decide(quiet, at, DEFAULT) == reminders.Step("reschedule", due_at=SENT + days(30))
        assert reminders.decide(quiet, SENT + days(31), DEFAULT).kind == "expire"
    # one whose e-mail never went out (its workflow took it up: a task token) is not reminded, and expires
    unsent = sent_invitation(sent_at=None, task_token="task-1")
    assert reminders.decide(unsent, at, DEFAULT).kind == "reschedule"
    assert reminders.decide(unsent, SENT + days(30), DEFAULT).kind == "expire"
    # one no workflow took up (the invite could not start it) gets its workflow started, then waits to expire
    unstarted = sent_invitation(sent_at=None)
    assert reminders.decide(unstarted, at, DEFAULT) == reminders.Step("start", due_at=unstarted.expires_at)
    assert reminders.decide(unstarted, SENT + days(30), DEFAULT).kind == "expire"
    # accepted: the reconciler resumes or settles it; expired and not yet told: tell the inviter
    assert reminders.decide(sent_invitation(status=ACCEPTED), at, DEFAULT).kind == "reconcile"
    assert reminders.decide(sent_invitation(status=EXPIRED), at, DEFAULT).kind == "notify_expired"
    told = sent_invitation(status=EXPIRED, expiry_notified_at=at)
    assert reminders.decide(told, at, DEFAULT).kind == "drop"
    assert reminders.decide(sent_invitation(status=REVOKED), at, DEFAULT).kind == "drop"
