"""Workflow task: settle an accepted invitation's money exactly once and publish the events (with external
billing, one billing request per ledger entry; their outcomes come to SettlementOutcomesFunction), then tell
the inviter of the acceptance (once)."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.acceptance import Acceptance
from paid_invites.observability import powertools
from paid_invites.tasks import ValidationError, parse
from paid_invites.usecases import settling

logger, tracer, metrics = powertools()


@dataclass(frozen=True)
class SettleTask:
    invitation_id: str
    acceptance: dict[str, Any]  # what the accept handed the workflow (Acceptance.to_json)


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(payload: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse(SettleTask, payload)
    logger.append_keys(invitation_id=event.invitation_id)
    try:
        acceptance = Acceptance.from_json(event.acceptance)
    except ValueError as error:
        raise ValidationError(f"SettleTask: {error}") from error
    if acceptance.invitation_id != event.invitation_id:
        raise ValidationError("SettleTask: the acceptance is another invitation's")
    result = settling.settle_and_tell_inviter(acceptance)
    if result["first_time"]:
        metrics.add_metric(name=f"Settled_{result['settlement']}", unit=MetricUnit.Count, value=1)
    if result["requested"]:  # external billing: requests published (again, on a run again), answers to come
        metrics.add_metric(name="Settlement_requested", unit=MetricUnit.Count, value=result["requested"])
    if result.get("notice") == "sent":
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    logger.info("settled", extra=result)
    return result
