"""Every CSV file the service writes, safe to open in a spreadsheet.

Pure: rows in, text out. A cell that begins with a character a spreadsheet reads as the start of a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return; OWASP "CSV injection", and the full-width forms
of the first four, which some spreadsheets read the same way) is written with a single quote in front, so
it shows as the text it is and is never evaluated: ``=HYPERLINK("http://x")`` becomes
``'=HYPERLINK("http://x")``. The ``csv`` module quotes what holds a delimiter, a quote or a line break.
Files begin with a UTF-8 byte order mark, which spreadsheets take as "this is UTF-8" (the import reads
it, too).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"


def safe_cell(value: object) -> str:
    """One cell as text a spreadsheet shows and never evaluates (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file (a header row, then ``rows``), every cell through :func:`safe_cell`, CRLF line ends."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
