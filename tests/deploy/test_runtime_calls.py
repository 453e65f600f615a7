"""What each function does at run time, held against what template.yaml gives that function on AWS.

moto checks no IAM, and the local stack runs every function in one process with the union of their
environments: a missing permission or variable passes locally and fails (or silently falls back to a
default) on AWS. So the story runs on the local stack while we record, per function, every AWS call
it makes and every setting it reads; then each call must be allowed by that function's own role, and
each setting must be set in that function's own environment.
"""

from __future__ import annotations

import contextvars
import fnmatch
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import botocore.client
import pytest

from local import bridge, platform_bus
from local.stack import Stack
from local.template import Template
from paid_invites.config import Settings

from ..support import Api, finished, invitation_token
from ..support.faults import breaks

CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("function", default=None)
SETTINGS = {f.name for f in fields(Settings)}
TASK_MACHINE = "<the state machine whose task waits for the token>"


@dataclass
class Recording:
    calls: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    settings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def iam_requests(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (IAM action, resource name as the local stack names it) pairs one API call needs."""
    if service == "dynamodb":
        if operation == "BatchGetItem":
            return [("dynamodb:BatchGetItem", table) for table in params["RequestItems"]]
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                (f"dynamodb:{kinds[kind]}", body["TableName"])
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        resource = params["TableName"] + (f"/index/{params['IndexName']}" if params.get("IndexName") else "")
        return [(f"dynamodb:{operation}", resource)]
    if service == "stepfunctions":
        # Task-token calls name no ARN: Step Functions authorizes them against the task's state machine
        arn = params.get("stateMachineArn") or params.get("executionArn") or TASK_MACHINE
        return [(f"states:{operation}", arn)]
    if service == "events":
        return [("events:PutEvents", entry.get("EventBusName", "default")) for entry in params["Entries"]]
    if service == "sqs" and params.get("QueueUrl"):
        return [(f"sqs:{operation}", f"arn:aws:sqs:us-east-1:123456789012:{params['QueueUrl'].rsplit('/', 1)[-1]}")]
    if service == "secretsmanager" and params.get("SecretId"):
        return [(f"secretsmanager:{operation}", params["SecretId"])]
    if service == "sesv2" and operation == "SendEmail":
        needed = [("ses:SendEmail", f"identity:{params['FromEmailAddress']}")]
        if params.get("ConfigurationSetName"):
            needed.append(("ses:SendEmail", f"configuration-set/{params['ConfigurationSetName']}"))
        return needed
    return [(f"{service}:{operation}", "?")]


@pytest.fixture
def recording(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recording]:
    seen = Recording()
    invoke = bridge.invoke

    def invoke_as(fn: Any, event: dict[str, Any]) -> Any:
        token = CURRENT.set(fn.logical_id)
        try:
            return invoke(fn, event)
        finally:
            CURRENT.reset(token)

    make_api_call = botocore.client.BaseClient._make_api_call

    def record_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        function = CURRENT.get()
        if function:
            service = client.meta.service_model.service_name
            seen.calls[function].update(iam_requests(service, operation, params))
        return make_api_call(client, operation, params)

    def record_setting(settings: Settings, name: str) -> Any:
        function = CURRENT.get()
        # (comparing two Settings, as models.bind does, reads every field without using any)
        if function and name in SETTINGS and sys._getframe(1).f_code.co_name != "__eq__":
            seen.settings[function].add(name)
        return object.__getattribute__(settings, name)

    monkeypatch.setattr(bridge, "invoke", invoke_as)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record_call)
    monkeypatch.setattr(Settings, "__getattribute__", record_setting)
    yield seen


def run_the_story(api: Api, stack: Stack) -> None:
    """Invite, list, summary, accept with a refund (settle, notify), resend, revoke, the scheduled run (which
    settles an acceptance whose workflow's settle step failed)."""
    invitees = ("jan@devries.example", "fleur@bakker.example", "piet@jansen.example", "kees@visser.example")
    reply = api.invite("u-arno", "acme", *invitees)
    assert reply.status == 200, reply.body
    ids = {r["email"]: r["invitation_id"] for r in reply.json["results"] if r["status"] == "created"}
    assert len(ids) == 4, reply.body
    assert api.call("GET", "/accounts/acme/invitations", caller="u-olga").status == 200
    token = invitation_token("jan@devries.example")
    assert api.open_link(token).status == 200
    assert api.accept(token, "refund").status == 200
    assert finished(stack, ids["jan@devries.example"])["status"] == "SUCCEEDED"
    assert api.summary("u-olga", "acme").status == 200
    kees = invitation_token("kees@visser.example")
    with breaks("SettleProrationFunction", lambda: RuntimeError("injected: the settle function is broken")):
        assert api.accept(kees, "credit").status == 200
        assert finished(stack, ids["kees@visser.example"])["status"] == "FAILED"
    invitation_token("fleur@bakker.example")  # its workflow waits for the invitee now
    fleur = f"/accounts/acme/invitations/{ids['fleur@bakker.example']}"
    stack.clock.advance(seconds=24 * 3600)  # past the resend cool-down
    assert api.call("POST", f"{fleur}/resend", caller="u-olga").status == 200
    assert api.call("GET", fleur, caller="u-olga").status == 200
    invitation_token("piet@jansen.example")
    piet = f"/accounts/acme/invitations/{ids['piet@jansen.example']}"
    assert api.call("DELETE", piet, caller="u-olga").status == 200
    assert stack.invoke("SweepFunction", {})["counts"]["settled"] == 1
    assert api.members("u-olga", "acme", user_type="basic").status == 200
    assert api.remove_member("u-olga", "acme", "u-mia").status == 200  # a transaction, then MemberRemoved
    # the platform: a user moves (two accounts' counters), an invoice is paid, and a malformed event is set aside
    moved = {"id": "u-gwen", "email": "gwen@globex.example", "account_id": "acc-fleur", "version": 2}
    paid = {"id": "inv-piet-1", "account_id": "acc-piet", "amount_minor": 1499, "currency": "EUR", "status": "paid"}
    answer = platform_bus.put(
        stack,
        [("UserChanged", moved), ("InvoiceChanged", {**paid, "version": 2}), ("InvoiceChanged", paid)],
    )
    assert (answer["applied"], answer["malformed"]) == (2, 1), answer


@dataclass(frozen=True)
class Grant:
    actions: list[str]
    resources: list[str]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(action, a) for a in self.actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in self.resources
        )


def grants(template: Template, function: str) -> list[Grant]:
    """The statements of the function's role, resources resolved the way the local stack names them."""
    fn = template.doc["Resources"][function]["Properties"]
    role = template.doc["Resources"][fn["Role"]["Fn::GetAtt"][0]]
    found = []
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found.append(Grant(actions, [local_name(template, r) for r in resources]))
    return found


def local_name(template: Template, resource: Any) -> str:
    """A resource of a statement as iam_requests names it: tables and indexes by local name, SES by identity."""
    text = str(template.resolve(resource))
    if ":ses:" in text:
        return text.split(":", 5)[5].replace("identity/", "identity:")
    return text


def waiting_machines(template: Template) -> list[str]:
    """The state machines with a task that waits for a token (the ones SendTask* calls are about)."""
    found = []
    for logical_id, res in template.resources("AWS::Serverless::StateMachine").items():
        if ".waitForTaskToken" in (template.path.parent / res["Properties"]["DefinitionUri"]).read_text():
            found.append(str(template.resolve({"Ref": logical_id})))
    return found


def allowed(template: Template, function: str, action: str, resource: str) -> bool:
    rules = grants(template, function)
    if resource == TASK_MACHINE:
        return any(g.allows(action, machine) for g in rules for machine in waiting_machines(template))
    if action == "ses:SendEmail" and resource.startswith("identity:"):
        address = resource.removeprefix("identity:")
        domain = "identity:" + address.rsplit("@", 1)[-1]
        return any(g.allows(action, resource) or g.allows(action, domain) for g in rules)
    return any(g.allows(action, resource) for g in rules)


def test_every_call_a_function_makes_is_allowed_by_its_own_role(api: Api, stack: Stack, recording: Recording) -> None:
    # Given the story, run on the local stack with every function's AWS calls recorded
    run_the_story(api, stack)
    template = stack.template
    called = set(recording.calls)
    assert {"InviteFunction", "AcceptFunction", "InvitationTasksFunction", "SettleProrationFunction"} <= called
    # Then each function's own role allows each call it made
    denied = {
        function: sorted(c for c in calls if not allowed(template, function, *c))
        for function, calls in recording.calls.items()
    }
    assert {f: c for f, c in denied.items() if c} == {}
    # and a call outside the role would have been caught (the check can fail)
    assert not allowed(template, "AcceptFunction", "dynamodb:PutItem", "LedgerTable")


def test_every_setting_a_function_reads_is_set_in_its_own_environment(
    api: Api, stack: Stack, recording: Recording
) -> None:
    # Given the story, with every function's reads of paid_invites.config.Settings recorded
    run_the_story(api, stack)
    assert recording.settings, "no setting was read: the recording is broken"
    # Then each setting a function read is in that function's environment in template.yaml
    # (the local stack gives every function the union of all environments, so only this catches it)
    missing = {
        function: sorted(name.upper() for name in names if name.upper() not in stack.functions[function].environment)
        for function, names in recording.settings.items()
    }
    assert {f: m for f, m in missing.items() if m} == {}
