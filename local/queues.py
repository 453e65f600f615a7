"""The template's SQS queues and EventBridge rules into them, and its SQS-triggered functions, run locally.

``create`` makes every ``AWS::SQS::Queue`` of the template in moto (named after its logical id, with its
``RedrivePolicy``: moto moves a message received more than ``maxReceiveCount`` times to the dead-letter
queue) and every ``AWS::Events::Rule`` whose targets are such queues, on the bus it names. For every function
event of ``Type: SQS`` a ``QueueTrigger`` polls the queue and hands the messages to the function's real
handler as Lambda's event source mapping would: an SQS batch event of up to ``BatchSize`` records, with
``ReportBatchItemFailures`` honoured (the failed messages come back, the others are deleted). A failed
message is visible again at once (Lambda waits for the queue's visibility timeout). ``poll`` polls every
trigger once; the stack's ``drain`` polls until the queues are empty, ``make run`` from a background thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from paid_invites import aws

from . import bridge
from .template import ACCOUNT, REGION, Function, Template

log = logging.getLogger(__name__)


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def create(template: Template) -> dict[str, str]:
    """Create the template's queues (dead-letter queues first); their URLs by logical id, which the template
    then answers for ``Ref`` (a function's environment names its dead-letter queue by URL)."""
    sqs = aws.client("sqs")
    queues = template.queues()
    urls: dict[str, str] = {}
    pending = dict(queues)
    while pending:
        ready = {
            k: v
            for k, v in pending.items()
            if "RedrivePolicy" not in v
            or str(template.resolve(v["RedrivePolicy"]["deadLetterTargetArn"])).rsplit(":", 1)[-1] in urls
        }
        if not ready:
            raise ValueError(f"queues whose dead-letter queue is not in the template: {sorted(pending)}")
        for logical_id, props in ready.items():
            attributes: dict[str, str] = {}
            if "VisibilityTimeout" in props:
                attributes["VisibilityTimeout"] = str(template.resolve(props["VisibilityTimeout"]))
            redrive = props.get("RedrivePolicy")
            if redrive:
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": str(template.resolve(redrive["deadLetterTargetArn"])),
                        "maxReceiveCount": int(template.resolve(redrive["maxReceiveCount"])),
                    }
                )
            urls[logical_id] = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
            del pending[logical_id]
    template.physical_ids.update(urls)
    return urls


def create_rules(template: Template) -> list[str]:
    """The template's EventBridge rules with SQS targets, on their buses (created before); their logical ids."""
    events = aws.client("events")
    made = []
    for logical_id, props in template.rules().items():
        targets = [
            {"Id": str(t["Id"]), "Arn": arn}
            for t in props.get("Targets", [])
            if (arn := str(template.resolve(t["Arn"]))).startswith("arn:aws:sqs:")
        ]
        if not targets or "EventPattern" not in props:
            continue
        bus = str(template.resolve(props.get("EventBusName", "default")))
        pattern = json.dumps(template.resolve_all(props["EventPattern"]))
        events.put_rule(Name=logical_id, EventBusName=bus, EventPattern=pattern, State="ENABLED")
        events.put_targets(Rule=logical_id, EventBusName=bus, Targets=targets)
        made.append(logical_id)
    return made


@dataclass
class QueueTrigger:
    """One function's SQS event: the queue it polls, how it hands the messages over."""

    function: Function
    queue: str  # the queue's logical id (its local name)
    url: str
    batch_size: int = 10
    reports_failures: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)  # what the handler's answers counted, if they do
    lock: threading.Lock = field(default_factory=threading.Lock)

    def poll(self) -> int:
        """Receive one batch and hand it to the handler; how many messages it was (0: the queue looked empty)."""
        with self.lock:
            sqs = aws.client("sqs")
            got = sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(self.batch_size, 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            messages: list[dict[str, Any]] = got.get("Messages", [])
            if not messages:
                return 0
            failed = self._invoke([self._record(m) for m in messages])
            for message in messages:
                handle = message["ReceiptHandle"]
                if message["MessageId"] in failed:  # back on the queue now (moto redrives on a later receive)
                    sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=handle, VisibilityTimeout=0)
                else:
                    sqs.delete_message(QueueUrl=self.url, ReceiptHandle=handle)
            return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as Lambda hands it to the function (one of ``Records``)."""
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn(self.queue),
            "awsRegion": REGION,
        }

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """The ids of the messages that failed (all of them when the handler raised)."""
        every = {r["messageId"] for r in records}
        try:
            answer = bridge.invoke(self.function, {"Records": records})
        except Exception:  # the whole batch failed: it comes back
            log.exception("%s failed on a batch of %s", self.function.logical_id, self.queue)
            return every
        answer = answer if isinstance(answer, dict) else {}
        counted = answer.get("outcomes")
        if isinstance(counted, dict):
            self.outcomes.update({str(k): int(v) for k, v in counted.items()})
        if not self.reports_failures:
            return set()
        failures = answer.get("batchItemFailures") or []
        ids = {str(f.get("itemIdentifier", "")) for f in failures if isinstance(f, dict)}
        return every if ids - every else ids  # an unknown identifier fails the whole batch, as in Lambda


def triggers(template: Template, functions: dict[str, Function], urls: dict[str, str]) -> list[QueueTrigger]:
    """The template's SQS events of the functions it creates, one trigger each."""
    found = []
    for logical_id, res in template.resources("AWS::Serverless::Function").items():
        for event in res["Properties"].get("Events", {}).values():
            if event.get("Type") != "SQS":
                continue
            props = event["Properties"]
            queue = props["Queue"]
            name = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue).rsplit(":", 1)[-1]
            found.append(
                QueueTrigger(
                    function=functions[logical_id],
                    queue=name,
                    url=urls[name],
                    batch_size=int(props.get("BatchSize", 10)),
                    reports_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                )
            )
    return found


def poll(found: list[QueueTrigger]) -> int:
    """Poll every trigger once; how many messages were handed over."""
    return sum(t.poll() for t in found)


def drain(found: list[QueueTrigger], max_polls: int = 10_000) -> int:
    """Poll until every trigger's queue is empty (a message that keeps failing ends in its dead-letter
    queue); how many messages were handed over."""
    total = 0
    for _ in range(max_polls):
        handed = poll(found)
        if not handed:
            return total
        total += handed
    raise RuntimeError(f"the queues were not empty after {max_polls} polls")


class Poller:
    """``make run``'s background thread: ``work`` (the stack's drain) every ``interval`` seconds."""

    def __init__(self, work: Any, interval: float = 0.5) -> None:
        self.work, self.interval = work, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="local-triggers", daemon=True)

    def start(self) -> Poller:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.work()
            except Exception:  # keep polling: one bad poll must not stop the local triggers
                log.exception("local triggers: a poll failed")
                time.sleep(self.interval)
