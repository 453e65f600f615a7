"""Waiting executions hold no threads (local/patches/sfn_parked_waits.py): a waitForTaskToken task parks until
SendTaskSuccess, SendTaskFailure or its heartbeat timeout, and a heartbeat keeps it waiting."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import patches
from local.stack import MOTO_CONFIG

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
ROLE = "arn:aws:iam::123456789012:role/sfn"
WAITING = 200


def machine(heartbeat_seconds: int) -> str:
    """One waitForTaskToken task (the token goes out on a queue), then Done; any error ends in Failed."""
    return json.dumps(
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": "${queue}",
                        "MessageBody": {"name.$": "$.name", "token.$": "$$.Task.Token"},
                    },
                    "HeartbeatSeconds": heartbeat_seconds,
                    "TimeoutSeconds": 31536000,
                    "ResultPath": "$.answer",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed"},
                "Failed": {"Type": "Pass", "End": True},
            },
        }
    )


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str]]:
    patches.install()
    with mock_aws(config=MOTO_CONFIG):
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="tokens")["QueueUrl"]
        yield boto3.client("stepfunctions", region_name="us-east-1"), sqs, queue


def create(sfn: Any, queue: str, name: str, heartbeat_seconds: int) -> str:
    definition = machine(heartbeat_seconds).replace("${queue}", queue)
    return str(sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"])


def tokens(sqs: Any, queue: str, count: int) -> dict[str, str]:
    """name -> task token, for the first ``count`` tasks that sent theirs."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while len(found) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            found[body["name"]] = body["token"]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert len(found) == count, f"{len(found)} of {count} tasks sent their token"
    return found


def until(predicate: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def output(sfn: Any, execution: str) -> dict[str, Any]:
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED", described
    return dict(json.loads(described["output"]))


def test_waiting_executions_hold_no_threads_and_resume_on_their_answer(aws: tuple[Any, Any, str]) -> None:
    sfn, sqs, queue = aws
    arn = create(sfn, queue, "patient", heartbeat_seconds=3600)
    before = threading.active_count()
    # Given 200 executions waiting for their task tokens
    executions = {
        f"n{i}": sfn.start_execution(stateMachineArn=arn, name=f"n{i}", input=json.dumps({"name": f"n{i}"}))[
            "executionArn"
        ]
        for i in range(WAITING)
    }
    found = tokens(sqs, queue, WAITING)
    # Then the process's threads did not grow with them (moto alone: three a waiting execution)
    assert threading.active_count() - before <= 20
    statuses = {sfn.describe_execution(executionArn=e)["status"] for e in executions.values()}
    assert statuses == {"RUNNING"}
    # When one is answered with SendTaskSuccess and another with SendTaskFailure
    sfn.send_task_success(taskToken=found["n7"], output=json.dumps({"accepted": True}))
    sfn.send_task_failure(taskToken=found["n8"], error="InvitationRevoked", cause="revoked")
    # Then each resumes with its answer, and the others still wait
    until(lambda: sfn.describe_execution(executionArn=executions["n7"])["status"] == "SUCCEEDED")
    assert output(sfn, executions["n7"])["answer"] == {"accepted": True}
    until(lambda: sfn.describe_execution(executionArn=executions["n8"])["status"] == "SUCCEEDED")
    assert output(sfn, executions["n8"])["error"]["Error"] == "InvitationRevoked"
    assert sfn.describe_execution(executionArn=executions["n9"])["status"] == "RUNNING"
    # and a stopped one ends
    sfn.stop_execution(executionArn=executions["n9"])
    until(lambda: sfn.describe_execution(executionArn=executions["n9"])["status"] == "ABORTED")


def test_a_parked_task_times_out_on_its_heartbeat_unless_heartbeats_come(aws: tuple[Any, Any, str]) -> None:
    sfn, sqs, queue = aws
    arn = create(sfn, queue, "short", heartbeat_seconds=2)
    # Given two waiting tasks with a heartbeat of 2 s
    started = time.monotonic()
    quiet, beating = (
        sfn.start_execution(stateMachineArn=arn, name=n, input=json.dumps({"name": n}))["executionArn"]
        for n in ("quiet", "beating")
    )
    found = tokens(sqs, queue, 2)
    # When one gets a heartbeat every half second for 4 s and the other none
    while time.monotonic() - started < 4:
        sfn.send_task_heartbeat(taskToken=found["beating"])
        time.sleep(0.5)
    # Then the quiet one timed out (caught as States.Timeout, as the invitation's expiry backstop catches it)
    assert output(sfn, quiet)["error"]["Error"] == "States.Timeout"
    # and the beating one still waits, until its heartbeats stop
    assert sfn.describe_execution(executionArn=beating)["status"] == "RUNNING"
    until(lambda: sfn.describe_execution(executionArn=beating)["status"] == "SUCCEEDED", seconds=10)
    assert output(sfn, beating)["error"]["Error"] == "States.Timeout"
