"""The Stripe bridge: billing requests from the service's bus (through an SQS queue) executed in Stripe, their
outcomes published on the platform bus. Deployed only with ``StripeBridge=true``.

Each SQS message is one EventBridge event (a ``SubscriptionCancellationRequested``, ``ProrationRefundRequested``
or ``CreditTransferRequested``). A message whose request could not be executed now (Stripe or AWS unreachable,
the ledger behind) is reported as a batch item failure: SQS delivers it again, and after the queue's receive
limit moves it to the dead-letter queue. So does a message that is no request of this service.
"""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.config import get_settings
from paid_invites.errors import TransientError
from paid_invites.observability import powertools
from paid_invites.store import settlements
from paid_invites.usecases import billing_execution

logger, tracer, metrics = powertools()


def billing() -> billing_execution.BillingPort:
    """The Stripe port (made on first use: the secret is read then, once per container, and again only after
    Stripe refused the key)."""
    import stripe_billing  # beside this module: the stripe package ships with this function only

    return stripe_billing.port()


def ledger_entry(invitation_id: str, kind: str) -> Any:
    return next((e for e in settlements.entries_of(invitation_id) if e.kind == kind), None)


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        try:
            body = json.loads(record["body"])
            detail_type, detail = body["detail-type"], body["detail"]
        except (KeyError, TypeError, ValueError) as error:
            logger.error("not an EventBridge event", extra={"message_id": message_id, "error": str(error)})
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            done = billing_execution.execute(
                detail_type,
                detail,
                billing=billing(),
                entry_of=ledger_entry,
                bus=get_settings().platform_event_bus_name,
            )
        except billing_execution.RequestRefused as error:
            logger.error("not a billing request of this service", extra={"message_id": message_id, "error": str(error)})
            failures.append({"itemIdentifier": message_id})
        except TransientError as error:
            logger.warning("billing request not executed now", extra={"message_id": message_id, "error": str(error)})
            failures.append({"itemIdentifier": message_id})
        except Exception:  # one request's defect must not fail the others of the batch
            logger.exception("billing request failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
        else:
            logger.info(
                "billing request executed",
                extra={"request_id": done.request_id, "outcome": done.outcome, "skipped": done.skipped},
            )
    return {"batchItemFailures": failures}
