"""External billing's functions at run time, held against what template.yaml gives each on AWS: the settle
step booking requests, the outcomes' function applying answers and the operator's retry, and the scheduled
job reporting an unanswered request (see test_runtime_calls.py for why the local stack cannot show it)."""

from __future__ import annotations

import json

import pytest

from local import platform_bus
from local.stack import Stack
from paid_invites import aws

from ..support import Api, finished, invitation_token, invite_one
from .test_runtime_calls import Recording, allowed, recording

__all__ = ["recording"]  # the fixture: the AWS calls and settings of each function
FUNCTIONS = {"SettleProrationFunction", "SettlementOutcomesFunction", "SweepFunction"}


def outcome(stack: Stack, detail_type: str, invitation_id: str, kind: str, attempt: int = 1, **more: str) -> None:
    detail = {"request_id": f"{invitation_id}:{kind}:{attempt}", "invitation_id": invitation_id, "kind": kind, **more}
    aws.client("events").put_events(
        Entries=[
            {
                "Source": "billing.example",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": platform_bus.bus_name(stack),
            }
        ]
    )
    stack.drain()


OUTCOMES = {
    "refund": ("refund_requested", "RefundFailed", "RefundCompleted"),
    "credit": ("credit_transferred", "CreditFailed", "CreditApplied"),
}


def run_the_settlement_story(api: Api, stack: Stack, settlement: str) -> None:
    """Jan's refund (or credit) fails, is retried and completes; his cancellation is never answered, so the
    scheduled job reports it."""
    kind, failed, moved = OUTCOMES[settlement]
    jan = invite_one(api, "jan@devries.example")
    assert api.accept(invitation_token("jan@devries.example"), settlement).status == 200
    assert finished(stack, jan)["status"] == "SUCCEEDED"
    outcome(stack, failed, jan, kind, reason="card expired")
    retried = stack.invoke("SettlementOutcomesFunction", {"operator": "retry_settlement", "invitation_id": jan})
    assert retried["requested"] == [f"{jan}:{kind}:2"]
    outcome(stack, moved, jan, kind, attempt=2)
    stack.clock.advance(seconds=86400 + 1)
    assert stack.invoke("SweepFunction", {})["counts"]["unanswered"] == 1


@pytest.mark.parametrize("parameters", [{"Billing": "external"}])
@pytest.mark.parametrize("settlement", ["refund", "credit"])
def test_every_call_of_external_billing_is_allowed_by_the_functions_own_role_and_its_settings_set(
    api: Api, stack: Stack, recording: Recording, parameters: dict[str, str], settlement: str
) -> None:
    # Given the settlement story with external billing, every function's AWS calls and settings recorded
    run_the_settlement_story(api, stack, settlement)
    assert set(recording.calls) >= FUNCTIONS
    # Then each function's own role allows each call it made
    denied = {
        function: sorted(c for c in calls if not allowed(stack.template, function, *c))
        for function, calls in recording.calls.items()
    }
    assert {f: c for f, c in denied.items() if c} == {}
    # and each setting it read is in its own environment
    missing = {
        function: sorted(n.upper() for n in names if n.upper() not in stack.functions[function].environment)
        for function, names in recording.settings.items()
    }
    assert {f: m for f, m in missing.items() if m} == {}
    # and the check can fail: the outcomes' function may not book ledger entries
    assert not allowed(stack.template, "SettlementOutcomesFunction", "dynamodb:PutItem", "LedgerTable")
