"""Reading the workflows and tables of an in-process stack: executions, their histories, every item."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local.client import wait_for
from local.stack import Stack


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The execution named ``name`` (an invitation's id, an import's) of the state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def history(state_machine_arn: str, name: str, sfn: Any = None) -> list[dict[str, Any]]:
    """The events of that execution, oldest first, every page of them (``sfn``: the Step Functions client to
    ask, a fresh one by default)."""
    sfn = sfn or boto3.client("stepfunctions")
    arn = execution_arn(state_machine_arn, name)
    events: list[dict[str, Any]] = []
    more: dict[str, str] = {}
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **more)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        more = {"nextToken": page["nextToken"]}


def execution(stack: Stack, invitation_id: str, sfn: Any = None) -> dict[str, Any]:
    """The invitation's workflow execution, as DescribeExecution answers (``sfn``: as for ``history``)."""
    arn = execution_arn(stack.state_machine_arn, invitation_id)
    found: dict[str, Any] = (sfn or boto3.client("stepfunctions")).describe_execution(executionArn=arn)
    return found


def finished(stack: Stack, invitation_id: str, timeout: float = 20.0, sfn: Any = None) -> dict[str, Any]:
    """The invitation's workflow execution once it has ended (fails after ``timeout``)."""
    ended: dict[str, Any] = wait_for(
        lambda: (e := execution(stack, invitation_id, sfn))["status"] != "RUNNING" and e,
        timeout,
        f"the execution of {invitation_id} to end",
    )
    return ended


def states_entered(stack: Stack, invitation_id: str) -> list[str]:
    """The names of the states the invitation's workflow entered, in order."""
    events = history(stack.state_machine_arn, invitation_id)
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def dump_tables(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table of the template: for "nothing changed" assertions."""
    ddb = boto3.client("dynamodb")
    return {
        name: sorted(
            (ddb.scan(TableName=name, ConsistentRead=True)["Items"]), key=lambda i: json.dumps(i, sort_keys=True)
        )
        for name in stack.template.tables()
    }
