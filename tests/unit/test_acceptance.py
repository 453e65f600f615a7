"""The acceptance the accept hands the workflow carries all that settling reads, and what it publishes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from paid_invites.acceptance import Acceptance
from paid_invites.invitations import ACCEPTED, PENDING, Invitation
from paid_invites.proration import Subscription, unused_value
from paid_invites.settlement import settlement_events

from ..support.builders import NOW, invitation, jans_subscription

SETTLED_FIELDS = ("account_id", "invitee_user_id", "invitee_account_id", "user_type", "role", "settlement",
                  "settle_due", "accepted_at", "subscription")  # fmt: skip


def monthly_subscription() -> Subscription:
    """Jan's own plan, paid by the month: 10 of its 30 days used."""
    period = {"current_period_start": NOW - timedelta(days=10), "current_period_end": NOW + timedelta(days=20)}
    return jans_subscription(amount_minor=1200, interval="month", payment_method="card •••• 4242", **period)


def accepted(**changes: Any) -> Invitation:
    """Jan's invitation from Olga, accepted with a refund of his own subscription's unused part."""
    values: dict[str, Any] = {
        "id": "inv-1",
        "inviter_id": "u-olga",
        "inviter_name": "Olga",
        "org_name": "Acme",
        "status": ACCEPTED,
        "accepted_at": NOW + timedelta(microseconds=123_456),  # proration counts from this moment
        "settlement": "refund",
        "settle_due": True,
        "invitee_user_id": "u-jan",
        "invitee_account_id": "acc-jan",
        "subscription": monthly_subscription(),
    }
    return invitation(**{**values, **changes})


def through_the_workflow(acc: Acceptance) -> Acceptance:
    """As Step Functions passes the SendTaskSuccess output on: JSON text and back."""
    return Acceptance.from_json(json.loads(json.dumps(acc.to_json())))


def test_the_handed_over_acceptance_carries_everything_settling_reads() -> None:
    # Given Jan's accepted invitation, with a refund of his own subscription's unused part
    inv = accepted()
    # When its acceptance goes through the workflow
    got = through_the_workflow(Acceptance.of(inv))
    # Then settling reads the same values, to the microsecond, and the same amount
    assert got.invitation_id == inv.id
    for name in SETTLED_FIELDS:
        assert getattr(got, name) == getattr(inv, name), name
    assert inv.subscription and inv.accepted_at
    assert got.amount == unused_value(inv.subscription, inv.accepted_at) == got.refund
    assert got.credit is None


def test_nothing_to_settle_is_handed_over_as_such() -> None:
    inv = accepted(settlement="none", settle_due=False, subscription=None, invitee_account_id=None)
    got = through_the_workflow(Acceptance.of(inv))
    assert (got.settle_due, got.subscription, got.settlement, got.invitee_account_id) == (False, None, "none", None)
    assert (got.amount, got.refund, got.credit) == (None, None, None)


def test_only_an_accepted_invitation_has_an_acceptance() -> None:
    with pytest.raises(ValueError, match="not accepted"):
        Acceptance.of(accepted(status=PENDING, accepted_at=None))


@pytest.mark.parametrize("missing", ["invitation_id", "accepted_at", "settle_due", "invitee_user_id"])
def test_a_hand_over_without_a_field_is_refused(missing: str) -> None:
    sent = Acceptance.of(accepted()).to_json()
    del sent[missing]
    with pytest.raises(ValueError, match="not an acceptance"):
        Acceptance.from_json(sent)


def test_a_refund_publishes_the_acceptance_and_the_refund_with_stable_ids() -> None:
    acc = Acceptance.of(accepted())
    events = settlement_events(acc)
    assert [kind for kind, _ in events] == ["InvitationAccepted", "ProrationRefundRequested"]
    accepted_event, refund = (detail for _, detail in events)
    assert accepted_event == {
        "event_id": "inv-1:accepted",
        "invitation_id": "inv-1",
        "user_id": "u-jan",
        "from_account_id": "acc-jan",
        "to_account_id": "acme",
        "user_type": "licensed",
        "role": "member",
    }
    assert acc.refund is not None
    assert refund == {
        "event_id": "inv-1:refund",
        "request_id": "inv-1:refund_requested:1",
        "invitation_id": "inv-1",
        "kind": "refund_requested",
        "account_id": "acc-jan",
        "org_account_id": "acme",
        "user_id": "u-jan",
        "amount_minor": acc.refund.amount_minor,
        "currency": "EUR",
        "payment_method": "card •••• 4242",
        "attempt": 1,
    }
    assert settlement_events(acc) == events  # a retry publishes the same events again


@pytest.mark.parametrize("settlement", ["credit", "none"])
def test_no_refund_event_without_a_refund(settlement: str) -> None:
    events = settlement_events(Acceptance.of(accepted(settlement=settlement)))
    assert [kind for kind, _ in events] == ["InvitationAccepted"]
