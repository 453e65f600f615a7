"""The console's Imports section in a real browser: the history, the results file, cancelling a running import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from local.server import launched

from ..support import Api, wait_for
from ..support.browser import Tab
from .conftest import browser_seed

HOSTILE_NAME = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(scope="module")
def paced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local stack of this test's own whose imports pause ten minutes after each chunk of 100 rows: an
    import of more than 100 rows stays running after its first chunk, for as long as the test needs."""
    seed = tmp_path_factory.mktemp("imports-seed") / "seed.json"
    seed.write_text(json.dumps(browser_seed(datetime.now(UTC)), indent=1))
    with launched(seed, parameters={"ImportChunkPauseSeconds": "600"}) as url:
        yield url


def rejected_rows() -> str:
    """Two rows the invite rejects (no address in them: nobody is invited), one named like a formula."""
    out = io.StringIO()
    csv.writer(out).writerows([["email", "first_name"], ["not-an-email", HOSTILE_NAME], ["also-bad", "Bob"]])
    return out.getvalue()


def test_the_console_shows_an_organizations_imports_downloads_results_and_cancels_a_running_one(
    paced: str, open_tab: Callable[..., Tab]
) -> None:
    api = Api.over_http(paced)
    # Given a finished import of Acme's
    small = api.upload_import("u-arno", "acme", rejected_rows())
    assert small.status == 202, small.body
    path = f"/accounts/acme/invitations/imports/{small.json['id']}"
    wait_for(lambda: api.get(path, "u-arno").json["status"] == "completed", 30, "the small import to finish")
    # and one of 150 rows still running: its first chunk done, the second waiting (none is an address)
    large = api.upload_import("u-arno", "acme", "email\n" + "".join(f"nobody-{i}\n" for i in range(150)))
    assert large.status == 202, large.body
    path = f"/accounts/acme/invitations/imports/{large.json['id']}"
    wait_for(lambda: api.get(path, "u-arno").json["totals"]["processed"] == 100, 30, "the first chunk")

    # When Arno, an admin of Acme, opens the console's Imports section
    tab = open_tab(paced)
    page = tab.page
    page.goto(f"{paced}/#imports")
    page.select_option("#who", "u-arno")
    page.wait_for_selector(".flash:has-text('Signed in as Arno Admin')")
    page.wait_for_selector("#imports-list table caption:has-text('Imports of Acme B.V.')")
    # Then it lists the imports newest first, the running one with a Cancel button, the finished one without
    listed = [row.get_attribute("data-import") for row in page.locator("#imports-list tbody tr").all()]
    assert listed[:2] == [large.json["id"], small.json["id"]]
    large_row = page.locator(f"#imports-list tr[data-import='{large.json['id']}']")
    small_row = page.locator(f"#imports-list tr[data-import='{small.json['id']}']")
    assert "Running, 66%" in large_row.inner_text() and large_row.locator("button:has-text('Cancel')").count() == 1
    assert "Completed" in small_row.inner_text() and small_row.locator("button:has-text('Cancel')").count() == 0
    tab.check("console-imports")

    # When he downloads the finished import's results
    with page.expect_download() as download:
        small_row.locator("button:has-text('Download results')").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename == f"import-{small.json['id']}-results.csv"
    # Then the file has every row with its outcome, the formula-like name neutralised
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"), newline="")))
    assert [(r["row"], r["status"], r["reason"]) for r in rows] == [
        ("1", "rejected", "invalid_email"),
        ("2", "rejected", "invalid_email"),
    ]
    assert rows[0]["first_name"] == "'" + HOSTILE_NAME

    # When he cancels the running import (and confirms)
    large_row.locator("button:has-text('Cancel')").click()
    page.locator("#imports-list button:has-text('Yes, cancel it')").click()
    # Then the console says so and shows it cancelled; the API agrees
    page.wait_for_selector(".flash:has-text('Import cancelled: 0 invited, 50 rows not processed')")
    page.wait_for_selector(f"#imports-list tr[data-import='{large.json['id']}'] .status.cancelled")
    cancelled = api.get(f"/accounts/acme/invitations/imports/{large.json['id']}", "u-arno").json
    assert cancelled["status"] == "cancelled" and cancelled["totals"]["processed"] == 100
    cells = page.locator(f"#imports-list tr[data-import='{large.json['id']}'] td").all_inner_texts()
    assert cells[1:6] == ["Cancelled", "150", "100", "0", "100"]  # status, rows, processed, created, rejected
    assert page.locator(f"#imports-list tr[data-import='{large.json['id']}'] button:has-text('Cancel')").count() == 0
    tab.check("console-imports-cancelled")
