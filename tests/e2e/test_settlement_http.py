"""The operator's settlement retry over the local stack's HTTP front (POST /_local/settlements/retry)."""

from __future__ import annotations

from urllib.parse import urlsplit

from local.client import Http


def test_the_retry_answers_only_this_host_and_says_builtin_billing_requests_nothing(http: Http) -> None:
    # Given the local stack with builtin billing (the default)
    # When the retry is asked for
    answer = http.post("/_local/settlements/retry", {"invitation_id": "0" * 32})
    # Then it says that nothing is requested of a billing system here
    assert answer.status == 409, answer.body
    assert "Billing=external" in answer.json["message"]
    # And a page on another name (DNS rebinding) cannot ask for it at all
    port = urlsplit(http.base).port
    other = http.post("/_local/settlements/retry", {"invitation_id": "0" * 32}, Host=f"evil.example:{port}")
    assert other.status == 403 and other.json["error"]["code"] == "forbidden_host"
