"""Hostile CSV uploads are refused while the file is read, quickly and in bounded memory, with a specific 4xx,
and nothing is written: no import item, no chunk, no workflow."""

from __future__ import annotations

import csv
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.stack import Stack
from paid_invites import csv_upload
from paid_invites.config import get_settings
from paid_invites.csv_upload import FileRefused

from ..support import Api, Reply, dump_tables

IMPORTS = "/accounts/acme/invitations/imports"
MILLION_SHORT_ROWS = b"email\n" + b"x\n" * 1_000_000  # 2,000,006 bytes: under the 2 MB limit


def upload(api: Api, body: bytes) -> Reply:
    return api.call("POST", IMPORTS, body, caller="u-arno", headers={"Content-Type": "text/csv"})


def import_items() -> list[dict[str, Any]]:
    """Every item of the imports table (import#... and chunk#...)."""
    return list(boto3.client("dynamodb").scan(TableName=get_settings().imports_table, ConsistentRead=True)["Items"])


def import_executions(stack: Stack) -> list[dict[str, Any]]:
    arn = stack.state_machine_arns["ImportStateMachine"]
    return list(boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"])


@pytest.fixture
def records_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many records the import's CSV reader handed out (one counter per parse)."""
    counts: list[int] = []
    real = csv.reader

    def counting(*args: Any, **kwargs: Any) -> Iterator[list[str]]:
        counts.append(0)
        for record in real(*args, **kwargs):
            counts[-1] += 1
            yield record

    monkeypatch.setattr(csv_upload.csv, "reader", counting)
    return counts


def test_a_million_rows_are_refused_after_reading_one_row_past_the_limit(records_read: list[int]) -> None:
    # Given a file of 1,000,000 short rows (just under the byte limit)
    assert len(MILLION_SHORT_ROWS) <= csv_upload.MAX_BYTES
    # When it is parsed
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        csv_upload.parse(MILLION_SHORT_ROWS, "text/csv")
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"1,000,000 rows refused in {elapsed:.3f} s, peak {peak / 1e6:.1f} MB traced")
    # Then it is too_many_rows, decided at the row after the last one allowed: the header and 10,000 rows read
    assert (refused.value.code, refused.value.status) == ("too_many_rows", 400)
    assert refused.value.details == {"max_rows": csv_upload.MAX_ROWS, "rows": csv_upload.MAX_ROWS + 1}
    assert records_read == [1 + csv_upload.MAX_ROWS + 1]
    # and in bounded memory (the file itself is 2 MB)
    assert peak < 100 * 1024 * 1024


def test_a_million_rows_uploaded_get_a_400_and_nothing_is_written(api: Api, stack: Stack) -> None:
    before = dump_tables(stack)
    started = time.perf_counter()
    reply = upload(api, MILLION_SHORT_ROWS)
    print(f"upload of 1,000,000 rows answered {reply.status} in {time.perf_counter() - started:.3f} s")
    assert reply.status == 400 and reply.json["error"]["code"] == "too_many_rows"
    assert import_items() == [] and import_executions(stack) == []
    assert dump_tables(stack) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b'""', "empty_file", id="one-empty-quoted-cell"),
        pytest.param(b'"",""\r\n,\r\n', "empty_file", id="only-blank-cells"),
        pytest.param(b",,,\n", "empty_file", id="commas"),
        pytest.param(b"", "empty_file", id="no-bytes"),
        pytest.param(
            (",".join(f"c{n}" for n in range(10_000)) + "\n").encode(), "too_many_columns", id="10000-columns"
        ),
        pytest.param(
            ("email," + ",".join(f"c{n}" for n in range(csv_upload.MAX_COLUMNS)) + "\nj@x.example\n").encode(),
            "too_many_columns",
            id="one-column-too-many",
        ),
        pytest.param(("email," + "n" * 101 + "\nj@x.example,1\n").encode(), "column_name_too_long", id="long-name"),
    ],
)
def test_a_file_without_a_usable_header_is_refused_and_nothing_is_written(
    api: Api, stack: Stack, body: bytes, code: str
) -> None:
    before = dump_tables(stack)
    reply = upload(api, body)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] == code and reply.json["error"]["message"]
    assert isinstance(reply.json["error"]["details"], dict)
    assert import_items() == [] and import_executions(stack) == []
    assert dump_tables(stack) == before


def test_the_widest_header_allowed_is_read_and_its_other_columns_listed() -> None:
    header = ["email", *(f"c{n}" for n in range(csv_upload.MAX_COLUMNS - 1))]
    parsed = csv_upload.parse((",".join(header) + "\nj@x.example\n").encode(), "text/csv")
    assert len(parsed.rows) == 1 and parsed.ignored_columns == header[1:]


def test_every_field_is_cut_to_its_limit_and_the_row_rejected_with_its_reason() -> None:
    long_email = "a" * 330 + "@x.example"
    body = (
        "email,first_name,last_name,user_type,role\n"
        f"{long_email},Jan,de Vries,basic,member\n"
        f"fleur@bakker.example,{'F' * 150},Bakker,{'b' * 50},{'r' * 50}\n"
        "piet@jansen.example,Piet,Jansen,,\n"
    ).encode()
    rows = csv_upload.parse(body, "text/csv").rows
    assert rows[0]["reason"] == "invalid_email" and len(rows[0]["email"]) == csv_upload.MAX_EMAIL
    assert rows[1]["reason"] == "invalid_name" and len(rows[1]["first_name"]) == csv_upload.MAX_NAME
    assert len(rows[1]["user_type"]) == len(rows[1]["role"]) == csv_upload.MAX_CHOICE
    assert "reason" not in rows[2] and (rows[2]["user_type"], rows[2]["role"]) == ("licensed", "member")
