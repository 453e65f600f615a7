"""The console's Users tab in a real browser: the organization's members, read through the members API."""

from __future__ import annotations

from collections.abc import Callable

from ..support import Api, wait_for
from ..support.browser import Tab


def test_the_console_lists_the_organizations_members_and_searches_them_by_email(
    live: str, open_tab: Callable[..., Tab]
) -> None:
    # Given Olga, the owner of Acme, signed in to the console
    tab = open_tab(live)
    page = tab.page
    page.goto(f"{live}/#users")
    page.select_option("#who", "u-olga")
    page.wait_for_selector(".flash:has-text('Signed in as Olga Owner')")
    # When she looks at the Users tab
    page.wait_for_selector("#list table caption:has-text('Members of Acme B.V.')")
    # Then it shows Acme's members as the API lists them, by e-mail, and whom she may remove (not herself)
    listed = Api.over_http(live).members("u-olga", "acme", limit="50").json["members"]
    cells = page.locator("#list tbody tr td:nth-child(2)")
    assert cells.all_inner_texts() == [m["email"] for m in listed]
    assert "gwen@globex.example" not in tab.text("#list")
    assert page.locator("#list tr:has-text('olga@acme.example') button:has-text('Remove')").count() == 0
    assert page.locator("#list tr:has-text('mia@acme.example') button:has-text('Remove')").count() == 1
    tab.check("console-members")

    # When she searches by the start of an address (any case)
    page.fill("#email-prefix", "MI")
    # Then only the members whose address starts with it are left
    emails = page.locator("#list tbody tr td:nth-child(2)")
    wait_for(lambda: "arno@acme.example" not in tab.text("#list") and emails.count(), 20, "the list to narrow")
    assert emails.all_inner_texts() == ["mia@acme.example"]
    tab.check("console-members-search")
