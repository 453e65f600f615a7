"""SES events (bounce, complaint, delivery) of the configuration set, as SNS delivers them."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import json
import re
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.observability import powertools
from paid_invites.usecases import ses_events

ADDRESS = re.compile(r"([^\s:@,'\"])[^\s:@,'\"]*@")


def masked(outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome as it may be logged: no full e-mail address (``j***@example.org``)."""
    return {**outcome, "actions": [ADDRESS.sub(r"\1***@", str(a)) for a in outcome.get("actions", [])]}


logger, tracer, metrics = powertools()


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # SNS's event read as it is (Records[].Sns): Powertools' SNSEvent would import every event data class
    results = []
    for record in event["Records"]:
        sns = record["Sns"]
        try:
            message = json.loads(sns["Message"])
        except ValueError:
            logger.warning("not an SES event", extra={"sns_message_id": sns.get("MessageId")})
            continue
        if not isinstance(message, dict):
            continue
        outcome = ses_events.handle_ses_event(message)
        metrics.add_metric(name=f"SesEvent_{outcome['event'] or 'unknown'}", unit=MetricUnit.Count, value=1)
        logger.info("ses event", extra=masked(outcome))
        results.append(outcome)
    return {"results": results}
