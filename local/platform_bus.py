"""The platform's side of the local stack: its events put on the platform bus, as the platform would.

POST /_local/platform-events  [{"detail-type": "UserChanged", "detail": {...}}, ...]

Each entry goes on the platform bus (PutEvents, source ``local.platform``); the rule delivers it to the
platform events' queue and the local trigger hands it to PlatformEventsFunction, as in AWS. The answer comes
once the queues are drained: how many events were sent and what the function did with them (applied,
ignored as older or repeated, malformed and set aside in the dead-letter queue, retried).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from paid_invites import aws

from .stack import Stack

SOURCE = "local.platform"
FUNCTION = "PlatformEventsFunction"
MAX_ENTRIES = 1000
Answer = tuple[int, Any]


def bus_name(stack: Stack) -> str:
    """The bus the platform puts its events on: the stack's output ``PlatformEventBusName``."""
    return str(stack.template.resolve(stack.template.doc["Outputs"]["PlatformEventBusName"]["Value"]))


def entries_of(body: bytes) -> list[tuple[str, Any]] | str:
    """(detail-type, detail) of each entry, or why the body is not a list of them."""
    try:
        value = json.loads(body or b"null")
    except ValueError:
        return "the body is not JSON"
    if not isinstance(value, list) or not value:
        return 'the body is a JSON list of {"detail-type", "detail"} objects'
    if len(value) > MAX_ENTRIES:
        return f"at most {MAX_ENTRIES} events at once"
    found = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("detail-type"), str) or "detail" not in entry:
            return 'each entry is {"detail-type": "...", "detail": {...}}'
        found.append((entry["detail-type"], entry["detail"]))
    return found


def put(stack: Stack, entries: list[tuple[str, Any]]) -> dict[str, Any]:
    """Put the events on the platform bus, drain the queues, and count what the function did with them."""
    triggers = [t for t in stack.queue_triggers if t.function.logical_id == FUNCTION]
    before = sum((t.outcomes for t in triggers), Counter())
    events = aws.client("events")
    bus = bus_name(stack)
    failed = 0
    for start in range(0, len(entries), 10):  # PutEvents takes 10 entries a call
        chunk = entries[start : start + 10]
        answer = events.put_events(
            Entries=[
                {"Source": SOURCE, "DetailType": kind, "Detail": json.dumps(detail), "EventBusName": bus}
                for kind, detail in chunk
            ]
        )
        failed += int(answer.get("FailedEntryCount", 0))
    stack.drain()
    after = sum((t.outcomes for t in triggers), Counter())
    done = after - before
    return {
        "sent": len(entries) - failed,
        "not_accepted": failed,
        "applied": done["applied"],
        "ignored": done["ignored"],
        "malformed": done["malformed"],
        "retried": done["retried"] + done["failed"],
    }


def handle(stack: Stack, method: str, body: bytes) -> Answer:
    if method != "POST":
        return 405, {"message": "POST"}
    entries = entries_of(body)
    if isinstance(entries, str):
        return 400, {"error": {"code": "invalid_body", "message": entries, "details": {}}}
    return 200, put(stack, entries)
