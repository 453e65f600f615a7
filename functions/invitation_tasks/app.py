"""The invitation workflow's tasks, named by the state machine's ``action``: send the invitation (storing the
task token), or expire the invitation (close it, free its license and tell the inviter). ``notify_inviter``
is no step of the current definition: its Settle step sends the inviter's notice (once). An execution
started with the earlier definition (it keeps it, up to the invitation's lifetime) still has that step
after Settle, whose function is the current one and has sent the notice: the action answers without
sending it again."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.observability import powertools
from paid_invites.tasks import ValidationError, parse
from paid_invites.usecases import delivery, expiry

logger, tracer, metrics = powertools()
ACTIONS = ("send_invitation", "notify_inviter", "expire")


@dataclass(frozen=True)
class InvitationTask:
    action: str  # one of ACTIONS
    invitation_id: str
    task_token: str | None = None  # send_invitation: the token the workflow waits on


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(payload: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse(InvitationTask, payload)
    logger.append_keys(invitation_id=event.invitation_id, action=event.action)
    if event.action == "send_invitation":
        if not event.task_token:
            raise ValueError("an invitation e-mail needs the workflow's task token")
        result = delivery.send_invitation(event.invitation_id, event.task_token)
    elif event.action == "notify_inviter":
        result = {"status": "sent_by_the_settle_step"}
    elif event.action == "expire":
        result = expiry.expire(event.invitation_id)
    else:
        raise ValidationError(f"InvitationTask: action must be one of {', '.join(ACTIONS)}")
    if result.get("status") == "sent":
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    logger.info("invitation task done", extra={"status": result.get("status")})
    return result
