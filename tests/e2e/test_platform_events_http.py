"""The platform's events over the local stack's HTTP front (POST /_local/platform-events), as a developer sends
them to try the service against their platform's data."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import boto3

from local.client import Http
from tests.support.event_schemas import assert_valid


def table_item(http: Http, table: str, key: str) -> dict[str, Any] | None:
    """An item as the stack's AWS endpoint (moto) has it."""
    endpoint = http.get("/_local/health").json["aws_endpoint"]
    ddb = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    found: dict[str, Any] | None = ddb.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True).get(
        "Item"
    )
    return found


def test_events_put_on_the_platform_bus_are_applied_once_and_malformed_ones_set_aside(http: Http) -> None:
    # Given a new organization and its first member, as the platform sends them
    org_id = f"acc-e2e-{uuid.uuid4().hex[:8]}"
    org = {
        "id": org_id,
        "name": "E2E B.V.",
        "type": "organization",
        "plan": "business",
        "status": "active",
        "currency": "EUR",
        "licenses": 3,
        "version": 1,
    }
    member = {
        "id": f"u-{org_id}",
        "email": f"owner@{org_id}.example",
        "account_id": org_id,
        "role": "owner",
        "user_type": "licensed",
        "version": 1,
    }
    events = [{"detail-type": "AccountChanged", "detail": org}, {"detail-type": "UserChanged", "detail": member}]
    for event in events:
        assert_valid(event["detail-type"], event["detail"])
    # When they are posted to the local platform bus
    answer = http.post("/_local/platform-events", events)
    # Then both were applied, and the account counts its member and the license in use
    assert answer.status == 200, answer.body
    assert answer.json == {"sent": 2, "not_accepted": 0, "applied": 2, "ignored": 0, "malformed": 0, "retried": 0}
    item = table_item(http, "AccountsTable", org_id)
    assert item is not None
    assert (item["members_count"]["N"], item["licenses_used"]["N"], item["licenses_free"]["N"]) == ("1", "1", "2")
    # When the same events come again, with a malformed one
    again = http.post("/_local/platform-events", [*events, {"detail-type": "UserRemoved", "detail": {"id": 7}}])
    # Then nothing is applied twice, and the malformed one is set aside
    assert again.status == 200, again.body
    assert (again.json["applied"], again.json["ignored"], again.json["malformed"]) == (0, 2, 1)
    item = table_item(http, "AccountsTable", org_id)
    assert item is not None and item["members_count"]["N"] == "1"


def test_the_endpoint_refuses_what_is_not_a_list_of_events_and_other_hosts(http: Http) -> None:
    # Given bodies that are not a list of {"detail-type", "detail"}
    for body in ({"detail-type": "UserRemoved"}, [], [{"detail": {}}]):
        # Then each is refused, in the API's error shape
        refused = http.post("/_local/platform-events", body)
        assert refused.status == 400 and refused.json["error"]["code"] == "invalid_body", refused.body
    # And a page on another name (DNS rebinding) cannot send events at all
    port = urlsplit(http.base).port
    other = http.post("/_local/platform-events", [], Host=f"evil.example:{port}")
    assert other.status == 403 and other.json["error"]["code"] == "forbidden_host"
