"""Events for the services that consume them (billing, meetings, recordings): EventBridge."""

from __future__ import annotations

import json
from typing import Any

from .aws import client, error_code
from .config import get_settings
from .errors import TransientError

SOURCE = "paid-account-invites"


def publish(events: list[tuple[str, dict[str, Any]]], bus: str | None = None, source: str = SOURCE) -> None:
    """Publish (detail-type, detail) pairs in one PutEvents, on ``bus`` (the service's own bus unless named).
    Each detail carries a stable ``event_id``
    so that consumers deduplicate what a retry publishes again. Any failure is a ``TransientError``:
    the workflow runs the step again (and the settlement is booked once whatever the retries)."""
    if not events:
        return
    bus = bus or get_settings().event_bus_name
    entries = [
        {"Source": source, "DetailType": kind, "Detail": json.dumps(detail, sort_keys=True), "EventBusName": bus}
        for kind, detail in events
    ]
    try:
        response = client("events").put_events(Entries=entries)
    except Exception as error:  # botocore's error classes are made at run time; the step is safe to retry
        raise TransientError(f"events not published: {error_code(error) or type(error).__name__}") from error
    if response.get("FailedEntryCount"):
        raise TransientError(f"{response['FailedEntryCount']} events were not accepted")
