"""Bulk import: POST a CSV, the import workflow invites it chunk by chunk, GET shows progress and per-row results."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.stack import Stack
from paid_invites import csv_upload
from paid_invites.errors import TransientError
from paid_invites.store import import_records as import_store
from paid_invites.store import repository as repo
from paid_invites.usecases import bulk_import

from ..support import Api, Reply, dump_tables, mail_to, wait_for

OWNER, ADMIN, MEMBER, OUTSIDER = "u-olga", "u-arno", "u-mia", "u-gwen"
ACCOUNT = "acme"
IMPORTS = f"/accounts/{ACCOUNT}/invitations/imports"
CSV = {"Content-Type": "text/csv"}


def upload(api: Api, body: str | bytes, caller: str | None = ADMIN, **headers: str) -> Reply:
    return api.call("POST", IMPORTS, body, caller=caller, headers={**CSV, **headers})


def progress(api: Api, import_id: str, caller: str = ADMIN, **query: str) -> Reply:
    return api.call("GET", f"{IMPORTS}/{import_id}", caller=caller, query=query)


def finished(api: Api, import_id: str, timeout: float = 30.0, caller: str = ADMIN) -> dict[str, Any]:
    reply = wait_for(
        lambda: (r := progress(api, import_id, caller, limit="1000")) and r.json["status"] != "running" and r,
        timeout,
        "the import to finish",
    )
    return dict(reply.json)


def import_executions(stack: Stack) -> list[dict[str, Any]]:
    arn = stack.state_machine_arns["ImportStateMachine"]
    return list(boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"])


def import_ended(stack: Stack, timeout: float = 20.0) -> dict[str, Any]:
    """The one import execution, once it has ended: the import record is marked before the execution's last state."""
    return wait_for(
        lambda: len(e := import_executions(stack)) == 1 and e[0]["status"] != "RUNNING" and e[0],
        timeout,
        "the import execution to end",
    )


def rows_file(count: int, start: int = 0) -> str:
    return "email,user_type\n" + "".join(f"person{i}@bulk.example,basic\n" for i in range(start, start + count))


def cheap_rows(count: int) -> str:
    """Rows that service.invite rejects (invalid_email) without starting workflows: many chunks, quickly."""
    return "email\n" + "".join(f"nobody-{i}\n" for i in range(count))


GOOD_FILE = (
    "\ufeffE-mail,First Name,last_name,User Type,ROLE,Department\r\n"
    "jan@devries.example,Jan,de Vries,licensed,member,Sales\r\n"  # 1 pays for his own plan: invited like anyone
    "fleur@bakker.example,Fleur,Bakker,basic,,\r\n"  # 2
    '"kees@kees.example","Kees, ""de baas""",,Basic,,\r\n'  # 3 a paid account as basic: told nothing about it
    "mia@acme.example,Mia,Member,basic,member,\r\n"  # 4 already in Acme
    "not-an-email,X,Y,,,\r\n"  # 5
    "JAN@devries.example,Jan,Again,,,\r\n"  # 6 the address of row 1
    "\r\n"  # 7 blank: skipped, but counted, so numbers match the file
    "piet@jansen.example,Piet,,vip,,\r\n"  # 8
    "new.person@example.org,New,Person,,admin,\r\n"  # 9 only the owner makes admins
)


def test_a_good_file_is_invited_row_by_row_with_the_single_invites_reason_codes(api: Api, stack: Stack) -> None:
    # Given an admin's CSV with every column, a BOM, CRLF line ends, quoted cells and one column we do not know
    # When it is uploaded
    reply = upload(api, GOOD_FILE)
    # Then it is accepted at once with an import id, before any row is processed
    assert reply.status == 202, reply.body
    started = reply.json
    assert started["status"] == "running" and started["totals"]["rows"] == 8
    assert started["ignored_columns"] == ["Department"]
    # and the workflow processes the rows, and the import completes
    done = finished(api, started["id"])
    assert done["status"] == "completed" and done["progress_percent"] == 100 and done["finished_at"]
    by_row = {r["row"]: r for r in done["results"]}
    assert sorted(by_row) == [1, 2, 3, 4, 5, 6, 8, 9]
    outcome = {n: (r["status"], r.get("reason")) for n, r in by_row.items()}
    assert outcome == {
        1: ("created", None),
        2: ("created", None),
        3: ("created", None),
        4: ("rejected", "already_member"),
        5: ("rejected", "invalid_email"),
        6: ("rejected", "duplicate_in_request"),
        8: ("rejected", "invalid_user_type"),
        9: ("rejected", "role_not_allowed"),
    }
    assert "warnings" not in by_row[3]  # nothing about the invitee's own account (a paid plan) is told
    assert done["totals"] == {"rows": 8, "processed": 8, "created": 3, "rejected": 5}
    # and the created rows are real invitations with the file's names and types, each with its workflow
    jan = repo.get_invitation(by_row[1]["invitation_id"])
    kees = repo.get_invitation(by_row[3]["invitation_id"])
    assert jan is not None and (jan.email, jan.first_name, jan.last_name, jan.user_type) == (
        "jan@devries.example",
        "Jan",
        "de Vries",
        "licensed",
    )
    assert kees is not None and (kees.first_name, kees.user_type) == ('Kees, "de baas"', "basic")
    assert len(mail_to("jan@devries.example")) == 1
    assert len(import_executions(stack)) == 1


def test_a_semicolon_file_as_excel_writes_it_in_many_locales_imports_too(api: Api, stack: Stack) -> None:
    reply = upload(api, "email;first_name\nfleur@bakker.example;Fleur\n")
    assert reply.status == 202, reply.body
    (row,) = finished(api, reply.json["id"])["results"]
    assert (row["row"], row["email"], row["status"]) == (1, "fleur@bakker.example", "created")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(b"email\nj\xe9@cafe.example\n", 400, "not_utf8", id="latin-1"),
        pytest.param("email\njan@devries.example\n".encode("utf-16"), 400, "not_utf8", id="utf-16"),
        pytest.param("jan@devries.example,Jan\nfleur@bakker.example,Fleur\n", 400, "no_email_column", id="no-header"),
        pytest.param("name,role\nJan,member\n", 400, "no_email_column", id="no-email-column"),
        pytest.param("email,Email\njan@devries.example,x\n", 400, "duplicate_column", id="email-twice"),
        pytest.param('email\n"jan@devries.example\n', 400, "not_csv", id="open-quote"),
        pytest.param(b"email\n\x00\x00\x01\x02", 400, "not_csv", id="binary"),
        pytest.param(rows_file(csv_upload.MAX_ROWS + 1), 400, "too_many_rows", id="10000-rows"),
        pytest.param("email\n" + "x" * csv_upload.MAX_BYTES, 413, "file_too_large", id="over-2-MB"),
        pytest.param("", 400, "empty_file", id="empty"),
        pytest.param("\ufeff\r\n\r\n", 400, "empty_file", id="bom-and-blank-lines"),
        pytest.param("email,first_name\n\n,\n", 400, "no_rows", id="header-only"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_code_before_anything_is_created(
    api: Api, stack: Stack, body: str | bytes, status: int, code: str
) -> None:
    # Given the tables as they are
    before = dump_tables(stack)
    # When a file that cannot be imported is uploaded
    reply = upload(api, body)
    # Then it is refused with the API's error shape and a code that says why
    assert reply.status == status, reply.body
    error = reply.json["error"]
    assert error["code"] == code and error["message"]
    # and nothing was created: no import, no invitation, no workflow
    assert dump_tables(stack) == before
    assert import_executions(stack) == []


def test_the_limits_are_exactly_the_documented_ones(api: Api, stack: Stack) -> None:
    refused = upload(api, rows_file(csv_upload.MAX_ROWS + 1))
    assert refused.json["error"]["details"] == {"max_rows": 9_999, "rows": 10_000}
    # a file of exactly 9,999 rows is taken (processing it is the e2e test's job)
    parsed = csv_upload.parse(rows_file(csv_upload.MAX_ROWS).encode(), "text/csv; charset=utf-8")
    assert len(parsed.rows) == 9_999 and parsed.rows[-1]["row"] == 9_999


def test_a_file_not_sent_as_csv_is_refused(api: Api, stack: Stack) -> None:
    reply = upload(api, "email\njan@devries.example\n", **{"Content-Type": "application/json"})
    assert reply.status == 415 and reply.json["error"]["code"] == "unsupported_media_type"
    assert import_executions(stack) == []


@pytest.mark.parametrize(("caller", "status"), [(MEMBER, 403), (OUTSIDER, 404), (None, 401)])
def test_only_an_owner_or_admin_of_the_account_imports(api: Api, stack: Stack, caller: str | None, status: int) -> None:
    before = dump_tables(stack)
    reply = upload(api, "email\nfleur@bakker.example\n", caller=caller)
    assert reply.status == status, reply.body
    assert set(reply.json) == {"error"}, reply.body  # the API's one error shape, the gateway's 401 included
    assert dump_tables(stack) == before


@pytest.mark.parametrize(("caller", "status"), [(MEMBER, 403), (OUTSIDER, 404), (None, 401)])
def test_only_an_owner_or_admin_of_the_account_sees_an_import(
    api: Api, stack: Stack, caller: str | None, status: int
) -> None:
    import_id = upload(api, "email\nfleur@bakker.example\n").json["id"]
    finished(api, import_id)
    reply = api.call("GET", f"{IMPORTS}/{import_id}", caller=caller)
    assert reply.status == status, reply.body
    # nor through another tenant's account, nor under a made-up id
    assert api.call("GET", f"/accounts/globex/invitations/imports/{import_id}", caller=OUTSIDER).status == 404
    assert progress(api, "0" * 32).status == 404


def test_an_idempotency_key_answers_a_retried_upload_with_the_same_import(api: Api, stack: Stack) -> None:
    # Given an upload sent with an Idempotency-Key
    body = "email\nfleur@bakker.example\n"
    first = upload(api, body, **{"Idempotency-Key": "import-1"})
    # When the frontend retries it (same key, same file)
    again = upload(api, body, **{"Idempotency-Key": "import-1"})
    # Then it gets the same import, and there is one import workflow, not two
    assert first.status == again.status == 202
    assert first.json["id"] == again.json["id"]
    assert len(import_executions(stack)) == 1
    # and the same key with another file is refused
    other = upload(api, "email\njan@devries.example\n", **{"Idempotency-Key": "import-1"})
    assert other.status == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    finished(api, first.json["id"])


class TestProgress:
    @pytest.fixture
    def parameters(self) -> dict[str, str]:
        return {"ImportChunkPauseSeconds": "6"}  # the pacing, short: time to look between chunks, even when busy

    def test_progress_shows_the_chunks_done_so_far_and_pages_through_the_results(self, api: Api, stack: Stack) -> None:
        # Given a file of two chunks (150 rows), paced 6 seconds apart
        import_id = upload(api, cheap_rows(150)).json["id"]
        # When the first chunk is done and the workflow pauses
        half = wait_for(
            lambda: (r := progress(api, import_id, limit="1000")) and r.json["totals"]["processed"] == 100 and r,
            what="the first chunk",
        ).json
        # Then the import runs, at 66 %, with the first 100 results, and a cursor where the rest will be
        assert half["status"] == "running" and half["progress_percent"] == 66
        assert [r["row"] for r in half["results"]] == list(range(1, 101))
        assert half["next_cursor"]
        assert progress(api, import_id, cursor=half["next_cursor"]).json["results"] == []
        # and once the second chunk is done it is completed; a page of 40 walks all 150 rows in order
        assert finished(api, import_id)["totals"] == {"rows": 150, "processed": 150, "created": 0, "rejected": 150}
        rows, cursor = [], None
        while True:
            page = progress(api, import_id, limit="40", **({"cursor": cursor} if cursor else {})).json
            assert all(r["reason"] == "invalid_email" for r in page["results"])
            rows += [r["row"] for r in page["results"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert rows == list(range(1, 151))
        assert progress(api, import_id, cursor="not-a-cursor").json["error"]["code"] == "invalid_cursor"


def test_a_chunk_retried_after_it_invited_but_before_it_recorded_reports_the_rows_created_once(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first attempt at a chunk dies after service.invite created the invitations (a lost Lambda answer)
    real = import_store.finish_chunk
    calls: list[int] = []

    def finish_once_lost(*args: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("the answer was lost")
        return real(*args)

    monkeypatch.setattr(import_store, "finish_chunk", finish_once_lost)
    # When the file is imported (Step Functions retries the chunk)
    import_id = upload(api, "email,user_type\njan@devries.example,licensed\nfleur@bakker.example,basic\n").json["id"]
    done = finished(api, import_id)
    # Then the rows are reported created (not already_invited), once, with the invitations that exist
    assert len(calls) == 2
    assert [(r["row"], r["status"]) for r in done["results"]] == [(1, "created"), (2, "created")]
    assert done["totals"] == {"rows": 2, "processed": 2, "created": 2, "rejected": 0}
    pending, _ = repo.list_invitations(ACCOUNT, "pending", 50, None)
    assert sorted(i.id for i in pending) == sorted(r["invitation_id"] for r in done["results"])
    # and running the chunk once more changes nothing
    assert bulk_import.process_chunk(import_id, 0) == {"chunk": 0, "skipped": "completed"}
    assert progress(api, import_id).json["totals"] == done["totals"]


def test_an_import_whose_uploader_lost_the_right_to_invite_fails_and_says_why(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an import whose uploader is demoted while it waits between its two chunks
    first_chunk_done = False
    real = import_store.finish_chunk

    def demote_after_first(*args: Any) -> bool:
        nonlocal first_chunk_done
        result = real(*args)
        if not first_chunk_done:
            first_chunk_done = True
            boto3.client("dynamodb").update_item(
                TableName="UsersTable",
                Key={"id": {"S": ADMIN}},
                UpdateExpression="SET #r = :member",
                ExpressionAttributeNames={"#r": "role"},
                ExpressionAttributeValues={":member": {"S": "member"}},
            )
        return result

    monkeypatch.setattr(import_store, "finish_chunk", demote_after_first)
    import_id = upload(api, rows_file(2) + cheap_rows(148).removeprefix("email\n")).json["id"]
    # When the workflow reaches the second chunk
    done = finished(api, import_id, caller=OWNER)
    # Then the import failed with the refusal's code; the first chunk's rows keep their results, the rest are
    # not processed (and not invited)
    assert done["status"] == "failed"
    assert done["failure"]["code"] == "forbidden"
    assert done["totals"] == {"rows": 150, "processed": 100, "created": 2, "rejected": 98}
    statuses = [r["status"] for r in done["results"]]
    assert statuses == ["created"] * 2 + ["rejected"] * 98 + ["not_processed"] * 50
    assert import_ended(stack)["status"] == "FAILED" and len(import_executions(stack)) == 1
