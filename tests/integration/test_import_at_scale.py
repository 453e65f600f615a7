"""The reference product's limit, end to end: a 9,999-row CSV is accepted at once and completes with per-row results.

Everything on the import's path is the real thing on moto: the upload and its checks, the chunk items, the
import workflow's Map with its pause state, the ImportRows function, ``service.invite`` (reads, license and
pending checks, transactions) and one StartExecution per created invitation.

What is not: the invitation workflow those StartExecutions start is swapped for one that ends at once, so that
this test stays within a few minutes. The whole import with the real workflow (9,999 executions waiting for
their invitees, parked by local/patches/sfn_parked_waits.py) is measured by bench/import_scale.py; that
workflow is what tests/integration/test_workflow.py and test_import.py exercise.
Measured here: 40-50 s and 0.54 GB on an idle 2-core machine, up to 3 minutes when it is busy (docs/import.md).
"""

from __future__ import annotations

import json
import time

import boto3

from local.stack import Stack

from ..support import Api, execution_arn

ADMIN, ACCOUNT = "u-arno", "acme"
ROWS = 9_999
ENDS_AT_ONCE = {"StartAt": "Started", "States": {"Started": {"Type": "Succeed"}}}


def test_a_9999_row_import_is_accepted_at_once_and_completes_with_per_row_results(api: Api, stack: Stack) -> None:
    # Given a file of 9,999 rows: basic users, one address twice and one that is no address
    sfn = boto3.client("stepfunctions")
    sfn.update_state_machine(stateMachineArn=stack.state_machine_arn, definition=json.dumps(ENDS_AT_ONCE))
    emails = [f"person{i}@bulk.example" for i in range(1, ROWS + 1)]
    emails[4_999] = emails[0]  # row 5000: row 1 again
    emails[-1] = "not-an-address"  # row 9999
    body = "email,first_name,last_name,user_type\r\n" + "".join(
        f"{e},Person,{n},basic\r\n" for n, e in enumerate(emails, start=1)
    )
    # When it is uploaded
    started = time.monotonic()
    reply = api.call(
        "POST", f"/accounts/{ACCOUNT}/invitations/imports", body, ADMIN, headers={"Content-Type": "text/csv"}
    )
    # Then the answer comes at once (far within API Gateway's 29 s), before any row is processed
    assert reply.status == 202, reply.body
    assert time.monotonic() - started < 29
    import_id = reply.json["id"]
    path = f"/accounts/{ACCOUNT}/invitations/imports/{import_id}"
    # and the import completes (asked once a second, as a progress bar would)
    deadline = time.monotonic() + 900
    while (done := api.call("GET", path, caller=ADMIN, query={"limit": "1"}).json)["status"] == "running":
        assert time.monotonic() < deadline, done
        time.sleep(1)
    assert done["status"] == "completed", done
    assert done["totals"] == {"rows": ROWS, "processed": ROWS, "created": ROWS - 2, "rejected": 2}
    # with a result for every row, in order, paged 1,000 at a time
    results, cursor = [], None
    while True:
        page = api.call("GET", path, caller=ADMIN, query={"limit": "1000", **({"cursor": cursor} if cursor else {})})
        results += page.json["results"]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert [r["row"] for r in results] == list(range(1, ROWS + 1))
    rejected = {r["row"]: r["reason"] for r in results if r["status"] == "rejected"}
    assert rejected == {5_000: "duplicate_in_request", 9_999: "invalid_email"}
    created = [r["invitation_id"] for r in results if r["status"] == "created"]
    assert len(set(created)) == ROWS - 2
    # and each created invitation's workflow was started, named after it
    names: set[str] = set()
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn):
        names |= {e["name"] for e in page["executions"]}
    assert names == set(created)
    # paced: the Map ran the 100 chunks with a pause state between each two
    arn = execution_arn(stack.state_machine_arns["ImportStateMachine"], import_id)
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        for e in page["events"]
        if "stateEnteredEventDetails" in e
    ]
    assert entered.count("ImportRows") == 100 and entered.count("Pause") == 99
