"""External billing, a deploy option (``Billing``, implied by ``StripeBridge``): the settlement outcomes'
function, its queue and alarms, and the billing mode the settling functions get, as CloudFormation creates them.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.template import ROOT
from paid_invites.billing_events import OUTCOMES
from paid_invites.usecases.sweep import RunReport

from .sam import cfn_lint
from .test_stripe_bridge_template import REQUIRED, deployed

OUTCOMES_STACK = {
    "SettlementOutcomesFunction",
    "SettlementOutcomesQueue",
    "SettlementOutcomesDeadLetterQueue",
    "SettlementOutcomesRule",
    "SettlementOutcomesQueuePolicy",
    "SettlementOutcomesFunctionRole",
    "SettlementOutcomesFunctionLogGroup",
    "SettlementOutcomesFunctionErrorsAlarm",
    "SettlementOutcomesFunctionThrottlesAlarm",
    "SettlementOutcomesDeadLetterAlarm",
    "SettlementFailedAlarm",
    "SettlementLateSuccessAlarm",
    "SettlementUnansweredAlarm",
}
SETTLING = ("SettleProrationFunction", "SweepFunction")


def env(resources: dict[str, Any], function: str) -> dict[str, Any]:
    return dict(resources[function]["Properties"]["Environment"]["Variables"])


@pytest.mark.parametrize(
    ("given", "mode"),
    [({}, "builtin"), ({"Billing": "external"}, "external"), ({"StripeBridge": "true"}, "external")],
    ids=["default", "external", "stripe-bridge"],
)
def test_the_billing_mode_reaches_the_settling_functions_and_the_outcomes_stack_comes_with_external(
    given: dict[str, str], mode: str
) -> None:
    # Given the stack deployed with these parameters
    resources = deployed(**given)
    # Then the settle step and the scheduled job settle in that mode, with the answer time
    for function in SETTLING:
        assert env(resources, function)["BILLING_MODE"] == mode, function
        assert env(resources, function)["SETTLEMENT_ANSWER_SECONDS"] == "86400", function
    # and the outcomes' function, queue, rule and alarms exist exactly with external billing
    present = OUTCOMES_STACK & set(resources)
    assert present == (OUTCOMES_STACK if mode == "external" else set())


def test_outcomes_reach_the_function_from_the_platform_bus_through_a_queue_with_a_dead_letter_queue() -> None:
    resources = deployed(Billing="external")
    rule = resources["SettlementOutcomesRule"]["Properties"]
    # the rule on the platform bus matches exactly the outcomes billing_events knows, from any source
    assert rule["EventBusName"] == {"Ref": "PlatformBus"}
    assert sorted(rule["EventPattern"]["detail-type"]) == sorted(OUTCOMES) and "source" not in rule["EventPattern"]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["SettlementOutcomesQueue", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["SettlementOutcomesDeadLetterQueue", "Arn"]}}
    # the queue redrives to its dead-letter queue; the function reports the failed messages only
    redrive = resources["SettlementOutcomesQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SettlementOutcomesDeadLetterQueue", "Arn"]}
    (mapping,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "SettlementOutcomesFunction"}
    ]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["SettlementOutcomesQueue", "Arn"]}


def test_failed_late_and_unanswered_settlements_raise_alarms_on_the_metrics_the_code_emits() -> None:
    resources = deployed(Billing="external")
    handler = (ROOT / "functions" / "settlement_outcomes" / "app.py").read_text()
    watched = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace", {}) != "AWS/Lambda"
    }
    for metric in ("Settlement_failed", "Settlement_late_success"):
        assert f'"{metric}"' in handler, metric  # the outcomes' function emits it
        assert watched[metric]["Dimensions"] == [{"Name": "service", "Value": "paid-account-invites"}]
    assert "unanswered" in RunReport().counts()  # the scheduled job emits Due_unanswered
    assert watched["Due_unanswered"]["Dimensions"] == [{"Name": "service", "Value": "paid-account-invites"}]
    for metric in ("Settlement_failed", "Settlement_late_success", "Due_unanswered"):
        assert watched[metric]["AlarmActions"] == [{"Ref": "AlarmTopic"}], metric


def test_cfn_lint_is_clean_with_external_billing() -> None:
    assert cfn_lint({**REQUIRED, "Billing": "external"}) == ""
