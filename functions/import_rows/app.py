"""Workflow task of the bulk import: invite one chunk of the file's rows and record their results, once."""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites.observability import powertools
from paid_invites.tasks import parse
from paid_invites.usecases import bulk_import

logger, tracer, metrics = powertools()


@dataclass(frozen=True)
class ChunkTask:
    import_id: str
    chunk: int


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(payload: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse(ChunkTask, payload)
    logger.append_keys(import_id=event.import_id, chunk=event.chunk)
    result = bulk_import.process_chunk(event.import_id, event.chunk)
    metrics.add_metric(name="ImportRowsCreated", unit=MetricUnit.Count, value=result.get("created", 0))
    metrics.add_metric(name="ImportRowsRejected", unit=MetricUnit.Count, value=result.get("rejected", 0))
    logger.info("chunk processed", extra={"outcome": result})
    return result
