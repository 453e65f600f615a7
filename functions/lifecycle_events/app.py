"""The invitations table's stream: publish the invitations' lifecycle events on the service's bus."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.observability import powertools
from paid_invites.usecases import lifecycle

logger, tracer, metrics = powertools()


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # the stream's records read as they are (Records[].dynamodb): the use case reads the images
    outcome = lifecycle.publish_records(event.get("Records", []))
    for detail_type, _ in outcome.events:
        metrics.add_metric(name=f"Published_{detail_type}", unit=MetricUnit.Count, value=1)
    logger.info(
        "lifecycle events",
        extra={"published": [detail["event_id"] for _, detail in outcome.events], "failed_at": outcome.failed_at},
    )
    if outcome.failed_at is None:
        return {"batchItemFailures": []}
    logger.warning(
        "not published; retried from this record", extra={"failed_at": outcome.failed_at, "reason": outcome.reason}
    )
    # ReportBatchItemFailures: the stream is retried from this record on (the ones before it are done)
    return {"batchItemFailures": [{"itemIdentifier": outcome.failed_at}]}
