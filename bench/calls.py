"""AWS requests per operation (botocore event hooks) and state transitions per invitation.

One story on the bench stack, through the real handlers and the real state machine: invite one paid
user, invite 100 in one request, the e-mail task of each, open the link (GET) and accept (POST) with a
refund, a credit and nothing to settle, settle and tell the inviter, expire one by the scheduled job, the
invitations table's stream records handed to LifecycleEventsFunction (as its trigger batches them); and
(:func:`reminders`, after the cold starts, so that their scheduled job does not read the bench's 10,000
invitations through moto's index scan) a reminder run over 10,000 pending invitations of which 50 are due.
Each row counts the requests of the invocations that served that operation, nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from local.stack import OUTBOX
from paid_invites import aws
from paid_invites.invitations import PENDING, Invitation
from tests.support import link_token, mail_to, wait_for
from tests.support.client import quote_of

from . import counting
from .stack import ADMIN, ORG, PAID, Bench, Invocation, finished, free, history, invitation, paid, save

PENDING_TOTAL, DUE = 10_000, 50


@dataclass
class Row:
    name: str
    invocations: list[Invocation]
    calls: list[counting.Call]
    per: int = 1  # the counts are per this many (e.g. per due invitation)
    note: str = ""

    @property
    def summary(self) -> counting.Summary:
        return counting.summarise(self.calls)

    def per_one(self, value: float) -> float:
        return value / self.per


@dataclass
class Transitions:
    name: str
    states: list[str]
    retries: int

    @property
    def billed(self) -> int:
        return len(self.states) + self.retries


@dataclass
class Story:
    rows: dict[str, Row] = field(default_factory=dict)
    transitions: dict[str, Transitions] = field(default_factory=dict)
    replay_invite: list[counting.Call] = field(default_factory=list)  # for the throughput floor
    replay_mails: list[list[counting.Call]] = field(default_factory=list)
    replay_emails: list[str] = field(default_factory=list)
    reminder_items_read: int = 0
    reminder_lookups_missed: int = 0


def _calls_of(invocations: list[Invocation]) -> list[counting.Call]:
    labels = {i.label for i in invocations}
    with counting._lock:
        return [c for c in counting.RECORDER.calls if c.label in labels]


def _row(name: str, invocations: list[Invocation], per: int = 1, note: str = "") -> Row:
    assert invocations, f"nothing was invoked for {name}"
    return Row(name, invocations, _calls_of(invocations), per, note)


def invite(bench: Bench, *emails: str) -> dict[str, str]:
    """Invite these addresses to the bench organization in one request: their invitations' ids."""
    reply = bench.client.invite(ADMIN, ORG, *emails)
    assert reply.status == 200, reply.body
    ids = {r["email"]: r.get("invitation_id") for r in reply.json["results"]}
    assert all(ids.values()), reply.body
    return ids


def token(address: str, timeout: float = 60.0) -> str:
    """The accept token in the latest e-mail to ``address``, once there is one."""
    return link_token(mail_to(address, timeout=timeout)[-1])


def _accept(bench: Bench, token: str, settlement: str | None, **page: str) -> None:
    """Accept (``page``: the hidden fields of the page opened before, its ``quote``; else the client opens it)."""
    reply = bench.client.accept(token, settlement, **page)
    assert reply.status == 200, reply.body[:500]


def _transitions(bench: Bench, name: str, invitation_id: str) -> Transitions:
    import json

    definition = json.loads(bench.stack.template.state_machine()[1])
    tasks = {k for k, v in definition["States"].items() if v["Type"] == "Task"}
    events = history(bench, invitation_id)
    states = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    attempts = sum(1 for e in events if e["type"] in ("LambdaFunctionScheduled", "TaskScheduled"))
    retries = max(0, attempts - sum(1 for s in states if s in tasks))
    return Transitions(name, states, retries)


def _quiet(bench: Bench, seconds: float = 0.3) -> None:
    """Until no invocation started or ended for a moment (the workflow's tasks run in moto's threads)."""
    last = (-1, 0.0)
    while True:
        with bench.lock:
            now = (len(bench.invocations), max((i.ended for i in bench.invocations), default=0.0))
        if now == last:
            return
        last = now
        time.sleep(seconds)


def _drain(bench: Bench) -> list[Invocation]:
    """Hand the table streams' records written so far to their functions, as Lambda's stream triggers do
    (``local/streams.py``: the template's batch size and filter): the LifecycleEventsFunction invocations."""
    mark = bench.mark()
    bench.stack.drain_streams()
    return bench.since(mark, "LifecycleEventsFunction")


def run(bench: Bench) -> Story:
    story = Story()
    # One life first, not counted: every handler of the measured one then runs warm, as in a container that
    # has served an invocation before (lazy imports, first validators and renders are a cold start's work)
    primer = paid(PAID - 1)
    primer_id = invite(bench, primer)[primer]
    _accept(bench, token(primer), "refund", quote=quote_of(bench.client.open_link(token(primer))))
    assert finished(bench, primer_id) == "SUCCEEDED"
    _quiet(bench)
    _drain(bench)  # its records, and the bench data's if any
    # invite one user: a paid individual, so their own account is read too
    mark = bench.mark()
    single = invite(bench, paid(0))[paid(0)]
    story.rows["invite_1"] = _row("invite 1 user", bench.since(mark, "InviteFunction"))
    token_single = token(paid(0))
    _quiet(bench)
    story.rows["send_email_1"] = _row(
        "send-email (invitation), alone", bench.since(mark, "InvitationTasksFunction", "send_invitation")
    )
    life = _drain(bench)  # its records so far: created, e-mailed

    # invite 100 in one request: 50 paid and 50 free individuals
    batch = [paid(n) for n in range(1, 51)] + [free(n) for n in range(50)]
    mark = bench.mark()
    ids = invite(bench, *batch)
    story.rows["invite_100"] = _row("invite 100 users, one request", bench.since(mark, "InviteFunction"))
    wait_for(lambda: all(OUTBOX.to(e) for e in batch), 120, "the 100 invitation e-mails")
    _quiet(bench)
    mails = bench.since(mark, "InvitationTasksFunction", "send_invitation")
    story.rows["send_email"] = _row("send-email (invitation), per e-mail", mails, per=len(mails))
    story.rows["lifecycle_100"] = _row(
        "lifecycle events (stream) of 100 invited and e-mailed, per invitation", _drain(bench), per=len(batch)
    )

    # what the throughput floor replays: a request of 100 new addresses (as the throughput run sends), its e-mails
    story.replay_emails = [f"new-{n}@replay.bench.example" for n in range(100)]
    mark = bench.mark()
    invite(bench, *story.replay_emails)
    wait_for(lambda: all(OUTBOX.to(e) for e in story.replay_emails), 120, "the replayed request's e-mails")
    _quiet(bench)
    story.replay_invite = _calls_of(bench.since(mark, "InviteFunction"))
    story.replay_mails = [_calls_of([i]) for i in bench.since(mark, "InvitationTasksFunction", "send_invitation")]
    _drain(bench)

    # open the link, accept with a refund; settle; tell the inviter
    mark = bench.mark()
    page = bench.client.open_link(token_single)
    assert page.status == 200, page.body[:300]
    story.rows["accept_get"] = _row("accept: GET page", bench.since(mark, "AcceptFunction"))
    mark = bench.mark()
    _accept(bench, token_single, "refund", quote=quote_of(page))  # the POST alone, with the page's quote
    story.rows["accept_post"] = _row("accept: POST (refund)", bench.since(mark, "AcceptFunction"))
    assert finished(bench, single) == "SUCCEEDED"
    _quiet(bench)
    story.rows["settle_refund"] = _row("settle (refund)", bench.since(mark, "SettleProrationFunction"))
    notices = bench.since(mark, "InvitationTasksFunction", "notify_inviter")
    if notices:  # a step of its own (the settle step sends it otherwise: counted in its row)
        story.rows["notify"] = _row("send-email (inviter's notice)", notices, note="no target")
    story.transitions["settled"] = _transitions(bench, "accepted, with settlement", single)
    life += _drain(bench)  # and its records from the accept on
    story.rows["lifecycle"] = _row(
        "lifecycle events (stream), one invitation's life", life, note="records: " + str(sum(i.records for i in life))
    )

    # accept with a credit transfer; and one with nothing to settle
    mark = bench.mark()
    _accept(bench, token(paid(1)), "credit")
    assert finished(bench, ids[paid(1)]) == "SUCCEEDED"
    _quiet(bench)
    story.rows["settle_credit"] = _row("settle (credit)", bench.since(mark, "SettleProrationFunction"))
    mark = bench.mark()
    _accept(bench, token(free(0)), None)
    assert finished(bench, ids[free(0)]) == "SUCCEEDED"
    _quiet(bench)
    story.rows["settle_none"] = _row("settle (nothing to settle)", bench.since(mark, "SettleProrationFunction"))
    story.transitions["free"] = _transitions(bench, "accepted, nothing to settle", ids[free(0)])

    # expired: the scheduled job, 31 days on, expires what is still open
    bench.stack.clock.advance(31 * 86400)
    try:
        mark = bench.mark()
        assert not bench.run_job()["counts"]["deferred"]
        assert finished(bench, ids[paid(2)], timeout=180) == "SUCCEEDED"
        wait_for(lambda: _running(bench) == 0, 180, "the expired invitations' workflows to end")
        _quiet(bench)
    finally:
        bench.stack.clock.offset = timedelta(0)
    story.transitions["expired"] = _transitions(bench, "expired (by the scheduled job)", ids[paid(2)])
    story.rows["expire"] = _row(
        "expire (scheduled job + Expire step), per invitation",
        bench.since(mark, "SweepFunction") + bench.since(mark, "InvitationTasksFunction", "expire"),
        per=len(bench.since(mark, "InvitationTasksFunction", "expire")),
        note="no target",
    )
    return story


def _running(bench: Bench) -> int:
    sfn = aws.client("stepfunctions")
    with counting.label("bench"):
        page = sfn.list_executions(stateMachineArn=bench.stack.state_machine_arn, statusFilter="RUNNING")
    return len(page["executions"])


def _pending(n: int, now: datetime) -> Invitation:
    """A pending invitation whose e-mail went out; the first 50 are due a reminder now, the rest later."""
    due_in = -timedelta(minutes=1 + n) if n < DUE else timedelta(hours=1 + n % 200)
    sent_at = (now + due_in - timedelta(days=3)).replace(microsecond=0)
    return invitation(f"person{n}@load.bench.example", PENDING, sent_at, user_type="basic", sent_at=sent_at)


def _first_reminder(inv: Invitation) -> datetime:
    assert inv.sent_at is not None
    return inv.sent_at + timedelta(days=3)


def reminders(bench: Bench, story: Story) -> None:
    """10,000 pending invitations written straight into the table (not through invites); 50 are due."""
    now = datetime.now(UTC)
    save([_pending(n, now) for n in range(PENDING_TOTAL)], due_at=_first_reminder)
    mark = bench.mark()
    report = bench.run_job()
    _quiet(bench)
    assert len(report["reminded"]) == DUE, report["counts"]
    row = _row(
        f"reminder run ({PENDING_TOTAL:,} pending, {DUE} due), per due invitation",
        bench.since(mark, "SweepFunction"),
        per=DUE,
    )
    story.rows["remind"] = row
    story.reminder_items_read = row.summary.items_read
    story.reminder_lookups_missed = sum(
        1 for c in row.calls if c.operation in ("GetItem", "BatchGetItem") and c.items_read == 0
    )
