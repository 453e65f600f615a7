"""Reminders: the cadence after the last send, the maximum, their links, and never twice (concurrent runs,
a run retried after a crash); the job reads what is due, not the table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import botocore.client
import pytest

from local.stack import Stack
from paid_invites import formatting, i18n, mail
from paid_invites.invitations import Invitation, new_id
from paid_invites.store import mapping
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from paid_invites.store import schedule as store

from ..support import DAY, FLEUR, JAN, Api, builders, current, events, finished, invite_sent, link_token, mails


def test_reminders_go_out_3_and_7_days_after_the_send_and_then_stop(api: Api, stack: Stack) -> None:
    # Given Jan's invitation went out (he reads Dutch)
    inv = current(invite_sent(api, JAN))
    # When the hourly job runs through the following weeks
    seen: dict[float, list[str]] = {}
    for day in (1, 2.9, 3, 3.5, 5, 6.9, 7, 8, 14, 21, 29):
        stack.clock.set(inv.sent_at + timedelta(days=day) + timedelta(minutes=1))  # type: ignore[operator]
        seen[day] = api.run_job()["reminded"]
    # Then exactly two reminders went out: on day 3 and on day 7, none before, between or after
    assert {day: ids for day, ids in seen.items() if ids} == {3: [inv.id], 7: [inv.id]}
    reminders = mails(JAN, "reminder")
    assert len(reminders) == 2
    # each one its own e-mail, in Dutch, saying how many days are left; the second says it is the last
    first, second = reminders
    assert first["subject"] == i18n.text("nl", "reminder_subject", inviter="Arno Admin", org="Acme B.V.")
    expires_on = formatting.date(inv.expires_at, "nl")
    assert i18n.text("nl", "reminder_days_left_other", days=27, date=expires_on) in first["text"]
    assert i18n.text("nl", "reminder_days_left_other", days=23, date=expires_on) in second["text"]
    assert i18n.text("nl", "reminder_last") not in first["text"]
    assert i18n.text("nl", "reminder_last") in second["text"] and i18n.text("nl", "reminder_last") in second["html"]
    # and the history shows them
    assert events(inv.id).count("reminded") == 2
    assert current(inv.id).reminders_sent == 2


def test_a_reminder_link_works_and_so_does_the_original_one(api: Api, stack: Stack) -> None:
    # Given Fleur (English) got her invitation and, three days later, a reminder
    inv = current(invite_sent(api, FLEUR, user_type="basic"))
    original = link_token(mails(FLEUR, "invitation")[-1])
    stack.clock.advance(3 * DAY + 60)
    assert api.run_job()["reminded"] == [inv.id]
    (reminder,) = mails(FLEUR, "reminder")
    assert reminder["subject"] == i18n.text("en", "reminder_subject", inviter="Arno Admin", org="Acme B.V.")
    assert (
        i18n.text("en", "reminder_days_left_other", days=27, date=formatting.date(inv.expires_at, "en"))
        in reminder["text"]
    )
    token = link_token(reminder)
    assert token != original
    # When she opens either link, both show the invitation; and she accepts with the reminder's
    assert api.open_link(original).status == 200
    assert api.open_link(token).status == 200
    assert api.accept(token).status == 200
    # Then she is a member, the workflow settles, and no more reminders come
    assert finished(stack, inv.id)["status"] == "SUCCEEDED"
    stack.clock.advance(5 * DAY)
    assert api.run_job()["reminded"] == []
    assert len(mails(FLEUR, "reminder")) == 1


@pytest.mark.parametrize("parameters", [{"ReminderOffsetsDays": "1,2,4", "MaxReminders": "1"}])
def test_the_cadence_and_the_maximum_are_configurable(api: Api, stack: Stack, parameters: dict[str, str]) -> None:
    # Given reminders configured for days 1, 2 and 4, at most 1
    inv = current(invite_sent(api, JAN))
    reminded = []
    # When the job runs every day for a week
    for _ in range(7):
        stack.clock.advance(DAY)
        reminded += api.run_job()["reminded"]
    # Then one reminder went out, on day 1
    assert reminded == [inv.id]
    assert len(mails(JAN, "reminder")) == 1
    assert i18n.text("nl", "reminder_last") in mails(JAN, "reminder")[0]["text"]


def test_a_job_that_fell_behind_sends_the_latest_reminder_only(api: Api, stack: Stack) -> None:
    # Given the job did not run for the first 8 days (both reminders are overdue)
    inv = current(invite_sent(api, JAN))
    stack.clock.advance(8 * DAY)
    # When it runs, and again an hour later
    first, second = api.run_job(), None
    stack.clock.advance(3600)
    second = api.run_job()
    # Then the invitee gets one reminder (the last one), not a burst of two
    assert (first["reminded"], second["reminded"]) == ([inv.id], [])
    (reminder,) = mails(JAN, "reminder")
    assert i18n.text("nl", "reminder_last") in reminder["text"]
    assert current(inv.id).reminders_sent == 2


def test_two_runs_at_once_send_one_reminder(api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a reminder is due, and two runs of the job read it at the same moment
    inv = current(invite_sent(api, JAN))
    stack.clock.advance(3 * DAY + 60)
    both_read = threading.Barrier(2, timeout=10)
    read = store.due

    def due_then_wait(now: Any, limit: int) -> Any:
        found = read(now, limit)
        both_read.wait()  # neither run acts before both have seen the invitation as due
        return found

    monkeypatch.setattr(store, "due", due_then_wait)
    reports: list[dict[str, Any]] = []
    runs = [threading.Thread(target=lambda: reports.append(api.run_job())) for _ in range(2)]
    # When both act on it
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    # Then one of them sent the reminder and the other found it claimed
    assert len(reports) == 2
    assert sorted(len(r["reminded"]) for r in reports) == [0, 1]
    assert sorted(r["counts"]["skipped"] for r in reports) == [0, 1]
    assert len(mails(JAN, "reminder")) == 1
    assert events(inv.id).count("reminded") == 1


class Crash(BaseException):
    """The Lambda dying mid-run (a timeout, out of memory): nothing after it runs, no handler catches it."""


def crashed_run(api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> Invitation:
    """Jan's invitation, its first reminder due, after a run of the job that died in ``target.name``."""
    inv = current(invite_sent(api, JAN))
    stack.clock.advance(3 * DAY + 60)

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(target, name, crash)
    with pytest.raises(Crash):
        api.run_job()
    monkeypatch.undo()
    return inv


def test_a_run_retried_after_a_crash_does_not_send_the_reminder_again(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that sent the reminder and then died before it could record it
    inv = crashed_run(api, stack, monkeypatch, store, "record_reminded")
    assert len(mails(JAN, "reminder")) == 1
    # When the run is retried (EventBridge Scheduler retries it; or the next hourly run)
    retried = api.run_job()
    # Then it sends nothing: the claim was made before the send
    assert retried["reminded"] == [] and len(mails(JAN, "reminder")) == 1
    assert current(inv.id).reminders_sent == 1


def test_a_crash_between_claim_and_send_loses_that_reminder_only(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that claimed the first reminder and died before the send (at most once, by design)
    inv = crashed_run(api, stack, monkeypatch, mail, "send")
    # When the job runs again now, and at day 7
    assert api.run_job()["reminded"] == []
    stack.clock.set(inv.sent_at + timedelta(days=7, minutes=1))  # type: ignore[operator]
    later = api.run_job()
    # Then the first reminder is lost (never sent twice), and the cadence carries on with the second
    assert later["reminded"] == [inv.id]
    assert len(mails(JAN, "reminder")) == 1
    assert events(inv.id).count("reminded") == 1


def test_a_send_that_fails_cleanly_is_retried_by_the_next_run(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SES refuses the reminder once
    inv = current(invite_sent(api, JAN))
    stack.clock.advance(3 * DAY + 60)
    original = mail.send

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("SES said no")

    monkeypatch.setattr(mail, "send", refuse)
    failed = api.run_job()
    assert failed["counts"]["errors"] == 1 and failed["reminded"] == []
    monkeypatch.setattr(mail, "send", original)
    # When the next run comes
    stack.clock.advance(3600)
    retried = api.run_job()
    # Then the reminder goes out then, once
    assert retried["reminded"] == [inv.id]
    assert len(mails(JAN, "reminder")) == 1


# ---------------------------------------------------------------- cost: what is due, not the table


class ItemsRead:
    """Counts what DynamoDB reads return to this thread, by operation, through botocore itself."""

    def __init__(self) -> None:
        self.items: dict[str, int] = {}
        self.scanned = 0
        self.requests: list[str] = []
        self.thread = threading.get_ident()

    def add(self, operation: str, response: dict[str, Any]) -> None:
        if threading.get_ident() != self.thread:
            return
        if operation in ("Query", "Scan"):
            count = len(response.get("Items", []))
            self.scanned += int(response.get("ScannedCount", count))
        elif operation == "GetItem":
            count = 1  # a miss costs a read as well
        elif operation == "BatchGetItem":
            count = sum(len(items) for items in response.get("Responses", {}).values())
        else:
            return
        self.requests.append(operation)
        self.items[operation] = self.items.get(operation, 0) + count

    @property
    def total(self) -> int:
        return sum(self.items.values())


@pytest.fixture
def items_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[ItemsRead]:
    counter = ItemsRead()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        response = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            counter.add(operation, response)
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    yield counter


def pending(number: int, due_in: timedelta, now: Any) -> Invitation:
    """A pending invitation of Globex whose e-mail went out and whose next reminder is ``due_in`` from now."""
    sent_at = now + due_in - timedelta(days=3)
    globex = {"account_id": "globex", "inviter_id": "u-gwen", "inviter_name": "Gwen Globex", "org_name": "Globex Ltd"}
    return builders.invitation(
        id=new_id(),
        email=f"person{number}@load.example",
        user_type="basic",
        created_at=sent_at,
        sent_at=sent_at,
        **globex,
    )


@pytest.mark.slow
def test_a_run_over_10000_pending_invitations_of_which_50_are_due_reads_about_50_items(
    api: Api, stack: Stack, items_read: ItemsRead
) -> None:
    # Given 10,000 pending invitations: 50 are due a reminder now, the others later
    now = stack.clock()
    table = m.InvitationModel.Meta.table_name
    client = repo._connection().client
    plans = [
        pending(n, -timedelta(minutes=1 + n) if n < 50 else timedelta(hours=1 + n % 200), now) for n in range(10_000)
    ]
    for start in range(0, len(plans), 25):
        batch = []
        for inv in plans[start : start + 25]:
            item = mapping.from_invitation(inv)
            item.due_shard, item.due_at = mapping.DUE_SHARD, inv.sent_at + timedelta(days=3)  # type: ignore[operator]
            batch.append({"PutRequest": {"Item": item.serialize()}})
        client.batch_write_item(RequestItems={table: batch})
    items_read.items.clear()
    items_read.requests.clear()
    # When the job runs once
    report = api.run_job()
    # Then it reminded the 50, and read about 50 items to do it: one index Query that reads only the due ones,
    # and one look-up of the suppression list per e-mail; never a Scan, never the other 9,950, and no invitation
    # read again from the table (the index's copy is what a reminder needs)
    assert len(report["reminded"]) == 50 and report["counts"]["seen"] == 50
    assert "Scan" not in items_read.requests
    assert items_read.requests.count("Query") == 1
    assert items_read.items["Query"] == 50 and items_read.scanned == 50
    assert items_read.items.get("GetItem", 0) == 50 and "BatchGetItem" not in items_read.items, items_read.items
    assert items_read.total <= 2 * 50 + 5, items_read.items


def test_a_resend_restarts_the_cadence_and_ends_the_reminder_links(api: Api, stack: Stack) -> None:
    # Given Jan got his invitation and, on day 3, the first reminder
    inv = current(invite_sent(api, JAN))
    stack.clock.set(inv.sent_at + timedelta(days=3, minutes=1))  # type: ignore[operator]
    assert api.run_job()["reminded"] == [inv.id]
    reminder_link = link_token(mails(JAN, "reminder")[-1])
    # When Arno resends it on day 4
    stack.clock.set(inv.sent_at + timedelta(days=4))  # type: ignore[operator]
    assert api.call("POST", f"/accounts/acme/invitations/{inv.id}/resend", caller="u-arno").status == 200
    resent = current(inv.id)
    # Then the reminder's link stops working with the old one, and the cadence starts again from the resend:
    # the first reminder 3 days after it (not the second), then the second after 7
    assert api.open_link(reminder_link).status == 404
    assert resent.reminders_sent == 0 and resent.expires_at == resent.sent_at + timedelta(days=30)  # type: ignore[operator]
    stack.clock.set(resent.sent_at + timedelta(days=3, minutes=1))  # type: ignore[operator]
    assert api.run_job()["reminded"] == [inv.id]
    assert i18n.text("nl", "reminder_last") not in mails(JAN, "reminder")[-1]["text"]
    stack.clock.set(resent.sent_at + timedelta(days=7, minutes=1))  # type: ignore[operator]
    assert api.run_job()["reminded"] == [inv.id]
    assert len(mails(JAN, "reminder")) == 3
