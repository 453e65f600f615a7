"""Every CSV the service writes: a cell a spreadsheet would evaluate is written as the text it is."""

from __future__ import annotations

import csv
import io

import pytest

from paid_invites.csv_export import BOM, safe_cell, write


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")', id="equals"),
        pytest.param("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", id="plus"),
        pytest.param("-1+1", "'-1+1", id="minus"),
        pytest.param("@SUM(1)", "'@SUM(1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("\uff1d1+1", "'\uff1d1+1", id="full-width-equals"),
        pytest.param("Jan", "Jan", id="a-name"),
        pytest.param("jan@devries.example", "jan@devries.example", id="an-address"),
        pytest.param("de Vries-Bakker", "de Vries-Bakker", id="a-dash-inside"),
        pytest.param("", "", id="empty"),
        pytest.param(None, "", id="none"),
        pytest.param(17, "17", id="a-number"),
    ],
)
def test_a_cell_that_starts_a_formula_gets_a_quote_in_front_and_others_stay_as_they_are(
    value: object, written: str
) -> None:
    # Given a value, When it is written as a cell, Then it is the text with a quote in front only if needed
    assert safe_cell(value) == written


def test_a_file_reads_back_cell_by_cell_with_no_cell_a_spreadsheet_evaluates() -> None:
    # Given rows with formulas, delimiters, quotes and line breaks in their cells
    rows = [[1, "=1+1", 'Kees, "de baas"', "line\nbreak"], [2, "@x", "-", "\r\n=2"]]
    # When they are written
    text = write(["row", "a", "b", "c"], rows)
    # Then the file starts with a BOM and reads back to the same cells, neutralised where they had to be
    assert text.startswith(BOM) and text.endswith("\r\n")
    read = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert read == [
        ["row", "a", "b", "c"],
        ["1", "'=1+1", 'Kees, "de baas"', "line\nbreak"],
        ["2", "'@x", "'-", "'\r\n=2"],
    ]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in read for cell in row)
