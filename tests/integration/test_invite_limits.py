"""The configurable limits on inviting: per request, open invitations per account, invitations per day."""

from __future__ import annotations

import pytest

from local.stack import Stack

from ..support import Api

ADMIN, ACCOUNT = "u-arno", "acme"


def people(n: int, prefix: str = "person") -> list[dict[str, str]]:
    return [{"email": f"{prefix}{i}@example.org", "user_type": "basic"} for i in range(n)]


@pytest.mark.parametrize("parameters", [{"MaxInviteesPerRequest": "3"}])
def test_more_invitees_than_a_request_may_carry_are_refused_whole(api: Api, parameters: dict[str, str]) -> None:
    reply = api.invite(ADMIN, ACCOUNT, *people(4))
    assert reply.status == 400
    assert reply.json["error"]["code"] == "too_many_invitees"
    assert api.call("GET", f"/accounts/{ACCOUNT}/invitations", caller=ADMIN).json["invitations"] == []


@pytest.mark.parametrize("parameters", [{"MaxPendingInvitations": "3"}])
def test_open_invitations_per_account_are_capped(api: Api, stack: Stack, parameters: dict[str, str]) -> None:
    # Given two open invitations already
    assert [r["status"] for r in api.invite(ADMIN, ACCOUNT, *people(2)).json["results"]] == ["created"] * 2
    # When three more are asked for, only one fits
    results = api.invite(ADMIN, ACCOUNT, *people(3, "more")).json["results"]
    assert [r.get("reason") for r in results] == [None, "pending_limit_reached", "pending_limit_reached"]
    # Then revoking one makes room again
    first = api.call("GET", f"/accounts/{ACCOUNT}/invitations", caller=ADMIN).json["invitations"][-1]
    assert api.call("DELETE", f"/accounts/{ACCOUNT}/invitations/{first['id']}", caller=ADMIN).status == 200
    assert api.invite(ADMIN, ACCOUNT, *people(1, "again")).json["results"][0]["status"] == "created"


@pytest.mark.parametrize("parameters", [{"MaxInvitationsPerDay": "4"}])
def test_invitations_per_day_are_capped_and_the_count_starts_again_tomorrow(
    api: Api, stack: Stack, parameters: dict[str, str]
) -> None:
    assert len([r for r in api.invite(ADMIN, ACCOUNT, *people(3)).json["results"] if r["status"] == "created"]) == 3
    results = api.invite(ADMIN, ACCOUNT, *people(3, "later")).json["results"]
    assert [r.get("reason") for r in results] == [None, "daily_limit_reached", "daily_limit_reached"]
    stack.clock.advance(24 * 3600)
    assert api.invite(ADMIN, ACCOUNT, *people(1, "tomorrow")).json["results"][0]["status"] == "created"
