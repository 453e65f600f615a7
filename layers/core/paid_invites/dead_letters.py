"""A message set aside for a person to look at: sent to a dead-letter queue with the reason it was not handled."""

from __future__ import annotations

from .aws import client, error_code
from .errors import TransientError

REASON_LENGTH = 1000


def set_aside(queue_url: str, body: str, reason: str, code: str) -> None:
    """Send ``body`` to the dead-letter queue with message attributes ``reason`` and ``code``. A failure is a
    ``TransientError``: the message stays where it was and comes back."""
    if not queue_url:
        raise TransientError("no dead-letter queue configured")
    try:
        client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:REASON_LENGTH] or code},
                "code": {"DataType": "String", "StringValue": code},
            },
        )
    except Exception as error:  # botocore's error classes are made at run time
        raise TransientError(f"not set aside: {error_code(error) or type(error).__name__}") from error
