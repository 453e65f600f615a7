"""The local stand-in for Lambda's DynamoDB stream event source: the template's filter, as Lambda applies it."""

from __future__ import annotations

from typing import Any

from local import streams
from local.template import Template


def record(event_name: str, key: str, **new_image: dict[str, Any]) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {"id": {"S": key}}}
    if new_image:
        change["NewImage"] = {"id": {"S": key}, **new_image}
    return {"eventName": event_name, "dynamodb": change}


def test_the_lifecycle_trigger_takes_invitation_writes_only() -> None:
    # Given the template's trigger of LifecycleEventsFunction
    (trigger,) = [t for t in streams.triggers(Template(), Template().functions()) if t.table == "InvitationsTable"]
    assert trigger.function.logical_id == "LifecycleEventsFunction" and trigger.reports_failures
    # Then an invitation inserted or changed is handed over
    assert trigger.wanted(record("INSERT", "inv-1", status_key={"S": "pending#2026#inv-1"}, status={"S": "pending"}))
    assert trigger.wanted(record("MODIFY", "inv-1", status_key={"S": "expired#2026#inv-1"}, status={"S": "expired"}))
    # but not the writes of an accepted one (none adds a published entry)
    accepted = record("MODIFY", "inv-1", status_key={"S": "accepted#2026#inv-1"}, status={"S": "accepted"})
    assert not trigger.wanted(accepted)
    # and a guard, a suppression or a removal is not
    assert not trigger.wanted(record("INSERT", "pending#acme#jan@devries.example", account_id={"S": "acme"}))
    assert not trigger.wanted(record("INSERT", "suppressed#jan@devries.example", reason={"S": "complaint"}))
    assert not trigger.wanted(record("REMOVE", "inv-1"))


def test_a_pattern_matches_values_exists_and_nested_keys() -> None:
    pattern = {"a": ["x", "y"], "b": {"c": [{"exists": False}]}}
    assert streams.matches(pattern, {"a": "y", "b": {}})
    assert not streams.matches(pattern, {"a": "z", "b": {}})
    assert not streams.matches(pattern, {"a": "x", "b": {"c": 1}})
    assert streams.matches(pattern, {"a": "x"})  # an absent object has none of its keys
    assert not streams.matches({"b": {"c": ["x"]}}, {"a": "x"})
