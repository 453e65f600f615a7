"""The local stack's moto patches: a cancelled DynamoDB transaction puts back exactly what it touched; a task
token answered before its task's heartbeat waiter exists still reaches the execution."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import patches

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def ddb() -> Iterator[Any]:
    patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for key, n in (("a", "1"), ("b", "1"), ("other", "1")):
            client.put_item(TableName="t", Item={"id": {"S": key}, "n": {"N": n}})
        yield client


def items(ddb: Any) -> dict[str, str]:
    return {i["id"]["S"]: i["n"]["N"] for i in ddb.scan(TableName="t")["Items"]}


def update(key: str, value: str, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "TableName": "t",
        "Key": {"id": {"S": key}},
        "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": {"N": value}},
    }
    if condition:
        op["ConditionExpression"] = condition
    return {"Update": op}


def test_a_committed_transaction_writes_everything(ddb: Any) -> None:
    ddb.transact_write_items(
        TransactItems=[update("a", "2"), {"Put": {"TableName": "t", "Item": {"id": {"S": "new"}, "n": {"N": "9"}}}}]
    )
    assert items(ddb) == {"a": "2", "b": "1", "other": "1", "new": "9"}


def test_a_cancelled_transaction_puts_back_what_it_touched_and_nothing_else(ddb: Any) -> None:
    # Given a transaction whose last condition fails after its first writes were applied
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                update("a", "2"),
                {"Put": {"TableName": "t", "Item": {"id": {"S": "new"}, "n": {"N": "9"}}}},
                update("b", "2", condition="n = :v"),  # n is 1, not 2
            ]
        )
    # Then it reports the failed condition, as moto does
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    # and the table is as before: the update undone, the new item gone, the untouched item untouched
    assert items(ddb) == {"a": "1", "b": "1", "other": "1"}


def test_a_table_is_still_deep_copied_outside_a_transaction() -> None:
    patches.install()
    from moto.dynamodb.models.table import Table

    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends["123456789012"]["us-east-1"].tables["t"]
        clone = copy.deepcopy(table)
        assert isinstance(clone, Table) and clone is not table and clone.items is not table.items


@pytest.mark.parametrize("answer_first", [True, False], ids=["answered before the waiter", "answered after"])
def test_a_task_token_answered_while_its_function_runs_reaches_the_waiting_task(answer_first: bool) -> None:
    patches.install()
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, CallbackOutcomeSuccess

    # Given a waitForTaskToken task's token (moto registers it before it invokes the task's function)
    endpoint = CallbackEndpoint("token-1")
    answer = CallbackOutcomeSuccess("token-1", '{"accepted": true}')
    # When SendTaskSuccess comes in while the function still runs (before moto sets up the heartbeat waiter),
    # or once the task waits
    if answer_first:
        endpoint.notify(answer)
    heartbeat = endpoint.setup_heartbeat_endpoint(heartbeat_seconds=1)
    if not answer_first:
        endpoint.notify(answer)
    # Then the task's wait ends at once with that answer (unpatched, the first case waits out the heartbeat)
    assert heartbeat.clear_and_wait() is True
    assert endpoint.get_outcome() is answer


@pytest.mark.parametrize("again", ["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"])
def test_a_task_token_that_was_answered_is_closed(again: str) -> None:
    patches.install()
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackConsumerTimeout,
        CallbackNotifyConsumerError,
        CallbackOutcomeFailure,
        CallbackOutcomeSuccess,
        CallbackPoolManager,
    )

    # Given a waiting task's token that SendTaskSuccess answered
    pool = CallbackPoolManager(activity_store={})
    endpoint = pool.add("token-1")
    endpoint.setup_heartbeat_endpoint(heartbeat_seconds=60)
    first = CallbackOutcomeSuccess("token-1", '{"accepted": true}')
    assert pool.heartbeat("token-1") is True  # (while it waits, a heartbeat is taken)
    assert pool.notify("token-1", first) is True
    # When the token is used again
    with pytest.raises(CallbackNotifyConsumerError) as refused:
        if again == "SendTaskHeartbeat":
            pool.heartbeat("token-1")
        elif again == "SendTaskFailure":
            pool.notify("token-1", CallbackOutcomeFailure("token-1", "InvitationRevoked", "revoked"))
        else:
            pool.notify("token-1", CallbackOutcomeSuccess("token-1", '{"accepted": false}'))
    # Then it is refused as Step Functions refuses it (TaskTimedOut), and the first answer stands
    assert isinstance(refused.value.callback_consumer_error, CallbackConsumerTimeout)
    assert endpoint.get_outcome() is first
