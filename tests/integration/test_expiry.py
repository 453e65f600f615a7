"""Expiry: 30 days after the last send the scheduled job expires the invitation, ends its workflow (which
tells the inviter, once), the license hold is released and the link says so; re-inviting works."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from local import bridge
from local.stack import Stack
from paid_invites import i18n, mail
from paid_invites.store import repository as repo
from paid_invites.usecases import expiry

from ..support import (
    ADMIN,
    DAY,
    JAN,
    Api,
    current,
    events,
    finished,
    invite_sent,
    link_token,
    mails,
    states_entered,
    wait_for,
)

ARNO = "arno@acme.example"  # the inviter (Dutch)
LICENSES_IDLE = {"total": 10, "used": 2, "held_by_pending": 0, "free": 8}


def notices(address: str = ARNO) -> list[dict[str, Any]]:
    return mails(address, "expired_inviter")


def test_the_job_expires_an_invitation_30_days_after_its_last_send(api: Api, stack: Stack) -> None:
    # Given Jan's invitation went out, holding one of Acme's licenses
    inv = current(invite_sent(api, JAN))
    token = link_token(mails(JAN, "invitation")[-1])
    assert inv.expires_at == inv.sent_at + timedelta(days=30)  # type: ignore[operator]
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 1
    # When the job runs just before and just after the 30 days are up
    stack.clock.set(inv.expires_at - timedelta(minutes=1))
    before = api.run_job()
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    after = api.run_job()
    # Then it expired it on the second run only
    assert before["expired"] == [] and after["expired"] == [inv.id]
    assert current(inv.id).status == "expired"
    assert "expired" in events(inv.id)
    # and ended its workflow with the failure the state machine catches: its Expire step ran
    assert finished(stack, inv.id)["status"] == "SUCCEEDED"
    assert states_entered(stack, inv.id) == ["SendInvitation", "Expire", "Expired"]
    # and the license hold is released
    assert api.summary("u-olga", "acme").json["licenses"] == LICENSES_IDLE
    # and the inviter is told, in his language, once
    (notice,) = wait_for(lambda: notices() or None, what="the inviter's notice")
    assert notice["subject"] == i18n.text("nl", "expired_inviter_subject", email=JAN)
    assert i18n.text("nl", "expired_inviter_license") in notice["text"]
    assert "inviter_notified" in events(inv.id)
    # and the link shows a clear page: expired, ask the inviter to resend it
    page = api.open_link(token, lang="en")
    assert page.status == 410
    assert i18n.text("en", "refused_expired", inviter="Arno Admin") in page.body
    assert api.accept(token, as_json=True).json["error"]["code"] == "expired"
    # and later runs change nothing and tell nobody again
    stack.clock.advance(DAY)
    assert api.run_job()["counts"]["seen"] == 0
    assert expiry.expire(inv.id)["inviter_notified"] is False  # the workflow step, run again by a retry
    assert len(notices()) == 1


@pytest.mark.parametrize("parameters", [{"InvitationLifetimeSeconds": "7200"}])
def test_the_lifetime_is_configurable(api: Api, stack: Stack, parameters: dict[str, str]) -> None:
    # Given invitations live two hours here (no reminder fits in that)
    inv = current(invite_sent(api, JAN))
    assert inv.expires_at == inv.sent_at + timedelta(hours=2)  # type: ignore[operator]
    # When the job runs after one hour and after two
    stack.clock.advance(3600)
    first = api.run_job()
    stack.clock.advance(3601)
    second = api.run_job()
    # Then nothing happens at first; then it expires, without having sent a reminder
    assert (first["expired"], first["reminded"]) == ([], [])
    assert second["expired"] == [inv.id]
    assert mails(JAN, "reminder") == []


@pytest.mark.parametrize("parameters", [{"InvitationLifetimeSeconds": "3"}])
def test_the_state_machine_timeout_stays_the_backstop_and_tells_the_inviter_once(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    # Given the job does not run, and the invitation's 3 seconds (here) run out on the real timer
    inv = current(invite_sent(api, JAN))
    # When the workflow's heartbeat timeout fires
    assert finished(stack, inv.id, timeout=20)["status"] == "SUCCEEDED"
    # Then its Expire step expired it and told the inviter
    assert states_entered(stack, inv.id) == ["SendInvitation", "Expire", "Expired"]
    assert current(inv.id).status == "expired"
    assert len(wait_for(lambda: notices() or None, what="the inviter's notice")) == 1
    # and the job, running afterwards, has nothing left to do
    stack.clock.advance(60)
    assert api.run_job()["counts"]["seen"] == 0
    assert len(notices()) == 1


def test_re_inviting_after_expiry_works(api: Api, stack: Stack) -> None:
    # Given Jan's invitation expired by the job
    inv = current(invite_sent(api, JAN))
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    assert api.run_job()["expired"] == [inv.id]
    # When Arno invites Jan again
    again = current(invite_sent(api, JAN))
    # Then a new invitation is created and e-mailed, with its own workflow and a working link
    assert again.id != inv.id and again.status == "pending"
    token = link_token(mails(JAN, "invitation")[-1])
    assert api.open_link(token).status == 200
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 1
    assert current(inv.id).status == "expired"


def test_re_inviting_when_the_time_is_up_but_the_job_has_not_run_yet_works(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is past its 30 days, and the hourly job has not come by yet
    inv = current(invite_sent(api, JAN))
    stack.clock.set(inv.expires_at + timedelta(minutes=5))
    assert current(inv.id).status == "pending"
    # When Arno invites Jan again
    reply = api.invite(ADMIN, "acme", JAN)
    # Then that is no conflict with the stale record: the old one is expired now, a new one created
    (result,) = reply.json["results"]
    assert result["status"] == "created", result
    assert current(inv.id).status == "expired"
    assert finished(stack, inv.id)["status"] == "SUCCEEDED"  # its workflow ended (Expire step)
    assert len(wait_for(lambda: notices() or None, what="the inviter's notice")) == 1
    summary = api.summary("u-olga", "acme").json["licenses"]
    assert summary["held_by_pending"] == 1 and summary["free"] == 7  # the old hold released, the new one taken


def test_re_inviting_after_a_revoke_works(api: Api, stack: Stack) -> None:
    # Given Arno revoked Jan's invitation
    inv = current(invite_sent(api, JAN))
    assert api.call("DELETE", f"/accounts/acme/invitations/{inv.id}", caller=ADMIN).status == 200
    # When he invites Jan again
    again = current(invite_sent(api, JAN))
    # Then a new invitation goes out
    assert again.id != inv.id
    assert len(mails(JAN, "invitation")) == 2


def test_an_invitation_whose_e_mail_never_went_out_still_expires(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the invitation e-mail failed for good (the workflow recorded the failure and ended)
    original = mail.send

    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise ValueError("the message was rejected")

    monkeypatch.setattr(mail, "send", broken)
    reply = api.invite(ADMIN, "acme", JAN)
    (result,) = reply.json["results"]
    invitation_id = result["invitation_id"]
    assert finished(stack, invitation_id)["status"] == "FAILED"
    monkeypatch.setattr(mail, "send", original)
    inv = current(invitation_id)
    assert inv.status == "pending" and inv.sent_at is None
    # When its lifetime is up and the job runs
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    report = api.run_job()
    # Then it is expired, its license released, and the inviter told (no workflow is left to do it)
    assert report["expired"] == [invitation_id]
    assert api.summary("u-olga", "acme").json["licenses"] == LICENSES_IDLE
    assert len(notices()) == 1
    assert repo.get_invitation(invitation_id) is not None


def test_an_inviter_notice_that_fails_is_sent_later_by_the_job_once(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the job expires an invitation and SES refuses the notice to the inviter the first time
    inv = current(invite_sent(api, JAN))
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    original = mail.send
    refused: list[str] = []

    def refuse_notices(message: Any, tags: Any = None) -> str:
        if message.kind == "expired_inviter":
            refused.append(message.to)
            raise RuntimeError("SES said no")
        return original(message, tags=tags)

    monkeypatch.setattr(mail, "send", refuse_notices)
    # (the job wakes the workflow and then claims the notice itself; the workflow's Expire step is held until
    # the job is done, so that it is the job's claim and send that fail, not the step's)
    job_done = threading.Event()
    invoke = bridge.invoke

    def expire_after_the_job(fn: Any, event: dict[str, Any]) -> Any:
        if event.get("action") == "expire":
            job_done.wait(timeout=30)
        return invoke(fn, event)

    monkeypatch.setattr(bridge, "invoke", expire_after_the_job)
    first = api.run_job()
    job_done.set()
    assert first["expired"] == [inv.id] and first["counts"]["errors"] == 1
    finished(stack, inv.id)  # the workflow's Expire step found the notice claimed, or failed on it too
    assert set(refused) == {ARNO} and notices() == []
    monkeypatch.setattr(mail, "send", original)
    # When SES is fine again, and the job runs an hour later, and once more after that
    stack.clock.advance(3601)
    later = api.run_job()
    stack.clock.advance(3601)
    api.run_job()
    # Then the inviter got the notice then, exactly once
    assert later["counts"]["notified"] == 1
    (notice,) = notices()
    assert JAN in notice["text"]  # the notice is about Jan's invitation


def test_an_invitation_resent_between_the_jobs_query_and_its_expiry_stays_pending(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from paid_invites.store import schedule

    # Given an invitation whose time is up, and a run of the job held right after its query read it as due
    inv = current(invite_sent(api, JAN))
    stack.clock.set(inv.expires_at + timedelta(minutes=1))
    queried, release = threading.Event(), threading.Event()
    query = schedule.due

    def held(now: Any, limit: int) -> Any:
        found = query(now, limit)
        queried.set()
        release.wait(30)
        return found

    monkeypatch.setattr(schedule, "due", held)
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(api.run_job)
        assert queried.wait(20), "the job did not query"
        # When the admin resends it meanwhile, and the job goes on
        resent = api.resend(ADMIN, "acme", inv.id)
        release.set()
        report = job.result(timeout=60)
    # Then the job leaves it alone: pending with its new lifetime, the new link works, no notice to the inviter
    assert resent.status == 200, resent.body
    after = current(inv.id)
    assert report["expired"] == [] and report["counts"]["skipped"] == 1
    assert after.status == "pending" and after.expires_at > stack.clock() + timedelta(days=29)
    assert api.open_link(link_token(mails(JAN, "invitation")[-1])).status == 200
    assert notices() == []
    assert api.summary(ADMIN, "acme").json["licenses"]["held_by_pending"] == 1
