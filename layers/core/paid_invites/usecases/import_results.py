"""An import's per-row results as a CSV file to download: every row of the file with its outcome.

The file is written by :mod:`paid_invites.csv_export` (a cell that could start a formula is neutralised).
A row's ``status`` is ``created`` or ``rejected`` (``reason``: the single invite's code), ``not_processed``
(the import failed or was cancelled before its chunk began) or ``waiting`` (the import runs and has not
reached it yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import csv_export
from ..store import import_records as store
from .access import own_import

HEADER = (
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
)


@dataclass(frozen=True)
class ResultsFile:
    filename: str
    text: str


def results_csv(caller_id: str | None, account_id: str, import_id: str) -> ResultsFile:
    _caller, record = own_import(caller_id, account_id, import_id)
    chunks = store.read([], [(record.id, n) for n in range(record.chunks)])
    stopped = record.status in (store.FAILED, store.CANCELLED)
    lines: list[list[Any]] = []
    for chunk in chunks:
        if not isinstance(chunk, store.Chunk):
            continue
        outcome = {r["row"]: r for r in chunk.results or []} if chunk.done else {}
        for row in chunk.rows:
            lines.append(_line(row, outcome.get(row["row"]), stopped))
    return ResultsFile(f"import-{record.id}-results.csv", csv_export.write(HEADER, lines))


def _line(row: dict[str, Any], result: dict[str, Any] | None, stopped: bool) -> list[Any]:
    found = result or {"status": "not_processed" if stopped else "waiting"}
    return [
        row["row"],
        found.get("email") or row["email"],
        row.get("first_name", ""),
        row.get("last_name", ""),
        row.get("user_type", ""),
        row.get("role", ""),
        found["status"],
        found.get("reason", ""),
        found.get("invitation_id", ""),
        ";".join(found.get("warnings") or []),
    ]
