"""SQS SendMessage costs the same however many messages the queue holds.

moto's ``SQSBackend.send_message`` (which EventBridge's SQS targets and SendMessageBatch call too) reads the
queue's ``attributes`` to learn whether it deduplicates by content, and that property also counts the queue's
messages for the three ``ApproximateNumberOfMessages*`` attributes: three passes over every message, each one
reading the clock twice. A send then costs the length of the queue. SQS's SendMessage does not depend on how
deep the queue is. It matters to us because the local stack's catch-all queue of the service's events
(``local-settlement-events``) is read only by tests: under ``make run`` it keeps every event, so a 9,999-row
import's thousands of events cost the square of their number. Here, while moto sends a message to a queue,
that queue's ``attributes`` are moto's own minus the three counts (nothing on the send path reads them); every
other read, such as GetQueueAttributes, counts as before.

Wraps ``moto.sqs.models.SQSBackend.send_message`` and ``moto.sqs.models.Queue.attributes``. Tested in
``tests/local/test_sqs_send_patch.py``.
"""

from __future__ import annotations

import threading
from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"

COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)

_state = threading.local()


class _Uncounted:
    """A queue as moto's ``attributes`` reads it, with the message counts left out of its attribute names."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self.BASE_ATTRIBUTES = [name for name in queue.BASE_ATTRIBUTES if name not in COUNTS]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


def apply() -> None:
    from moto.sqs.models import Queue, SQSBackend

    original_send = SQSBackend.send_message
    counted = Queue.attributes.fget  # type: ignore[attr-defined]

    def attributes(self: Queue) -> dict[str, Any]:
        if getattr(_state, "sending", None) is self:
            return counted(_Uncounted(self))  # type: ignore[no-any-return]
        return counted(self)  # type: ignore[no-any-return]

    def send_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            queue = self.get_queue(queue_name)
        except Exception:  # noqa: BLE001 - no such queue: moto's own send answers the error
            return original_send(self, queue_name, *args, **kwargs)
        outer = getattr(_state, "sending", None)
        _state.sending = queue
        try:
            return original_send(self, queue_name, *args, **kwargs)
        finally:
            _state.sending = outer

    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
