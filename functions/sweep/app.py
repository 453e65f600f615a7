"""The scheduled sweep (EventBridge Scheduler): reminders, expiry, and the reconcile of acceptances the
workflow has not settled; what is due, done once."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.observability import powertools
from paid_invites.usecases import sweep

logger, tracer, metrics = powertools()
SAFETY_MS = 5_000  # stop taking new work this long before the function's timeout


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    budget_ms = max(context.get_remaining_time_in_millis() - SAFETY_MS, 1_000)
    report = sweep.run_due(deadline=time.monotonic() + budget_ms / 1000)
    for name, count in report.counts().items():
        metrics.add_metric(name=f"Due_{name}", unit=MetricUnit.Count, value=count)
    logger.info("scheduled run done", extra=report.counts())
    return report.as_dict()
