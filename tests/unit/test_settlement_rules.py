"""The settlement's pure rules: which outcome applies, the invitation's state, the requests' ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from paid_invites import billing_events, billing_ids
from paid_invites.billing_events import parse_request
from paid_invites.billing_ids import request_id, split_request_id
from paid_invites.ledger import LedgerEntry
from paid_invites.settlement import judge, request_event, retried, settlement_state

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def entry(kind: str = "refund_requested", state: str = "requested", attempt: int = 1, **more: object) -> LedgerEntry:
    values = {
        "invitation_id": "inv-1",
        "kind": kind,
        "account_id": "acc-jan",
        "user_id": "u-jan",
        "amount_minor": 7453,
        "currency": "EUR",
        "created_at": AT,
        "state": state,
        "attempt": attempt,
        "org_account_id": "acme",
        **more,
    }
    return LedgerEntry(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "entry_attempt", "attempt", "succeeded", "verdict"),
    [
        ("requested", 1, 1, True, "apply"),
        ("requested", 1, 1, False, "apply"),
        ("completed", 1, 1, True, "answered"),  # delivered twice
        ("failed", 1, 1, False, "answered"),
        ("failed", 1, 1, True, "apply"),  # a success after a failure of the same attempt: the money moved
        ("completed", 1, 1, False, "answered"),  # a failure never undoes a success
        ("requested", 2, 1, True, "old_attempt"),  # requested again since: attempt 1 no longer counts
        ("requested", 1, 2, True, "unknown"),  # an attempt never requested
    ],
)
def test_an_outcome_applies_only_to_its_requested_attempt(
    state: str, entry_attempt: int, attempt: int, succeeded: bool, verdict: str
) -> None:
    assert judge(entry(state=state, attempt=entry_attempt), attempt, succeeded) == verdict


def test_an_outcome_of_no_entry_is_unknown() -> None:
    assert judge(None, 1, True) == "unknown"


def test_the_invitation_is_failed_while_an_entry_failed_requested_while_one_waits_else_completed() -> None:
    cancelled = entry("subscription_cancelled", "completed")
    assert settlement_state([]) == (None, None)
    assert settlement_state([cancelled, entry(state="requested")]) == ("requested", None)
    assert settlement_state([cancelled, entry(state="completed")]) == ("completed", None)
    failed = entry(state="failed", failure="card expired")
    assert settlement_state([entry("subscription_cancelled", "requested"), failed]) == (
        "failed",
        "refund_requested: card expired",
    )


def test_a_retry_requests_only_failed_entries_in_their_next_attempt() -> None:
    entries = [entry("subscription_cancelled", "completed"), entry(state="failed", failure="card expired")]
    (again,) = retried(entries)
    assert (again.kind, again.state, again.attempt, again.failure) == ("refund_requested", "requested", 2, None)
    assert retried([replace(again, state="requested")]) == []


def test_a_request_carries_its_idempotency_key_and_matches_its_model() -> None:
    kind, detail = request_event(entry(attempt=2, payment_method="visa-4242"), billing_customer_id="cus_1")
    assert kind == "ProrationRefundRequested"
    assert detail["request_id"] == request_id("inv-1", "refund_requested", 2) == "inv-1:refund_requested:2"
    assert detail["event_id"] == "inv-1:refund:2"
    assert parse_request(kind, detail).billing_customer_id == "cus_1"
    assert request_event(entry("credit_transferred", attempt=1))[1]["event_id"] == "inv-1:credit"


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("inv-1:refund_requested:2", ("inv-1", "refund_requested", 2)),
        ("inv-1:credit_transferred:1", ("inv-1", "credit_transferred", 1)),
        ("inv-1:refund:1", None),
        ("inv-1:refund_requested:0", None),
        ("inv-1:refund_requested:x", None),
        (":refund_requested:1", None),
    ],
)
def test_a_request_id_is_read_back(value: str, parts: tuple[str, str, int] | None) -> None:
    assert split_request_id(value) == parts


def test_each_kinds_request_and_outcome_names_are_the_models_names() -> None:
    # Given the request and outcome models (billing_events) and the names settling uses without them (billing_ids)
    # When each model's kind is read
    requests = {model.model_fields["kind"].default: name for name, model in billing_events.REQUESTS.items()}
    outcomes = {
        name: (model.model_fields["kind"].default, model.succeeded) for name, model in billing_events.OUTCOMES.items()
    }
    # Then the names agree with them, kind by kind
    assert requests == billing_ids.REQUEST_OF_KIND
    assert set(billing_ids.KINDS) == set(requests)
    named = {moved: (kind, True) for kind, (moved, _) in billing_ids.OUTCOME_OF_KIND.items()}
    named |= {failed: (kind, False) for kind, (_, failed) in billing_ids.OUTCOME_OF_KIND.items()}
    assert named == outcomes
