"""Scheduled job (EventBridge): what is due on pending and accepted invitations, done once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import service

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = service.run_due()
    for name, count in report.items():
        metrics.add_metric(name=f"Due_{name}", unit=MetricUnit.Count, value=count)
    logger.info("scheduled run done", extra=report)
    return report
