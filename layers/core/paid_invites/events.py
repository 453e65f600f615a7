"""Events for the services that consume them (billing, meetings, recordings): EventBridge."""

from __future__ import annotations

import json
from typing import Any

from .aws import client
from .config import get_settings
from .errors import TransientError

SOURCE = "paid-account-invites"


def publish(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Publish (detail-type, detail) pairs in one PutEvents. Each detail carries a stable ``event_id``
    so that consumers deduplicate what a retry publishes again."""
    if not events:
        return
    bus = get_settings().event_bus_name
    entries = [
        {"Source": SOURCE, "DetailType": kind, "Detail": json.dumps(detail, sort_keys=True), "EventBusName": bus}
        for kind, detail in events
    ]
    response = client("events").put_events(Entries=entries)
    if response.get("FailedEntryCount"):
        raise TransientError(f"{response['FailedEntryCount']} events were not accepted")
