"""Workflow task: send the invitation (storing the task token), or tell the inviter what happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import service
from paid_invites.observability import powertools
from paid_invites.tasks import parse

logger, tracer, metrics = powertools()


@dataclass(frozen=True)
class MailTask:
    kind: str  # "invitation" | "accepted" | "expired"
    invitation_id: str
    task_token: str | None = None


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(payload: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse(MailTask, payload)
    logger.append_keys(invitation_id=event.invitation_id, kind=event.kind)
    if event.kind == "invitation":
        if not event.task_token:
            raise ValueError("an invitation e-mail needs the workflow's task token")
        result = service.send_invitation(event.invitation_id, event.task_token)
    elif event.kind == "expired":
        result = service.expire(event.invitation_id)
    else:
        result = service.notify_inviter(event.invitation_id, event.kind)
    if result.get("status") == "sent":
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    logger.info("mail task done", extra={"status": result.get("status")})
    return result
