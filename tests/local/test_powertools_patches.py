"""In the local stack, requests handled at the same time in one process each see their own event."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from local import patches


def _event(path: str, caller: str) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "requestContext": {"authorizer": {"claims": {"sub": caller}}, "httpMethod": "GET", "path": path},
    }


def test_two_resolvers_in_two_threads_each_read_their_own_request() -> None:
    # Given two functions' resolvers in one process (as the local stack runs them), each pausing mid-request
    patches.install()
    both_inside = threading.Barrier(2, timeout=10)
    accept, invite = APIGatewayRestResolver(), APIGatewayRestResolver()

    def seen(app: APIGatewayRestResolver, name: str) -> dict[str, Any]:
        both_inside.wait()  # the other request has been resolved meanwhile
        claims = app.current_event.request_context.authorizer.raw_event.get("claims") or {}
        return {"path": app.current_event.path, "caller": claims.get("sub"), "args": name}

    @accept.get("/accept")
    def show() -> dict[str, Any]:
        return seen(accept, "accept")

    @invite.get("/accounts/<account>")
    def account(account: str) -> dict[str, Any]:
        return seen(invite, account)

    # When both are handled at the same instant
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(accept.resolve, _event("/accept", "nobody"), None)
        second = pool.submit(invite.resolve, _event("/accounts/acme", "u-arno"), None)
        answers = [first.result(timeout=10)["body"], second.result(timeout=10)["body"]]
    # Then each answered from its own event and its own route arguments
    assert '"path":"/accept"' in answers[0] and '"caller":"nobody"' in answers[0]
    assert '"path":"/accounts/acme"' in answers[1] and '"caller":"u-arno"' in answers[1]
    assert '"args":"acme"' in answers[1]
