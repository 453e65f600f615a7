"""The lifecycle events of one invitation write: the history entries it added, known by (kind, at, actor)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from paid_invites.invitations import Invitation
from paid_invites.lifecycle_events import added_entries, history_events
from paid_invites.store.repository import HISTORY_DROPPED, HISTORY_KEPT

from ..support import builders


def entry(kind: str, at: str, by: str = "system", **extra: str) -> dict[str, str]:
    return {"event": kind, "at": at, "by": by, **extra}


def written(inv: Invitation, *entries: dict[str, Any]) -> Invitation:
    return replace(inv, history=[*inv.history, *entries])


def test_the_write_that_creates_an_invitation_publishes_created() -> None:
    # Given a new invitation whose history holds its creation
    inv = builders.invitation(history=[entry("created", "2026-12-01T12:00:00Z", "u-arno")])
    # When its first write is mapped
    events = history_events(None, inv)
    # Then it is InvitationCreated, with the id of the entry and what the invitee was invited as
    assert [t for t, _ in events] == ["InvitationCreated"]
    detail = events[0][1]
    assert detail["event_id"] == f"{inv.id}:created:2026-12-01T12:00:00Z"
    assert (detail["inviter_id"], detail["user_type"], detail["role"]) == (inv.inviter_id, inv.user_type, inv.role)


def test_a_resend_publishes_resent_and_emailed_and_the_same_write_again_the_same_ids() -> None:
    # Given an invitation e-mailed once
    before = builders.invitation(
        history=[entry("created", "2026-12-01T12:00:00Z", "u-arno"), entry("emailed", "2026-12-01T12:00:01Z")]
    )
    # When a resend adds its two entries
    at = "2026-12-02T09:00:00Z"
    after = written(before, entry("resent", at, "u-arno"), entry("emailed", at, "u-arno", message_id="m-2"))
    events = history_events(before, after)
    # Then InvitationResent and InvitationEmailed, in that order, with distinct ids
    assert [t for t, _ in events] == ["InvitationResent", "InvitationEmailed"]
    assert events[0][1]["by"] == "u-arno" and events[1][1]["message_id"] == "m-2"
    assert len({d["event_id"] for _, d in events}) == 2
    # and mapping the same write again gives the same events
    assert history_events(before, after) == events


def test_entries_the_service_keeps_to_itself_publish_nothing() -> None:
    before = builders.invitation(history=[entry("created", "2026-12-01T12:00:00Z", "u-arno")])
    after = written(before, entry("reminded", "2026-12-04T12:00:00Z", "scheduler", number="1"))
    assert history_events(before, after) == []
    # nor does a write that added no entry at all
    assert history_events(after, after) == []


def test_a_trimmed_history_publishes_only_the_entry_the_write_added() -> None:
    # Given a history at its bound: its first entry and many reminders-like entries since
    first = entry("created", "2026-12-01T12:00:00Z", "u-arno")
    body = [entry("delivery", f"2026-12-01T13:{i // 60:02d}:{i % 60:02d}Z", "ses") for i in range(HISTORY_KEPT + 10)]
    before = builders.invitation(history=[first, *body])
    # When one write appends a bounce and trimming replaces the oldest entries by one marker
    bounce = entry("bounced", "2026-12-02T08:00:00Z", "ses", reason="550 user unknown")
    marker = entry(HISTORY_DROPPED, body[10]["at"], count="11")
    trimmed = replace(before, history=[first, marker, *body[11:], bounce])
    # Then only the bounce is new (entries are known by kind, time and actor, not by place)
    assert added_entries(before.history, trimmed.history) == [marker, bounce]
    assert [t for t, _ in history_events(before, trimmed)] == ["InvitationBounced"]
    assert history_events(before, trimmed)[0][1]["reason"] == "550 user unknown"
