"""Publish the lifecycle events of the invitations table's stream records (``lifecycle_events``).

Each stream record is one write of one item (NEW_AND_OLD_IMAGES): the history entries it added are the
events, published in the record's order, one PutEvents per record. Nothing is read from the table: the
record holds both images. A record published again (a retried batch, a replayed stream) publishes the
same event ids, so consumers drop what they have seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import events
from ..errors import TransientError
from ..lifecycle_events import Event, history_events
from ..store.stream_images import invitation_of

PUT_EVENTS_MAX = 10  # entries per PutEvents


@dataclass
class Published:
    """What a batch published, and the first record that failed (Lambda retries from there)."""

    events: list[Event] = field(default_factory=list)
    failed_at: str | None = None  # the sequence number of the first record not published
    reason: str | None = None


def record_events(record: dict[str, Any]) -> list[Event]:
    """The lifecycle events of one stream record (none for an item that is not an invitation, a removal,
    or a write that added no history entry of a published kind)."""
    change = record.get("dynamodb") or {}
    after = invitation_of(change.get("NewImage"))
    if after is None:
        return []
    return history_events(invitation_of(change.get("OldImage")), after)


def publish_records(records: Iterable[dict[str, Any]]) -> Published:
    """Publish the records' events in order; stop at the first record whose events could not be published
    (the records after it wait, so that an invitation's events keep their order)."""
    outcome = Published()
    for record in records:
        found = record_events(record)
        try:
            for start in range(0, len(found), PUT_EVENTS_MAX):
                events.publish(found[start : start + PUT_EVENTS_MAX])
        except TransientError as error:
            outcome.failed_at = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
            outcome.reason = str(error)
            return outcome
        outcome.events += found
    return outcome
