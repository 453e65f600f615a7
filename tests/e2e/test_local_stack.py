"""The product as a newcomer runs it: the local stack in its own process, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.demo import tell

from ..support import Api, delivered, invite_one
from .conftest import started


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """The API client over HTTP to a stack of its own, fresh from the seed (the demo invites the seed's people)."""
    for url in started():
        yield Api.over_http(url)


def test_the_demo_tells_the_whole_story(api: Api) -> None:
    # Given a running local stack with the seed; When the demo runs against it
    shown = tell(api.base)
    # Then both invitations were created, the paid invitee's credit reached the organization,
    # the free one had nothing to settle, and both moves were announced
    assert [r["status"] for r in shown["invited"]["results"]] == ["created", "created"]
    summary = shown["summary"]
    assert summary["credit"]["amount_minor"] > 0
    assert summary["balance_due"]["amount_minor"] == 0
    assert sorted(e["kind"] for e in summary["ledger"]) == ["credit_transferred", "subscription_cancelled"]
    accepted = [e for e in shown["events"] if e["detail-type"] == "InvitationAccepted"]
    assert len(accepted) == 2


def test_admin_routes_need_credentials_as_api_gateway_would_demand(api: Api) -> None:
    assert api.call("GET", "/accounts/acme").status == 401
    reply = api.call("GET", "/accounts/acme", caller="u-gwen")
    assert reply.status == 404 and reply.json["error"]["code"] == "not_found"


def test_unknown_routes_and_methods_are_refused(api: Api) -> None:
    assert api.call("GET", "/nope").status == 404
    assert api.call("DELETE", "/invitations/accept").status == 405


def test_a_bad_link_gets_a_readable_page_with_security_headers(api: Api) -> None:
    page = api.call("GET", "/invitations/accept?token=%3Cscript%3E")
    assert page.status == 404
    assert "<script>" not in page.body
    assert "not valid" in page.body
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_outbox_lists_what_was_sent(api: Api) -> None:
    invite_one(api, "outbox-check@example.org", caller="u-olga", user_type="basic")
    (mail,) = delivered(api, "outbox-check@example.org")
    assert set(mail) >= {"to", "subject", "text", "html"}
    assert "Olga Owner" in mail["subject"] and "/invitations/accept?token=" in mail["text"]
