"""The template's DynamoDB stream triggers, run locally: moto keeps the tables' streams (dynamodbstreams), a
poller hands their records to the function's real handler, as Lambda's event source mapping would.

For every function event of ``Type: DynamoDB``: records in order, in batches of ``BatchSize``, filtered by
``FilterCriteria`` (the subset of EventBridge patterns the template uses: value lists, ``exists``, nested
keys), with ``ReportBatchItemFailures`` honoured (the batch is handed over again from the failed record on
the next poll). A record that still fails after ``MaximumRetryAttempts`` is skipped, with a warning (in AWS
its batch's description goes to the on-failure destination). ``poll`` hands over everything written so far;
the stack's ``drain`` calls it, ``make run`` from a background thread.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from paid_invites import aws

from . import bridge
from .template import Function, Template

log = logging.getLogger(__name__)


_client: list[Any] = [None, None]  # (the session it was made from, the client)


def streams_client() -> Any:
    """A DynamoDB Streams client that names the regional endpoint: botocore would send a request naming a
    stream to the account's endpoint (``<account>.streams-ddb.<region>``), which moto does not answer.
    Made again when the container's session is (``aws.reset``: another endpoint)."""
    session = aws.session()
    if _client[0] is not session:
        _client[:] = [
            session,
            session.create_client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")),
        ]
    return _client[1]


def stream_specification(props: dict[str, Any]) -> dict[str, Any]:
    """``create_table``'s StreamSpecification for a template table's properties ({} without a stream)."""
    spec = props.get("StreamSpecification")
    return {"StreamSpecification": {"StreamEnabled": True, **spec}} if spec else {}


def matches(pattern: Any, value: Any) -> bool:
    """Whether ``value`` matches an event pattern (Lambda's filter criteria, the subset the template uses)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(_matches_field(sub, key in value, value.get(key)) for key, sub in pattern.items())
    return False


def _matches_field(pattern: Any, present: bool, value: Any) -> bool:
    if isinstance(pattern, dict):  # nested keys: an absent object has none of them
        return matches(pattern, value if present else {})
    for option in pattern:  # a list: any of its values (or an "exists" test)
        if isinstance(option, dict) and "exists" in option:
            if bool(option["exists"]) == present:
                return True
        elif present and value == option:
            return True
    return False


@dataclass
class StreamTrigger:
    """One function's DynamoDB stream event: where it reads, how it is handed over."""

    function: Function
    table: str  # the local table's name (its logical id)
    batch_size: int = 100
    patterns: list[dict[str, Any]] = field(default_factory=list)
    max_retries: int = 3
    reports_failures: bool = False
    after: str | None = None  # the sequence number of the last record handed over (None: from the start)
    failures: int = 0  # how many times the record after ``after`` failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wanted(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(matches(p, record) for p in self.patterns)

    def poll(self) -> int:
        """Hand every record written since the last poll to the handler; how many were handed over. Stops at
        a batch that failed (the next poll retries it)."""
        with self.lock:
            handed = 0
            while True:
                records = self._read()
                if not records:
                    return handed
                wanted = [r for r in records if self.wanted(r)]
                failed_at = self._invoke(wanted) if wanted else None
                if failed_at is None:
                    self.after, self.failures = records[-1]["dynamodb"]["SequenceNumber"], 0
                    handed += len(wanted)
                    continue
                done = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(failed_at)]
                if done:
                    self.after, self.failures = done[-1]["dynamodb"]["SequenceNumber"], 0
                self.failures += 1
                if self.failures <= self.max_retries:
                    return handed
                log.warning("%s: gave up on stream record %s", self.function.logical_id, failed_at)
                self.after, self.failures = failed_at, 0

    def _read(self) -> list[dict[str, Any]]:
        streams = streams_client()
        arn = aws.client("dynamodb").describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        where: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.after}
            if self.after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **where)["ShardIterator"]
        records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)["Records"]
        for record in records:
            record["eventSourceARN"] = arn
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if created is not None and hasattr(created, "timestamp"):  # as Lambda hands it: epoch seconds
                record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
        return records

    def _invoke(self, records: list[dict[str, Any]]) -> str | None:
        """The sequence number of the first record to hand over again, or None when the batch is done."""
        try:
            answer = bridge.invoke(self.function, {"Records": records})
        except Exception:  # the whole batch failed: Lambda hands it over again
            log.exception("%s failed on a stream batch", self.function.logical_id)
            return str(records[0]["dynamodb"]["SequenceNumber"])
        failures = (answer or {}).get("batchItemFailures") if self.reports_failures else None
        if not failures:
            return None
        return str(min(int(f["itemIdentifier"]) for f in failures))


def triggers(template: Template, functions: dict[str, Function]) -> list[StreamTrigger]:
    """The template's DynamoDB stream events, one trigger each."""
    found = []
    for logical_id, res in template.resources("AWS::Serverless::Function").items():
        for event in res["Properties"].get("Events", {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            props = event["Properties"]
            stream = props["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else str(stream).split(".")[0]
            filters = props.get("FilterCriteria", {}).get("Filters", [])
            found.append(
                StreamTrigger(
                    function=functions[logical_id],
                    table=table,
                    batch_size=int(props.get("BatchSize", 100)),
                    patterns=[json.loads(f["Pattern"]) for f in filters],
                    max_retries=min(int(props.get("MaximumRetryAttempts", 3)), 3),  # locally: not for long
                    reports_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                )
            )
    return found


def poll(found: list[StreamTrigger]) -> int:
    """Poll every trigger once; how many records were handed over."""
    return sum(t.poll() for t in found)
