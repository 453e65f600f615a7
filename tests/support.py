"""Helpers the tests share: calling handlers as API Gateway would, waiting on the real workflow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3

from local import apigw
from local.client import wait_for
from local.stack import OUTBOX, Stack
from paid_invites.config import get_settings


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Calls the functions through API-Gateway-shaped events built from the template's routes."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def call(
        self, method: str, path: str, body: Any = None, caller: str | None = None, **more: dict[str, str] | None
    ) -> Reply:
        """One request (``query``, ``headers``: as ``apigw.request`` takes them); API Gateway itself refuses
        a private route without a bearer."""
        route, event = apigw.request(self.stack.routes, method, path, body, caller, **more)
        response = apigw.unauthorized() if not route.public and not caller else self.stack.invoke(route.function, event)
        return Reply(int(response["statusCode"]), apigw.response_headers(response), response.get("body") or "")

    # the routes by name -------------------------------------------------------------------

    def invite(self, caller: str, account: str, *invitees: dict[str, Any] | str) -> Reply:
        people = [{"email": i} if isinstance(i, str) else i for i in invitees]
        return self.call("POST", f"/accounts/{account}/invitations", {"invitees": people}, caller=caller)

    def open_link(self, token: str, **query: str) -> Reply:
        return self.call("GET", "/invitations/accept", query={"token": token, **query})

    def accept(self, token: str, settlement: str | None = None, as_json: bool = False) -> Reply:
        fields = {"token": token, **({"settlement": settlement} if settlement else {})}
        if as_json:
            return self.call("POST", "/invitations/accept", fields, headers={"Accept": "application/json"})
        form = urlencode(fields)
        return self.call(
            "POST", "/invitations/accept", form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def summary(self, caller: str, account: str) -> Reply:
        return self.call("GET", f"/accounts/{account}", caller=caller)


TOKEN = re.compile(r"token=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})")


def link_token(mail: dict[str, Any]) -> str:
    found = TOKEN.search(mail["text"])
    assert found, mail["text"]
    return found.group(1)


def mail_to(address: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
    return wait_for(lambda: (m := OUTBOX.to(address)) and len(m) >= count and m, timeout, f"mail to {address}")


def invitation_token(address: str) -> str:
    """The accept token in the latest invitation e-mail to ``address``, once the workflow that sent it has
    recorded the send (task_submitted)."""
    mail = mail_to(address)[-1]
    if mail["tags"].get("kind") == "invitation" and mail["tags"].get("invitation_id"):
        task_submitted(mail["tags"]["invitation_id"])
    return link_token(mail)


def task_submitted(invitation_id: str, timeout: float = 20.0) -> None:
    """Wait until the invitation's e-mail task has returned and its workflow waits for the invitee (the
    execution's TaskSubmitted event): the send is recorded (sent_at, the "emailed" history entry, the
    reminder schedule) after the e-mail itself is out, so a test that acts on the e-mail alone races it."""
    machine = get_settings().state_machine_arn
    wait_for(
        lambda: any(e["type"] == "TaskSubmitted" for e in history(machine, invitation_id)),
        timeout,
        f"invitation {invitation_id}'s workflow to wait for the invitee",
    )


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The execution named ``name`` (an invitation's id, an import's) of the state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def history(state_machine_arn: str, name: str) -> list[dict[str, Any]]:
    """The events of that execution, oldest first."""
    arn = execution_arn(state_machine_arn, name)
    return list(boto3.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"])


def execution(stack: Stack, invitation_id: str) -> dict[str, Any]:
    arn = execution_arn(stack.state_machine_arn, invitation_id)
    return boto3.client("stepfunctions").describe_execution(executionArn=arn)


def finished(stack: Stack, invitation_id: str, timeout: float = 20.0) -> dict[str, Any]:
    return wait_for(
        lambda: (e := execution(stack, invitation_id))["status"] != "RUNNING" and e, timeout, "the execution to end"
    )


def states_entered(stack: Stack, invitation_id: str) -> list[str]:
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
