"""An Idempotency-Key whose request was cut off by the function's timeout runs again once that invocation's
time is up; until then the same key answers 409 request_in_progress."""

from __future__ import annotations

import time
from typing import Any

import boto3

from local.stack import Stack
from paid_invites.config import get_settings

from ..support import Api

ADMIN, ACCOUNT, JAN = "u-arno", "acme", "jan@devries.example"
KEY = {"Idempotency-Key": "frontend-timeout-1"}


def invite(api: Api) -> Any:
    body = {"invitees": [{"email": JAN}]}
    return api.call("POST", f"/accounts/{ACCOUNT}/invitations", body, caller=ADMIN, headers=KEY)


def the_record() -> dict[str, Any]:
    (item,) = boto3.client("dynamodb").scan(TableName=get_settings().idempotency_table, ConsistentRead=True)["Items"]
    return item


def cut_off(in_progress_until_ms: int) -> None:
    """Leave the key's record as a request killed by the timeout leaves it: in progress, no answer stored."""
    item = the_record()
    boto3.client("dynamodb").update_item(
        TableName=get_settings().idempotency_table,
        Key={"id": item["id"]},
        UpdateExpression="SET #s = :p, #i = :until REMOVE #d",
        ExpressionAttributeNames={"#s": "status", "#i": "in_progress_expiration", "#d": "data"},
        ExpressionAttributeValues={":p": {"S": "INPROGRESS"}, ":until": {"N": str(in_progress_until_ms)}},
    )


def test_a_request_in_progress_holds_its_key_only_for_the_invocations_time(api: Api, stack: Stack) -> None:
    # Given a request with an Idempotency-Key: its record says until when its invocation may run (its timeout)
    timeout_ms = stack.functions["InviteFunction"].timeout * 1000
    before_ms = int(time.time() * 1000)
    first = invite(api)
    assert first.status == 200 and first.json["results"][0]["status"] == "created"
    until = int(the_record()["in_progress_expiration"]["N"])
    assert before_ms + timeout_ms <= until <= int(time.time() * 1000) + timeout_ms
    # When that invocation is cut off by the timeout (the record stays in progress)
    cut_off(until)
    # Then, while its time is not up, the same key is still in progress
    busy = invite(api)
    assert busy.status == 409 and busy.json["error"]["code"] == "request_in_progress"
    # And once the invocation's time has passed, the same key runs again (not a day later)
    cut_off(int(time.time() * 1000) - 1)
    again = invite(api)
    assert again.status == 200, again.body
    # it ran again: the first run had created the invitation, so this run finds it already invited
    assert again.json["results"][0]["reason"] == "already_invited"
    assert the_record()["status"]["S"] == "COMPLETED"
