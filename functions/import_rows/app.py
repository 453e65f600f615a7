"""Workflow task of the bulk import: invite one chunk of the file's rows and record their results, once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import imports

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ChunkTask(BaseModel):
    import_id: str
    chunk: int


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=ChunkTask)
def lambda_handler(event: ChunkTask, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(import_id=event.import_id, chunk=event.chunk)
    result = imports.process_chunk(event.import_id, event.chunk)
    metrics.add_metric(name="ImportRowsCreated", unit=MetricUnit.Count, value=result.get("created", 0))
    metrics.add_metric(name="ImportRowsRejected", unit=MetricUnit.Count, value=result.get("rejected", 0))
    logger.info("chunk processed", extra={"outcome": result})
    return result
