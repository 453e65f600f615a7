"""Billing outcomes from the platform bus (through an SQS queue), applied to the ledger once; and the
operator's retry of an invitation's failed billing requests (a direct invocation).

Each SQS message is one EventBridge event (``RefundCompleted``, ``CreditFailed``, ...). A message that could
not be applied now (DynamoDB unreachable) or is no outcome of ours is reported as a batch item failure: SQS
delivers it again, and after the queue's receive limit moves it to the dead-letter queue.

Operator: ``{"operator": "retry_settlement", "invitation_id": "..."}`` (docs/operations.md).
"""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import json
from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.errors import DomainError, TransientError
from paid_invites.observability import powertools
from paid_invites.usecases import settlement_outcomes, settlement_retry

logger, tracer, metrics = powertools()


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def operator(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("operator") != "retry_settlement" or not isinstance(event.get("invitation_id"), str):
        return {"error": "unknown_command", "expected": {"operator": "retry_settlement", "invitation_id": "..."}}
    try:
        done = settlement_retry.retry_settlement(event["invitation_id"], actor="operator")
    except DomainError as error:
        return {"error": error.code, "message": str(error)}
    logger.info("settlement retried", extra=done.as_dict())
    return done.as_dict()


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "operator" in event:
        return operator(event)
    failures = []
    outcomes: Counter[str] = Counter()  # applied | unknown | old_attempt | answered | malformed | retried
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        try:
            body = json.loads(record["body"])
            done = settlement_outcomes.apply_outcome(body.get("detail-type", ""), body.get("detail"))
        except (settlement_outcomes.MalformedOutcome, ValueError, KeyError, TypeError, AttributeError) as error:
            logger.error("not a billing outcome of ours", extra={"message_id": message_id, "error": str(error)})
            count("SettlementOutcome_malformed")
            outcomes["malformed"] += 1
            failures.append({"itemIdentifier": message_id})
            continue
        except TransientError as error:
            logger.warning("billing outcome not applied now", extra={"message_id": message_id, "error": str(error)})
            outcomes["retried"] += 1
            failures.append({"itemIdentifier": message_id})
            continue
        except Exception:  # this message only: the others of the batch are applied (or fail) on their own
            logger.exception("billing outcome failed", extra={"message_id": message_id})
            outcomes["retried"] += 1
            failures.append({"itemIdentifier": message_id})
            continue
        count(f"SettlementOutcome_{done.result}")
        outcomes[done.result] += 1
        if done.result == "applied" and not done.succeeded:
            count("Settlement_failed")  # alarmed: the admin sees the reason, an operator may retry
        if done.late_success:
            count("Settlement_late_success")  # alarmed: money may have moved twice for one entry
        logger.info("billing outcome", extra=done.as_dict())
    return {"batchItemFailures": failures, "outcomes": dict(outcomes)}
