"""Races: real concurrent HTTP requests against the local stack's front, released together by a barrier.

Each test records what it measured (how often the thing that must happen once happened) before it
asserts, and ends with every invariant checked over the tables.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from local.stack import OUTBOX, Stack
from paid_invites.store import repository as repo
from tests.support.ledger import ledger_of_invitation

from ..support import (
    Api,
    current,
    finished,
    invite_sent,
    invite_with_token,
    link_token,
    recorded,
    states_entered,
    token_of,
)
from ..support.faults import together
from .conftest import Events
from .invariants import deliveries
from .plugin import Recorder

pytestmark = pytest.mark.reliability(kind="race")

JAN = "jan@devries.example"


def new_address(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


def accepted_entries(invitation_id: str) -> Counter[str]:
    return Counter(e.kind for e in ledger_of_invitation(invitation_id))


def test_twenty_simultaneous_posts_of_one_link_accept_once(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given Jan's invitation (he pays for his own plan, half a year left) is in his mailbox
    invitation_id, token = invite_with_token(front, JAN)
    # When the accept form is posted 20 times at the same instant (double clicks, a retrying proxy, tabs)
    answers = together(*[lambda: front.accept(token, "refund", lang="en")] * 20)
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    found = events.all()
    ledger = accepted_entries(invitation_id)
    accepted = [e["event"] for e in current(invitation_id).history].count("accepted")
    refunds = deliveries(found, "ProrationRefundRequested", invitation_id)
    reliability.race("20 POSTs of one link", threads=20, effects=accepted)
    reliability.race("20 POSTs: settlement", threads=0, effects=ledger["refund_requested"])
    reliability.race("20 POSTs: refund event", threads=0, effects=refunds)
    # Then exactly one acceptance, one settlement (one ledger entry of each kind), one refund event
    assert accepted == 1
    assert ledger == Counter({"subscription_cancelled": 1, "refund_requested": 1})
    assert refunds == 1
    assert deliveries(found, "InvitationAccepted", invitation_id) == 1
    assert states_entered(stack, invitation_id) == ["SendInvitation", "Settle"]
    # and every one of the 20 saw the result page (or "already accepted"), never an error page
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409}, statuses
    pages = {a.body for a in answers if a.status == 200}
    assert len(pages) == 1, "every 200 is the same result page"
    assert all("already" in a.body.lower() for a in answers if a.status == 409)
    assert invariants().clean


def ten_invites_at_once(
    front: Api, caller: str, account: str, invitee: dict[str, str], reliability: Recorder, race: str, expected: int
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Ten new people invited into ``account`` in ten simultaneous requests of one each (``invitee``: the other
    fields): every request answered 200; the results created, and the rejections counted by reason."""
    people = [new_address("racer") for _ in range(10)]
    answers = together(*[lambda p=p: front.invite(caller, account, {"email": p, **invitee}) for p in people])
    assert [a.status for a in answers] == [200] * 10
    results = [a.json["results"][0] for a in answers]
    created = [r for r in results if r["status"] == "created"]
    reliability.race(race, threads=10, effects=len(created), expected=expected)
    return created, Counter(r.get("reason") for r in results if r["status"] == "rejected")


def test_ten_invitees_racing_for_three_licenses(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given Tight Budget has 4 licenses, its owner uses one: 3 are free
    # When its owner invites 10 licensed users in 10 simultaneous requests
    created, refused = ten_invites_at_once(front, "u-tara", "tight", {}, reliability, "10 invites for 3 licenses", 3)
    # Then 3 are created and 7 are refused for want of a license
    assert len(created) == 3
    assert refused == {"no_license_available": 7}
    # When the three accept at the same instant
    tokens = [token_of(r["email"]) for r in created]
    accepts = together(*[lambda t=t: front.accept(t, as_json=True) for t in tokens])
    # Then all three are licensed members; the account uses its 4 licenses, not one more
    assert [a.status for a in accepts] == [200, 200, 200]
    summary = front.json_call("GET", "/accounts/tight", caller="u-tara").json
    assert summary["licenses"] == {"total": 4, "used": 4, "held_by_pending": 0, "free": 0}
    assert invariants().clean


@pytest.mark.parametrize("parameters", [{"MaxInvitationsPerDay": "3"}])
def test_ten_invites_racing_for_the_days_last_three(
    front: Api, invariants: Any, reliability: Recorder, parameters: dict[str, str]
) -> None:
    # Given an organization that may create 3 more invitations today
    # When its admin invites 10 people in 10 simultaneous requests (each read the day's count before writing)
    basic = {"user_type": "basic"}
    created, refused = ten_invites_at_once(
        front, "u-arno", "acme", basic, reliability, "10 invites for the day's last 3", 3
    )
    # Then 3 are created and 7 are refused for the day, the count on the account being exact
    assert len(created) == 3
    assert refused == {"daily_limit_reached": 7}
    assert invariants().clean


def test_ten_pending_invitees_racing_for_three_licenses_left_after_a_cut(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    # Given 10 licensed invitations are out, and then Acme's licenses are cut so that only 3 holds remain
    people = [new_address("cut") for _ in range(10)]
    reply = front.invite("u-olga", "acme", *[{"email": p} for p in people])
    ids = [str(r["invitation_id"]) for r in reply.json["results"]]
    tokens = [token_of(p) for p in people]
    recorded(*ids)
    org = repo.get_account("acme")
    assert org is not None and org.licenses_held == 10
    # billing takes every free license away and 7 of the held ones: 3 holds are left for the 10
    cut = org.licenses_free + 7
    repo.key_item(repo.m.AccountModel, "acme").update(
        actions=[repo.m.AccountModel.licenses_held.set(3), repo.m.AccountModel.licenses_free.set(0)]
    )
    # When all 10 accept at the same instant
    answers = together(*[lambda t=t: front.accept(t, as_json=True) for t in tokens])
    won = [a for a in answers if a.status == 200]
    reliability.race("10 accepts for 3 licenses", threads=10, effects=len(won), expected=3)
    # Then exactly 3 are licensed members; the others are told there is no license and stay pending
    assert len(won) == 3, Counter(a.status for a in answers)
    refused = [a for a in answers if a.status != 200]
    assert {a.status for a in refused} == {409}
    assert {a.json["error"]["code"] for a in refused} == {"no_license_available"}
    statuses = Counter(repo.get_invitation(i).status for i in ids)  # type: ignore[union-attr]
    assert statuses == {"accepted": 3, "pending": 7}
    org = repo.get_account("acme")
    assert org is not None and (org.licenses_used, org.licenses_held) == (2 + 3, 0)
    assert invariants(licenses_cut={"acme": cut}).clean


ROUNDS = 4


def test_accept_racing_revoke(front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder) -> None:
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        # Given an invitation out
        email = new_address("revoke")
        invitation_id, token = invite_with_token(front, email)
        # When the invitee accepts while the admin revokes, at the same instant
        accepted, revoked = together(
            partial(front.accept, token, as_json=True), partial(front.revoke, "u-arno", "acme", invitation_id)
        )
        wins = (accepted.status == 200) + (revoked.status == 200)
        reliability.race("accept vs revoke", threads=2, effects=wins)
        # Then exactly one wins; the loser is told clearly
        assert wins == 1, (accepted.status, accepted.body, revoked.status, revoked.body)
        inv = repo.get_invitation(invitation_id)
        assert inv is not None
        end = finished(stack, invitation_id)
        if accepted.status == 200:
            outcomes["accepted"] += 1
            assert revoked.status == 409 and revoked.json["error"]["code"] == "not_pending"
            assert inv.status == "accepted" and end["status"] == "SUCCEEDED"
            assert states_entered(stack, invitation_id)[-1] == "Settle"
        else:
            outcomes["revoked"] += 1
            assert accepted.status == 410 and accepted.json["error"]["code"] == "revoked"
            assert inv.status == "revoked" and states_entered(stack, invitation_id)[-1] == "Withdrawn"
    assert sum(outcomes.values()) == ROUNDS
    assert invariants().clean


def test_accept_racing_expiry(front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder) -> None:
    outcomes: Counter[str] = Counter()
    for offset in (-0.2, -0.05, 0.0, 0.05):
        # Given an invitation a moment from (or at) its expiry
        email = new_address("expiry")
        invitation_id, token = invite_with_token(front, email)
        inv = repo.get_invitation(invitation_id)
        assert inv is not None
        stack.clock.set(inv.expires_at + timedelta(seconds=offset))
        # When the invitee accepts while the scheduled job runs, at the same instant
        accepted, job = together(partial(front.accept, token, as_json=True), front.run_job)
        after = repo.get_invitation(invitation_id)
        assert after is not None
        expired = invitation_id in job["expired"]
        wins = (accepted.status == 200) + expired
        reliability.race("accept vs expiry", threads=2, effects=wins, expected=1 if after.status != "pending" else 0)
        # Then at most one wins, and the state says which (the job answered 200: run_job checks it); the loser
        # is told clearly
        assert accepted.status in (200, 410), accepted.body
        if accepted.status == 200:
            outcomes["accepted"] += 1
            assert not expired and after.status == "accepted"
        else:
            outcomes["expired"] += 1
            assert accepted.json["error"]["code"] == "expired"
            assert after.status in ("expired", "pending")  # the job may have run a moment before it was due
            if after.status == "pending":
                assert front.run_job()["expired"] == [invitation_id]
        stack.clock.set(inv.created_at + timedelta(hours=1))
    assert sum(outcomes.values()) == 4
    assert invariants().clean


def test_resend_racing_accept(front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder) -> None:
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        # Given an invitation out for an hour (past the resend cool-down)
        email = new_address("resend")
        invitation_id, token = invite_with_token(front, email)
        stack.clock.advance(3600)
        # When the admin resends it while the invitee accepts with the first link
        accepted, resent = together(
            partial(front.accept, token, as_json=True), partial(front.resend, "u-arno", "acme", invitation_id)
        )
        wins = (accepted.status == 200) + (resent.status == 200)
        reliability.race("resend vs accept", threads=2, effects=wins)
        # Then one wins cleanly
        assert wins == 1, (accepted.status, accepted.body, resent.status, resent.body)
        if accepted.status == 200:
            outcomes["accepted"] += 1
            assert resent.status == 409 and resent.json["error"]["code"] in ("not_pending", "invitation_changed")
            # a resend sends before it stores its link: one that lost after its e-mail went out mailed a link
            # that never worked (docs/reliability.md); it accepts nothing
            sent = OUTBOX.to(email)
            assert len(sent) <= 2
            if len(sent) == 2:
                assert front.accept(link_token(sent[-1]), as_json=True).status == 404
        else:
            # the old link stopped working when the new one was made: the invitee uses the new one
            outcomes["resent"] += 1
            assert accepted.status == 404 and accepted.json["error"]["code"] == "unknown_link"
            fresh = token_of(email)
            assert fresh != token
            assert front.accept(fresh, as_json=True).status == 200
        assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert sum(outcomes.values()) == ROUNDS
    assert invariants().clean


def test_reminder_runs_at_once_over_http_send_each_reminder_once(
    front: Api, stack: Stack, events: Events, invariants: Any, reliability: Recorder
) -> None:
    """The scheduled job run four times at once over HTTP (the barrier-forced interleaving of two runs is
    tests/integration/test_reminders.py::test_two_runs_at_once_send_one_reminder, counted in this suite)."""
    # Given 5 invitations whose first reminder is due
    people = [new_address("remind") for _ in range(5)]
    ids = [invite_sent(front, p, user_type="basic") for p in people]
    stack.clock.advance(3 * 24 * 3600 + 60)
    # When four runs of the job start at the same instant
    reports = together(*[front.run_job] * 4)
    reminded = Counter(i for r in reports for i in r["reminded"])
    mails = {p: sum(1 for m in OUTBOX.to(p) if "reminder" in m.get("tags", {}).get("kind", "")) for p in people}
    for invitation_id in ids:
        reliability.race("reminder runs at once", threads=0, effects=reminded[invitation_id])
    reliability.race("reminder runs: jobs", threads=4, effects=1)
    # Then each run answered 200 with its report (Api.run_job checks both), and each invitation got its reminder once
    assert reminded == Counter(dict.fromkeys(ids, 1))
    assert mails == dict.fromkeys(people, 1)
    assert invariants().clean
