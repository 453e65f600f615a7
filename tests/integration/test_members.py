"""An organization's members through the admin API: the list (pages, filters, prefix search) and removing one."""

from __future__ import annotations

from typing import Any

from local.stack import Stack
from paid_invites.store import repository as repo

from ..support import Api, dump_tables, invite_with_token
from ..support.event_schemas import assert_valid, published
from ..support.faults import client_fault

OWNER, ADMIN, MEMBER, ACCOUNT = "u-olga", "u-arno", "u-mia", "acme"
ARNO = "arno@acme.example"


def every_page(api: Api, limit: int, **query: str) -> list[list[str]]:
    """The addresses of each page of the list, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        reply = api.members(OWNER, ACCOUNT, limit=str(limit), **query, **({"cursor": cursor} if cursor else {}))
        assert reply.status == 200, reply.body
        pages.append([m["email"] for m in reply.json["members"]])
        cursor = reply.json["next_cursor"]
        if not cursor:
            return [page for page in pages if page]


def member_removed(stack: Stack) -> list[dict[str, Any]]:
    """The MemberRemoved events that reached the service's bus since the last look."""
    return [e["detail"] for e in published(stack) if e["detail-type"] == "MemberRemoved"]


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_organizations_members_by_email_page_by_page(api: Api) -> None:
    # Given Acme's three members (and users of other accounts)
    # When the owner reads the list two at a time
    pages = every_page(api, limit=2)
    # Then the pages hold Acme's members only, in e-mail order, each once
    assert pages == [["arno@acme.example", "mia@acme.example"], ["olga@acme.example"]]
    first = api.members(OWNER, ACCOUNT).json["members"][0]
    assert first == {
        "id": ADMIN,
        "email": ARNO,
        "name": "Arno Admin",
        "role": "admin",
        "user_type": "licensed",
        "language": "nl",
    }


def test_the_list_filters_by_user_type_and_role_and_searches_by_email_prefix(api: Api) -> None:
    assert every_page(api, 1, user_type="licensed") == [[ARNO], ["olga@acme.example"]]
    assert every_page(api, 50, user_type="basic") == [["mia@acme.example"]]
    assert every_page(api, 50, role="admin") == [[ARNO]]
    assert every_page(api, 50, role="owner", user_type="licensed") == [["olga@acme.example"]]
    assert every_page(api, 50, role="member", user_type="licensed") == []
    # the prefix is trimmed and lower-cased
    assert every_page(api, 50, email_prefix=" MI") == [["mia@acme.example"]]
    assert every_page(api, 50, email_prefix="gwen") == []


def test_a_cursor_of_another_list_or_a_bad_filter_is_refused(api: Api) -> None:
    cursor = api.members(OWNER, ACCOUNT, limit="1").json["next_cursor"]
    assert cursor
    # a cursor of another prefix's list, a cursor that is no cursor, an unknown user type
    for query in ({"cursor": cursor, "email_prefix": "o"}, {"cursor": "nonsense"}, {"user_type": "gold"}):
        reply = api.members(OWNER, ACCOUNT, **query)
        assert reply.status == 400, (query, reply.body)
    assert api.members(OWNER, ACCOUNT, cursor=cursor, email_prefix="o").json["error"]["code"] == "invalid_cursor"


# ---------------------------------------------------------------- removing a member


def test_removing_a_licensed_member_frees_the_license_and_they_are_an_individual_again(api: Api, stack: Stack) -> None:
    # Given Arno, a licensed admin of Acme (two of its ten licenses used)
    before = api.summary(OWNER, ACCOUNT).json["licenses"]
    assert (before["used"], before["free"]) == (2, 8)
    # When the owner removes him
    reply = api.remove_member(OWNER, ACCOUNT, ADMIN)
    # Then the answer says so, and his license is free again
    assert reply.status == 200, reply.body
    removal = reply.json
    assert {k: removal[k] for k in ("user_id", "account_id", "role", "user_type", "removed_by")} == {
        "user_id": ADMIN,
        "account_id": ACCOUNT,
        "role": "admin",
        "user_type": "licensed",
        "removed_by": OWNER,
    }
    after = api.summary(OWNER, ACCOUNT).json["licenses"]
    assert (after["used"], after["free"], after["total"]) == (1, 9, 10)
    assert ARNO not in [m["email"] for m in api.members(OWNER, ACCOUNT).json["members"]]
    # and he is the owner and basic user of a new, active individual account on the free plan
    arno = repo.get_user(ADMIN)
    assert arno is not None
    assert (arno.account_id, arno.role, arno.user_type) == (removal["own_account_id"], "owner", "basic")
    own = repo.get_account(removal["own_account_id"])
    assert own is not None
    assert (own.type, own.plan, own.status, own.members_count, own.licenses_total) == (
        "individual",
        "basic",
        "active",
        1,
        0,
    )
    org = repo.get_account(ACCOUNT)
    assert org is not None and org.members_count == 2
    # and he can no longer manage Acme
    assert api.members(ADMIN, ACCOUNT).status == 404

    # When the owner invites him again and he accepts
    invitation_id, token = invite_with_token(api, ARNO, OWNER, ACCOUNT, user_type="licensed")
    accepted = api.accept(token, as_json=True)
    # Then he is a member again, on a license, and his individual account is closed
    assert accepted.status == 200, accepted.body
    listed = {m["email"]: m for m in api.members(OWNER, ACCOUNT).json["members"]}
    assert (listed[ARNO]["role"], listed[ARNO]["user_type"]) == ("member", "licensed")
    assert api.summary(OWNER, ACCOUNT).json["licenses"]["used"] == 2
    closed = repo.get_account(removal["own_account_id"])
    assert closed is not None and closed.status == "closed"
    assert invitation_id


def test_removing_a_member_twice_makes_one_account_and_publishes_one_event(api: Api, stack: Stack) -> None:
    # Given Mia, a basic member of Acme
    # When the admin removes her, and the same request comes again (its answer was lost)
    first = api.remove_member(ADMIN, ACCOUNT, MEMBER)
    again = api.remove_member(ADMIN, ACCOUNT, MEMBER)
    # Then both answer the one removal: one account of hers, the licenses untouched
    assert first.status == again.status == 200, (first.body, again.body)
    assert first.json == again.json
    accounts = [a for a in dump_tables(stack)["AccountsTable"] if a["id"]["S"].startswith("ind-")]
    assert [a["id"]["S"] for a in accounts] == [first.json["own_account_id"]]
    assert api.summary(ADMIN, ACCOUNT).json["licenses"]["used"] == 2
    # and one MemberRemoved event went out, as published, with no token in it
    (event,) = member_removed(stack)
    assert_valid("MemberRemoved", event)
    assert event == {
        "event_id": f"{ACCOUNT}:{MEMBER}:removed:{first.json['removed_at']}",
        "account_id": ACCOUNT,
        "user_id": MEMBER,
        "user_type": "basic",
        "role": "member",
        "by": ADMIN,
        "removed_at": first.json["removed_at"],
    }


def test_an_event_that_could_not_be_published_goes_out_once_on_the_retry(api: Api, stack: Stack) -> None:
    # Given the bus refuses the first event
    with client_fault("events", "PutEvents", "InternalException", times=1, status=500) as fault:
        failed = api.remove_member(ADMIN, ACCOUNT, MEMBER)
    assert fault.injected == 1
    # Then the answer says the removal is done but its event not out yet, and to send the request again
    assert failed.status == 503, failed.body
    assert failed.json["error"]["code"] == "event_not_published"
    assert member_removed(stack) == []
    # When the admin sends it again (and once more)
    retried = api.remove_member(ADMIN, ACCOUNT, MEMBER)
    once_more = api.remove_member(ADMIN, ACCOUNT, MEMBER)
    # Then the event goes out once, for the one removal
    assert retried.status == once_more.status == 200
    (event,) = member_removed(stack)
    assert event["event_id"] == f"{ACCOUNT}:{MEMBER}:removed:{retried.json['removed_at']}"


def test_the_same_idempotency_key_answers_the_same_removal(api: Api, stack: Stack) -> None:
    key = {"Idempotency-Key": "remove-mia-1"}
    first = api.remove_member(OWNER, ACCOUNT, MEMBER, **key)
    again = api.remove_member(OWNER, ACCOUNT, MEMBER, **key)
    assert first.status == again.status == 200
    assert first.json == again.json
    assert len(member_removed(stack)) == 1


def test_the_owner_cannot_be_removed(api: Api, stack: Stack) -> None:
    before = dump_tables(stack)
    reply = api.remove_member(ADMIN, ACCOUNT, OWNER)
    assert reply.status == 409, reply.body
    assert reply.json["error"]["code"] == "owner_not_removable"
    assert dump_tables(stack) == before
    assert member_removed(stack) == []


def test_a_user_of_another_organization_or_nobody_is_not_a_member(api: Api, stack: Stack) -> None:
    # Given Gwen, the owner of Globex, and an id nobody has
    before = dump_tables(stack)
    for user_id in ("u-gwen", "u-nobody"):
        # When Acme's owner tries to remove them from Acme
        reply = api.remove_member(OWNER, ACCOUNT, user_id)
        # Then: no such member, and nothing changed
        assert reply.status == 404, reply.body
        assert reply.json["error"]["code"] == "not_found"
    assert dump_tables(stack) == before
    assert member_removed(stack) == []
