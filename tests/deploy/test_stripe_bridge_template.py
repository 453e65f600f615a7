"""The Stripe bridge, a deploy option (``StripeBridge``): what CloudFormation creates with it on and off.

Checked on the SAM translator's output with the parameters given (the translator leaves conditions in place;
they are evaluated here as CloudFormation would), and with cfn-lint for each value.
"""

from __future__ import annotations

import ast
import json
import os
from functools import cache
from typing import Any

import pytest

from local.template import ROOT, TEMPLATE

from .sam import _NoManagedPolicies, cfn_lint, package

GIVEN_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/stripe-AbCdEf"
BRIDGE = {
    "StripeBridgeFunction",
    "StripeBridgeQueue",
    "StripeBridgeDeadLetterQueue",
    "StripeBridgeRule",
    "StripeBridgeQueuePolicy",
    "StripeBridgeFunctionRole",
    "StripeBridgeFunctionLogGroup",
    "StripeBridgeFunctionErrorsAlarm",
    "StripeBridgeFunctionThrottlesAlarm",
    "StripeBridgeQueueDepthAlarm",
    "StripeBridgeDeadLetterAlarm",
}
# what `sam deploy --guided` asks for: the parameters without a default
REQUIRED = {
    "SenderAddress": "invitations@example.com",
    "SesIdentity": "example.com",
    "AcceptBaseUrl": "https://invites.example.com/invitations/accept",
    "FrontendOrigin": "https://app.example.com",
    "CognitoUserPoolArn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC",
    "CognitoDomain": "https://example.auth.eu-west-1.amazoncognito.com",
}


@cache
def deployed(**given: str) -> dict[str, Any]:
    """The resources CloudFormation creates with these parameters, conditions evaluated."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    packaged, _ = package(yaml_parse(TEMPLATE.read_text()))
    output = transform(packaged, given, _NoManagedPolicies())
    parameters = {name: str(p.get("Default", "")) for name, p in output["Parameters"].items()} | given
    conditions: dict[str, bool] = {}

    def truth(node: Any) -> bool:
        ((key, arg),) = node.items()
        if key == "Fn::Equals":
            return bool(value(arg[0]) == value(arg[1]))
        if key == "Fn::Not":
            return not truth(arg[0])
        if key == "Fn::And":
            return all(truth(a) for a in arg)
        if key == "Fn::Or":
            return any(truth(a) for a in arg)
        if key == "Condition":
            return holds(arg)
        raise KeyError(key)

    def holds(name: str) -> bool:
        if name not in conditions:
            conditions[name] = truth(output["Conditions"][name])
        return conditions[name]

    def value(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" and arg in parameters:
                return parameters[arg]
            if key == "Fn::If":
                return value(arg[1] if holds(arg[0]) else arg[2])
            return {key: value(arg)}
        if isinstance(node, dict):
            return {k: value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [value(v) for v in node]
        return node

    return {k: value(v) for k, v in output["Resources"].items() if "Condition" not in v or holds(v["Condition"])}


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- on and off


def test_the_bridge_is_there_only_when_asked_for() -> None:
    # Given the stack deployed with the default, then with the bridge
    off, on = deployed(), deployed(StripeBridge="true")
    # Then none of the bridge's resources exist by default, and all of them (and the secret) with it
    assert not {k for k in off if k.startswith(("StripeBridge", "StripeApiKey"))}
    assert BRIDGE | {"StripeApiKeySecret"} <= set(on)
    # and with a secret of your own, the stack makes none
    assert "StripeApiKeySecret" not in deployed(StripeBridge="true", StripeSecret=GIVEN_SECRET)


@pytest.mark.parametrize(
    "given",
    [{"StripeBridge": "false"}, {"StripeBridge": "true"}, {"StripeBridge": "true", "StripeSecret": GIVEN_SECRET}],
    ids=["off", "on", "on-with-own-secret"],
)
def test_cfn_lint_is_clean_with_the_bridge_on_and_off(given: dict[str, str]) -> None:
    assert cfn_lint({**REQUIRED, **given}) == ""


# ---------------------------------------------------------------- the wiring


def test_requests_reach_the_function_through_a_rule_and_a_queue_with_a_dead_letter_queue() -> None:
    resources = deployed(StripeBridge="true")
    # the rule takes the three billing requests from the service's own bus into the queue
    rule = resources["StripeBridgeRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "SettlementBus"}
    assert rule["EventPattern"] == {
        "source": ["paid-account-invites"],
        "detail-type": ["SubscriptionCancellationRequested", "ProrationRefundRequested", "CreditTransferRequested"],
    }
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["StripeBridgeQueue", "Arn"]}]
    # the queue gives up after a few receives into its dead-letter queue, and hides a message long enough
    queue = resources["StripeBridgeQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["StripeBridgeDeadLetterQueue", "Arn"]}
    assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    timeout = resources["StripeBridgeFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout  # what Lambda asks of an SQS event source
    # only the rule may send to it
    (allow,) = resources["StripeBridgeQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["StripeBridgeRule", "Arn"]}}}
    # and the function reads the queue, reporting the failed items of a batch
    (mapping,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "StripeBridgeFunction"}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["StripeBridgeQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_queue_and_its_dead_letters_are_alarmed() -> None:
    resources = deployed(StripeBridge="true")
    watched = {
        json.dumps(d["Value"])
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "AWS/SQS"
        for d in r["Properties"]["Dimensions"]
    }
    for queue in ("StripeBridgeQueue", "StripeBridgeDeadLetterQueue"):
        assert json.dumps({"Fn::GetAtt": [queue, "QueueName"]}) in watched, queue


@pytest.mark.parametrize(
    ("given", "secret"),
    [({}, {"Ref": "StripeApiKeySecret"}), ({"StripeSecret": GIVEN_SECRET}, GIVEN_SECRET)],
    ids=["created-secret", "own-secret"],
)
def test_the_role_may_read_the_one_secret_publish_on_the_platform_bus_and_take_its_queue(
    given: dict[str, str], secret: Any
) -> None:
    resources = deployed(StripeBridge="true", **given)
    fn = resources["StripeBridgeFunction"]["Properties"]
    assert fn["Environment"]["Variables"]["STRIPE_SECRET_ARN"] == secret
    grants: dict[str, list[Any]] = {}
    for statement in statements(resources["StripeBridgeFunctionRole"]):
        for action in as_list(statement["Action"]):
            grants.setdefault(action, []).extend(as_list(statement["Resource"]))
    # the one secret the function reads, nothing else of Secrets Manager
    assert {a: r for a, r in grants.items() if a.startswith("secretsmanager:")} == {
        "secretsmanager:GetSecretValue": [secret]
    }
    # outcomes go to the platform bus only
    assert grants["events:PutEvents"] == [{"Fn::GetAtt": ["PlatformBus", "Arn"]}]
    assert fn["Environment"]["Variables"]["PLATFORM_EVENT_BUS_NAME"] == {"Ref": "PlatformBus"}
    # its own queue, the ledger entry it checks, its own logs: and that is all
    queue = {"Fn::GetAtt": ["StripeBridgeQueue", "Arn"]}
    assert {a for a in grants if a.startswith("sqs:")} == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }
    assert all(grants[a] == [queue] for a in grants if a.startswith("sqs:"))
    assert grants["dynamodb:Query"] == [{"Fn::GetAtt": ["LedgerTable", "Arn"]}]
    assert set(grants) - {a for a in grants if a.startswith(("sqs:", "logs:"))} == {
        "secretsmanager:GetSecretValue",
        "events:PutEvents",
        "dynamodb:Query",
    }


def test_with_a_bus_of_your_own_the_outcomes_go_to_it() -> None:
    resources = deployed(StripeBridge="true", PlatformEventBusName="platform-events")
    fn = resources["StripeBridgeFunction"]["Properties"]
    assert fn["Environment"]["Variables"]["PLATFORM_EVENT_BUS_NAME"] == "platform-events"
    (publish,) = [s for s in statements(resources["StripeBridgeFunctionRole"]) if s["Action"] == "events:PutEvents"]
    assert "event-bus/${PlatformEventBusName}" in json.dumps(publish["Resource"])


# ---------------------------------------------------------------- the stripe package


def test_the_stripe_package_ships_with_the_bridge_only() -> None:
    # the function's own requirements pin the version the tests run with
    pinned = (ROOT / "functions" / "stripe_bridge" / "requirements.txt").read_text().split()
    dev = [line.split("#")[0].strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    assert [p for p in pinned if p.startswith("stripe==")] == [d for d in dev if d.startswith("stripe==")] != []
    # the shared layer neither ships nor imports it
    assert "stripe" not in (ROOT / "layers" / "core" / "requirements.txt").read_text().lower()
    for path in (ROOT / "layers" / "core" / "paid_invites").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            assert not any(n.split(".")[0] == "stripe" for n in names), path
