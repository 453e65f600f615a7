"""What the accept hands the workflow is what settling reads: the settle step need not read it again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from paid_invites import service
from paid_invites.invitations import ACCEPTED, Invitation
from paid_invites.proration import unused_value

from .builders import NOW, invitation, jans_subscription

SETTLED_FIELDS = ("id", "account_id", "invitee_user_id", "invitee_account_id", "user_type", "role", "settlement",
                  "settle_due", "accepted_at", "subscription")  # fmt: skip


def accepted(**changes: Any) -> Invitation:
    values: dict[str, Any] = {
        "status": ACCEPTED,
        "accepted_at": NOW + timedelta(microseconds=123_456),  # proration counts from this moment
        "settlement": "refund",
        "settle_due": True,
        "invitee_user_id": "u-jan",
        "invitee_account_id": "acc-jan",
        "subscription": jans_subscription(),
    }
    return replace(invitation()[0], **{**values, **changes})


def test_the_handed_over_acceptance_carries_everything_settling_reads() -> None:
    inv = accepted()
    sent = json.loads(json.dumps(service.handover(inv)))  # as Step Functions passes it on
    got = service._handed_over(inv.id, {**sent["accepted"], "settle_due": sent["settle_due"]})
    for name in SETTLED_FIELDS:
        assert getattr(got, name) == getattr(inv, name), name
    assert got.subscription and got.accepted_at and inv.subscription and inv.accepted_at
    assert unused_value(got.subscription, got.accepted_at) == unused_value(inv.subscription, inv.accepted_at)


def test_nothing_to_settle_is_handed_over_as_such() -> None:
    inv = accepted(settlement="none", settle_due=False, subscription=None, invitee_account_id=None)
    sent = json.loads(json.dumps(service.handover(inv)))
    got = service._handed_over(inv.id, {**sent["accepted"], "settle_due": sent["settle_due"]})
    assert (got.settle_due, got.subscription, got.settlement, got.invitee_account_id) == (False, None, "none", None)
