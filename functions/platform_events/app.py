"""The platform's events (EventBridge, through an SQS queue): accounts, users, subscriptions and invoices.

Each message is one EventBridge event; its ``detail-type`` and ``detail`` are parsed strictly and applied by
the ingestion use case. A malformed event goes straight to the dead-letter queue with its reason (message
attributes ``reason`` and ``code``) and counts as done: nothing of it is applied. An event that fails for a
passing reason (its account not known yet, a busy account, a throttled table) is reported as a batch item
failure: SQS hands it over again, and after five tries to the dead-letter queue.
"""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import json
from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import dead_letters, platform_events
from paid_invites.config import get_settings
from paid_invites.errors import MalformedPlatformEvent, TransientError
from paid_invites.observability import powertools
from paid_invites.usecases.ingest import ingest

logger, tracer, metrics = powertools()


def parse_message(body: str) -> platform_events.AnyPlatformEvent:
    """The typed event an SQS message body (an EventBridge event) carries."""
    try:
        envelope = json.loads(body)
    except ValueError as error:
        raise MalformedPlatformEvent("the message is not JSON", code="not_json") from error
    if not isinstance(envelope, dict) or not isinstance(envelope.get("detail-type"), str):
        raise MalformedPlatformEvent("the message is not an EventBridge event", code="not_an_event")
    return platform_events.parse(envelope["detail-type"], envelope.get("detail"))


def handle(record: dict[str, Any]) -> str:
    """One message: "applied", "ignored" or "malformed" (set aside). Raises what is worth retrying."""
    body = str(record.get("body", ""))
    try:
        done = ingest(parse_message(body))
    except MalformedPlatformEvent as error:
        dead_letters.set_aside(get_settings().platform_events_dead_letter_queue_url, body, error.message, error.code)
        logger.warning(
            "malformed platform event set aside", extra={"message_id": record.get("messageId"), "code": error.code}
        )
        return "malformed"
    logger.info(
        "platform event",
        extra={"detail_type": done.detail_type, "key": done.key, "version": done.version, "outcome": done.outcome},
    )
    return done.outcome


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    outcomes: Counter[str] = Counter()
    for record in event.get("Records", []):
        try:
            outcome = handle(record)
        except TransientError as error:
            logger.warning("platform event retried", extra={"message_id": record.get("messageId"), "why": str(error)})
            outcome = "retried"
            failures.append({"itemIdentifier": record["messageId"]})
        except Exception:  # kept for a retry (and the dead-letter queue); the others go on
            logger.exception("platform event failed", extra={"message_id": record.get("messageId")})
            outcome = "failed"
            failures.append({"itemIdentifier": record["messageId"]})
        metrics.add_metric(name=f"PlatformEvent_{outcome}", unit=MetricUnit.Count, value=1)
        outcomes[outcome] += 1
    # SQS's event source mapping reads batchItemFailures; the counts are for the log and the local stack
    return {"batchItemFailures": failures, "outcomes": dict(outcomes)}
