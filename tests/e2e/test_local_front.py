"""The local stack as a developer's tools see it: its AWS endpoint (moto) for the AWS CLI and boto3, its HTTP
front under many clients at once, and its local-only endpoints closed to any host but its own."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import boto3

from local.client import Http, wait_for

from ..support import Api

ADMIN = "u-arno"  # Arno Admin of Acme B.V.
CLIENTS = 50


def aws(http: Http, service: str) -> Any:
    """A boto3 client on the stack's AWS endpoint, as ``aws --endpoint-url ...`` is: any credentials."""
    health = http.get("/_local/health")
    assert health.status == 200, health.body
    endpoint = health.json["aws_endpoint"]
    assert urlsplit(endpoint).hostname == "127.0.0.1"
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
    )


def test_the_aws_endpoint_shows_the_running_stacks_executions_and_tables(http: Http, unique_address: str) -> None:
    # Given an invitation made over the stack's HTTP API
    answer = http.post("/accounts/acme/invitations", {"invitees": [{"email": unique_address}]}, ADMIN)
    assert answer.status == 200, answer.body
    (result,) = answer.json["results"]
    invitation_id = result["invitation_id"]
    # When a developer lists the invitation workflow's executions through the AWS endpoint
    sfn = aws(http, "stepfunctions")
    (machine,) = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "InvitationStateMachine"]

    def executions() -> set[str]:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"])
        return {e["name"] for page in pages for e in page["executions"]}

    # Then the invitation's execution is there (it is named after the invitation)
    wait_for(lambda: invitation_id in executions(), what="the invitation's execution")
    # And scanning the tables shows the seeded account and its admin, and the invitation
    ddb = aws(http, "dynamodb")
    accounts = {i["id"]["S"]: i for i in ddb.scan(TableName="AccountsTable")["Items"]}
    assert accounts["acme"]["name"]["S"] == "Acme B.V."
    users = {i["id"]["S"] for i in ddb.scan(TableName="UsersTable")["Items"]}
    assert ADMIN in users
    invitations = ddb.scan(
        TableName="InvitationsTable",
        FilterExpression="id = :id",
        ExpressionAttributeValues={":id": {"S": invitation_id}},
    )["Items"]
    assert [i["account_id"]["S"] for i in invitations] == ["acme"]


def test_fifty_clients_at_once_are_all_taken_and_answered(http: Api) -> None:
    # Given 50 clients that connect at the same instant (loopback, one thread each), Arno's ID token
    token = http.id_token(ADMIN)
    together = threading.Barrier(CLIENTS, timeout=30)
    address = urlsplit(http.base)
    paths = ["/_local/health", "/accounts/acme"]

    def client(n: int) -> tuple[float, int, Any]:
        connection = HTTPConnection(address.hostname or "", address.port, timeout=60)
        together.wait()
        started = time.monotonic()
        connection.connect()  # the server's listen backlog takes it, or the kernel drops it and it waits
        connected = time.monotonic() - started
        # When each sends its request
        connection.request("GET", paths[n % 2], headers={"Authorization": token})
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        return connected, response.status, body

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(client, range(CLIENTS), timeout=120))
    # Then every one was answered (none had its connection reset), and answered right
    assert [status for _, status, _ in answers] == [200] * CLIENTS
    assert {body.get("id") for _, _, body in answers[1::2]} == {"acme"}
    # and every connection was taken at once: none was dropped by a full listen backlog (a dropped
    # connection is tried again after a second, or reset, depending on the system)
    slowest = max(connected for connected, _, _ in answers)
    assert slowest < 0.9, f"a connection waited {slowest:.2f} s to be taken"


def test_the_local_endpoints_answer_only_requests_for_the_stacks_own_address(http: Http) -> None:
    port = urlsplit(http.base).port
    # Given a page on another name that resolves to 127.0.0.1 (DNS rebinding): its requests carry its name
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1", f"127.0.0.1.nip.io:{port}"):
        # When it reads the outbox (live invitation links) or an e-mail in it
        for path in ("/_local/outbox", "/_local/outbox/0/html", "/_local/health"):
            refused = http.get(path, Host=host)
            # Then it is refused, in the API's error shape
            assert refused.status == 403, (host, path, refused.body)
            assert refused.json["error"]["code"] == "forbidden_host"
            assert refused.json["error"]["details"] == {}
            assert "outbox" not in refused.body and "@" not in refused.body
    # and moving the stack's clock is refused too
    assert http.post("/_local/clock", {"advance_seconds": 1}, Host="evil.example").status == 403
    # While the stack's own addresses are answered
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        answer = http.get("/_local/outbox", Host=host)
        assert answer.status == 200, (host, answer.body)
        assert isinstance(answer.json, list)


def test_the_aws_endpoint_answers_only_requests_for_its_own_address(http: Http) -> None:
    # Given the stack's AWS endpoint (moto: every table and execution of the stack, readable and writable)
    endpoint = urlsplit(http.get("/_local/health").json["aws_endpoint"])
    scan = json.dumps({"TableName": "InvitationsTable"}).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.Scan",
        # the credential scope names the service (moto routes by it); the signature is not checked
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }

    def scan_as(host: str) -> tuple[int, str]:
        connection = HTTPConnection(endpoint.hostname or "127.0.0.1", endpoint.port, timeout=10)
        try:
            connection.request("POST", "/", scan, {**headers, "Host": host})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    # When a page on another name that resolves to 127.0.0.1 (DNS rebinding) scans a table through it
    for host in ("evil.example", f"evil.example:{endpoint.port}", f"127.0.0.1.nip.io:{endpoint.port}"):
        status, body = scan_as(host)
        # Then it is refused, in the API's error shape, and nothing of the table shows
        assert status == 403, (host, body)
        assert json.loads(body)["error"]["code"] == "forbidden_host" and "Items" not in body
    # While the endpoint's own address is answered (as the AWS CLI and boto3 send it)
    status, body = scan_as(f"127.0.0.1:{endpoint.port}")
    assert status == 200 and "Items" in json.loads(body), body
