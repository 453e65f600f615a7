"""The accept link x every kind of caller: only the invited person moves the money; anyone else holding the link
(nobody signed in, another platform user, even an admin of the inviting organization) changes nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from local.stack import Stack

from ..support import Api, dump_tables, finished, invite_with_token

JAN = "jan@devries.example"
CALLERS = {"anonymous": None, "another user": "u-gwen", "an admin of the organization": "u-arno", "invitee": JAN}
REFUSED = {"anonymous": (401, "sign_in_required"), "another user": (403, "wrong_account")}
REFUSED["an admin of the organization"] = (403, "wrong_account")
ROUTES = ("GET page", "GET JSON", "POST form", "POST JSON")


def send(api: Api, route: str, token: str, caller: str | None) -> tuple[int, str]:
    if route == "GET page":
        reply = api.call("GET", "/invitations/accept", caller=caller, query={"token": token, "lang": "en"})
    elif route == "GET JSON":
        reply = api.json_call("GET", f"/invitations/accept?token={token}", caller=caller)
    elif route == "POST form":
        quote = api.quote(token, caller)  # the page's, as this caller sees it ("" when refused)
        form = urlencode({"token": token, "settlement": "refund", "lang": "en", "quote": quote})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        reply = api.call("POST", "/invitations/accept", form, caller=caller, headers=headers)
    else:
        sent = {"token": token, "settlement": "refund", "quote": api.quote(token, caller)}
        reply = api.json_call("POST", "/invitations/accept", sent, caller=caller)
    return reply.status, reply.body


@pytest.mark.reliability(kind="tenant")
@pytest.mark.parametrize("who", list(CALLERS))
@pytest.mark.parametrize("route", ROUTES)
def test_accept_route_by_caller(api: Api, stack: Stack, route: str, who: str) -> None:
    # Given Jan's invitation is out (he pays for a plan of his own: there is money to move)
    invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When this caller uses the accept route with the link
    status, body = send(api, route, token, CALLERS[who])
    if who in REFUSED:
        # Then anyone but the invitee is refused, sees no money, and nothing changed
        expected, code = REFUSED[who]
        assert status == expected, body
        if "JSON" in route:
            assert f'"{code}"' in body
        assert "amount_minor" not in body and "visa" not in body.lower()
        assert dump_tables(stack) == before
    else:
        # Then the invitee sees the offer (GET) or accepts (POST), and the workflow settles it
        assert status == 200, body
        if route.startswith("POST"):
            assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
        else:
            assert dump_tables(stack) == before
