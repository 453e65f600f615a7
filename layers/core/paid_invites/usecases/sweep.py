"""The scheduled sweep: reminders, expiry, and the reconcile of acceptances the workflow has not settled.

Each run reads only what the sparse ``by_due`` index says is due now and does one thing per invitation
(``reminders.decide``): send the next reminder, expire it, move its due moment, start the workflow the
invite could not start, notify the inviter of an expiry, or reconcile an acceptance. The index copies
what a reminder needs; the other steps first read the invitation whole (``schedule.read_due``).

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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import clock, formatting, mail, reminders
from ..invitations import ACCEPTED, Invitation, message_lines, new_token
from ..store import repository as repo
from ..store import schedule
from .delivery import accept_url, configured_cadence, notify_inviter, send_mail

# The rarer steps' modules (the workflow's client, expiry, settling, the acceptance's hand-over) are imported
# by the step that needs them: a run that only sends reminders, the common one, does not load them.

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """What one run of the sweep did."""

    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    seen: int = 0
    resumed: int = 0
    started: int = 0  # workflows the invite could not start
    settled: int = 0  # accepted, and settled by the sweep: the workflow ended without settling it
    rescheduled: int = 0
    notified: int = 0
    suppressed: int = 0
    skipped: int = 0  # another run (or a change meanwhile) got there first
    deferred: int = 0  # left for the next run: this one ran out of time
    errors: int = 0
    unanswered: int = 0  # billing requests without an answer after SettlementAnswerSeconds (published again)

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "reminded": len(self.reminded),
            "expired": len(self.expired),
            "resumed": self.resumed,
            "started": self.started,
            "settled": self.settled,
            "rescheduled": self.rescheduled,
            "notified": self.notified,
            "suppressed": self.suppressed,
            "skipped": self.skipped,
            "deferred": self.deferred,
            "errors": self.errors,
            "unanswered": self.unanswered,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"reminded": self.reminded, "expired": self.expired, "counts": self.counts()}


def run_due(limit: int = 500, deadline: float | None = None) -> RunReport:
    """One run: everything due now, once. ``deadline`` (``time.monotonic()``) leaves the rest for the next
    run rather than time out."""
    now = clock.now()
    cadence = configured_cadence()
    report = RunReport()
    for entry, read_due in schedule.due(now, limit):
        if deadline is not None and time.monotonic() > deadline:
            report.deferred += 1
            continue
        report.seen += 1
        inv: Invitation | None = entry
        step = reminders.decide(entry, now, cadence) if schedule.cadence_known(entry) else None
        try:
            if step is None or step.kind not in ("remind", "reschedule"):
                # the index holds part of the invitation: the rarer steps read it whole
                inv, step = schedule.read_due(entry.id, read_due), None
        except Exception:
            log.exception("reading due invitation %s failed", entry.id)
            report.errors += 1
            continue
        if inv is None:  # changed since the query (moved, settled, gone): the next run sees it as it is
            report.skipped += 1
            continue
        if inv.status == ACCEPTED and inv.settled_at is not None:  # settled: due for its billing answers
            try:
                from .settling import report_unanswered

                report.unanswered += report_unanswered(inv, read_due, now)
            except Exception:
                log.exception("checking the billing requests of invitation %s failed", inv.id)
                report.errors += 1
            continue
        step = step or reminders.decide(inv, now, cadence)
        try:
            if step.kind == "expire":
                from .expiry import close_expired, end_workflow, notify_expired_once

                if close_expired(inv, now):
                    report.expired.append(inv.id)
                    end_workflow(inv, now)
                    report.notified += notify_expired_once(inv.id, now)
                else:
                    report.skipped += 1
            elif step.kind == "remind":
                send_reminder(inv, step, now, cadence, report)
            elif step.kind == "start":
                assert step.due_at is not None
                from .. import workflow

                workflow.start(inv.id)  # named after the invitation: a start that did happen is not repeated
                schedule.reschedule(inv.id, read_due, step.due_at)
                report.started += 1
            elif step.kind == "reschedule":
                assert step.due_at is not None
                if step.due_at != read_due and schedule.reschedule(inv.id, read_due, step.due_at):
                    report.rescheduled += 1
            elif step.kind == "reconcile":
                outcome = reconcile(inv)
                report.resumed += outcome == "resumed"
                report.settled += outcome == "settled"
            elif step.kind == "notify_expired":
                from .expiry import notify_expired_once

                report.notified += notify_expired_once(inv.id, now)
            else:
                schedule.drop_due(inv.id)
        except Exception:  # one invitation's trouble must not stop the others; it stays due
            log.exception("scheduled work on invitation %s failed", inv.id)
            report.errors += 1
    return report


def send_reminder(
    inv: Invitation, step: reminders.Step, now: datetime, cadence: reminders.Cadence, report: RunReport
) -> None:
    """Claim reminder ``step.reminder``, then send it with a fresh link (the earlier links keep working)."""
    assert inv.sent_at is not None and step.due_at is not None
    token, token_hash = new_token(inv.id)
    if not schedule.claim_reminder(inv, step.reminder, token_hash, step.due_at, now):
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
        expires_on=formatting.date(inv.expires_at, inv.language),
        accept_url=accept_url(token),
        last=step.reminder >= total,
        message_lines=message_lines(inv),
    )
    try:
        message_id = send_mail(message, tags={"invitation_id": inv.id})
    except mail.MailSuppressed:
        schedule.stop_reminders(inv, "address_suppressed", now)
        report.suppressed += 1
        return
    except Exception:
        schedule.release_reminder(inv, step.reminder, now)
        raise
    schedule.record_reminded(inv.id, step.reminder, message_id, now)
    report.reminded.append(inv.id)


def reconcile(inv: Invitation) -> str:
    """An accepted invitation still unsettled after the grace period (as the sweep's query read it):
    ``"resumed"``, ``"settled"`` or ``"left"`` (to the workflow).

    Its workflow still waiting for the acceptance (the SendTaskSuccess after the accept transaction was
    lost) is resumed. A workflow that was resumed and still runs is settling it (its Settle step may be
    retrying): left to it. A workflow that ended without settling it (its Settle step failed for good,
    or it was stopped) can no longer do it: the sweep settles the invitation here, exactly once as the
    workflow would have (ledger once, stable event ids), and tells the inviter, as its NotifyInviter step
    would have.
    """
    from .. import workflow
    from ..acceptance import Acceptance
    from .accepting import hand_over
    from .settling import settle

    if hand_over(inv):
        return "resumed"
    if workflow.running(inv.id):
        return "left"
    current = repo.get_invitation(inv.id)  # the workflow may have settled it and ended since the sweep's query
    if current is None or current.status != ACCEPTED or any(e.get("event") == "settled" for e in current.history):
        return "left"
    settle(Acceptance.of(current), actor="scheduler")
    try:
        notify_inviter(inv.id, "accepted")
    except Exception:  # the courtesy e-mail only: settled is settled (the workflow's catch does the same)
        log.exception("settled invitation %s, but could not tell its inviter", inv.id)
    return "settled"
