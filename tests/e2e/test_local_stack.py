"""The product as a newcomer runs it: the local stack in its own process, spoken to over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.demo import tell
from local.server import launched

from ..conftest import SEED


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with launched(SEED) as url:
        yield url


def http(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_demo_tells_the_whole_story(base_url: str) -> None:
    # Given a running local stack with the seed; When the demo runs against it
    shown = tell(base_url)
    # Then both invitations were created, the paid invitee's credit reached the organization,
    # the free one had nothing to settle, and both moves were announced
    assert [r["status"] for r in shown["invited"]["results"]] == ["created", "created"]
    summary = shown["summary"]
    assert summary["credit"]["amount_minor"] > 0
    assert summary["balance_due"]["amount_minor"] == 0
    assert sorted(e["kind"] for e in summary["ledger"]) == ["credit_transferred", "subscription_cancelled"]
    accepted = [e for e in shown["events"] if e["detail-type"] == "InvitationAccepted"]
    assert len(accepted) == 2


def test_admin_routes_need_credentials_as_api_gateway_would_demand(base_url: str) -> None:
    status, _ = http(base_url, "GET", "/accounts/acme")
    assert status == 401
    status, body = http(base_url, "GET", "/accounts/acme", headers={"Authorization": "Bearer u-gwen"})
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_unknown_routes_and_methods_are_refused(base_url: str) -> None:
    assert http(base_url, "GET", "/nope")[0] == 404
    assert http(base_url, "DELETE", "/invitations/accept")[0] == 405


def test_a_bad_link_gets_a_readable_page_with_security_headers(base_url: str) -> None:
    req = urllib.request.Request(base_url + "/invitations/accept?token=%3Cscript%3E")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    page = refused.value
    assert page.code == 404
    html = page.read().decode()
    assert "<script>" not in html
    assert "not valid" in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_outbox_lists_what_was_sent(base_url: str) -> None:
    status, body = http(
        base_url,
        "POST",
        "/accounts/acme/invitations",
        {"invitees": [{"email": "outbox-check@example.org", "user_type": "basic"}]},
        {"Authorization": "Bearer u-olga", "Content-Type": "application/json"},
    )
    assert status == 200, body
    deadline = time.monotonic() + 20
    mails: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not mails:
        mails = [
            m for m in json.loads(http(base_url, "GET", "/_local/outbox")[1]) if m["to"] == "outbox-check@example.org"
        ]
        time.sleep(0.1)
    assert mails, "the invitation e-mail never reached the outbox"
    (mail,) = mails
    assert set(mail) >= {"to", "subject", "text", "html"}
    assert "Olga Owner" in mail["subject"] and "/invitations/accept?token=" in mail["text"]
