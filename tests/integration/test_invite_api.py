"""The admin API for inviting: who may, what a request must look like, each invitee's outcome, the list
and the account summary, through the handlers as API Gateway calls them."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3

from local.stack import Stack
from paid_invites.store import models as m
from paid_invites.store import repository as repo

from ..support import (
    Api,
    InProcess,
    Reply,
    close_invitation,
    dump_tables,
    finished,
    invitation_token,
    recorded,
    wait_for,
)

OWNER, ADMIN, MEMBER, OUTSIDER = "u-olga", "u-arno", "u-mia", "u-gwen"
INVITATIONS = "/accounts/acme/invitations"


def results(reply: Reply) -> list[dict[str, Any]]:
    assert reply.status == 200, reply.body
    return list(reply.json["results"])


def outcomes(reply: Reply) -> list[tuple[str, str, str | None]]:
    return [(r["email"], r["status"], r.get("reason")) for r in results(reply)]


def created_ids(reply: Reply) -> list[str]:
    return [r["invitation_id"] for r in results(reply) if r["status"] == "created"]


def executions(stack: Stack) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    return list(sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])


def licenses(api: Api, account: str = "acme", caller: str = OWNER) -> dict[str, int]:
    return dict(api.summary(caller, account).json["licenses"])


def listing(api: Api, caller: str = ADMIN, account: str = "acme", **query: str) -> Reply:
    return api.call("GET", f"/accounts/{account}/invitations", caller=caller, query=query)


def emails(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [i["email"] for i in reply.json["invitations"]]


def error(reply: Reply) -> dict[str, Any]:
    body = reply.json
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    return dict(body["error"])


def without_authorizer(api: Api, method: str, path: str, body: Any = None) -> Reply:
    """The handler called with no authorizer claims at all (as if the gateway's authorizer were missing)."""
    function, event = api.event(method, path, body, headers={"Content-Type": "application/json"})
    assert isinstance(api.transport, InProcess)
    response = api.transport.stack.invoke(function, event)
    return Reply(int(response["statusCode"]), dict(response.get("headers") or {}), response.get("body") or "")


INVITE_JAN = {"invitees": [{"email": "jan@devries.example"}]}

# ---------------------------------------------------------------- who may


def test_without_credentials_nothing_is_answered(api: Api, stack: Stack) -> None:
    before = dump_tables(stack)
    # When the routes are called without credentials / Then the gateway answers 401
    for method, path, body in [
        ("POST", INVITATIONS, INVITE_JAN),
        ("GET", INVITATIONS, None),
        ("GET", "/accounts/acme", None),
    ]:
        assert api.call(method, path, body, caller=None).status == 401, path
        # and so does the handler itself, should it ever be reached without the authorizer's claims
        reply = without_authorizer(api, method, path, body)
        assert reply.status == 401 and error(reply)["code"] == "unauthorized", path
        # and a signed-in user that does not exist is nobody
        ghost = api.call(method, path, body, caller="u-ghost")
        assert ghost.status == 401 and error(ghost)["code"] == "unauthorized", path
    assert dump_tables(stack) == before
    assert executions(stack) == []


def test_a_member_may_not_manage_invitations(api: Api, stack: Stack) -> None:
    # Given Mia is a member, not an admin, of Acme
    before = dump_tables(stack)
    # When she invites, lists or asks for the summary / Then each is forbidden
    for reply in (
        api.call("POST", INVITATIONS, INVITE_JAN, caller=MEMBER),
        listing(api, caller=MEMBER),
        api.summary(MEMBER, "acme"),
    ):
        assert reply.status == 403 and error(reply)["code"] == "forbidden"
    # and nothing was invited
    assert dump_tables(stack) == before
    assert executions(stack) == []


def test_another_tenant_learns_nothing_not_even_that_the_account_exists(api: Api, stack: Stack) -> None:
    # Given Gwen owns Globex, not Acme
    before = dump_tables(stack)
    # When she invites into, lists or summarizes Acme, and an account that does not exist
    acme = [
        api.call("POST", INVITATIONS, INVITE_JAN, caller=OUTSIDER),
        listing(api, caller=OUTSIDER),
        api.summary(OUTSIDER, "acme"),
    ]
    nowhere = [
        api.call("POST", "/accounts/no-such-org/invitations", INVITE_JAN, caller=OUTSIDER),
        listing(api, caller=OUTSIDER, account="no-such-org"),
        api.summary(OUTSIDER, "no-such-org"),
    ]
    # Then both are "not found", word for word the same
    for theirs, missing in zip(acme, nowhere, strict=True):
        assert theirs.status == missing.status == 404
        assert error(theirs)["code"] == "not_found"
        assert theirs.body == missing.body
    # and the owner of Acme gets 404 for an account that is not hers as well
    assert api.invite(OWNER, "no-such-org", "jan@devries.example").status == 404
    assert dump_tables(stack) == before
    assert executions(stack) == []


# ---------------------------------------------------------------- what a request must look like

INVALID_REQUESTS: list[tuple[str, Any, str]] = [
    ("no invitees", {}, "invitees"),
    ("an empty list", {"invitees": []}, "invitees"),
    ("invitees not a list", {"invitees": "jan@devries.example"}, "invitees"),
    ("an unknown field", {"invitees": [{"email": "jan@devries.example", "nickname": "Jan"}]}, "invitees.0.nickname"),
    ("an unknown top-level field", {**INVITE_JAN, "dry_run": True}, "dry_run"),
    ("an e-mail that is a number", {"invitees": [{"email": 5}]}, "invitees.0.email"),
    ("no e-mail", {"invitees": [{"user_type": "basic"}]}, "invitees.0.email"),
    (
        "an unknown user type",
        {"invitees": [{"email": "jan@devries.example", "user_type": "vip"}]},
        "invitees.0.user_type",
    ),
    ("an unknown role", {"invitees": [{"email": "jan@devries.example", "role": "owner"}]}, "invitees.0.role"),
    (
        "a name too long",
        {"invitees": [{"email": "jan@devries.example", "first_name": "J" * 101}]},
        "invitees.0.first_name",
    ),
    ("an e-mail too long", {"invitees": [{"email": "j" * 321}]}, "invitees.0.email"),
]


def test_an_invalid_request_is_refused_with_the_field_named(api: Api, stack: Stack) -> None:
    before = dump_tables(stack)
    for what, body, field in INVALID_REQUESTS:
        # When the request is not what the API takes
        headers = {"Content-Type": "application/json"}
        reply = api.call("POST", INVITATIONS, body, caller=ADMIN, headers=headers)
        # Then it is a 400 in the one error shape, whose details name the field
        assert reply.status == 400, (what, reply.body)
        problem = error(reply)
        assert problem["code"] == "validation_failed", what
        problems = problem["details"]["problems"]
        assert isinstance(problems, list) and problems, what
        assert field in [d["field"] for d in problems], (what, problems)
        assert all(isinstance(d["problem"], str) and d["problem"] for d in problems), what
    # and nothing was written or started
    assert dump_tables(stack) == before
    assert executions(stack) == []


def test_a_body_that_is_no_json_object_is_refused_before_it_is_validated(api: Api, stack: Stack) -> None:
    # (every class of unreadable body: test_hostile_bodies.py)
    for body, code in [
        ('{"invitees": [{"email": "jan@devries.example"', "invalid_json"),
        ([{"email": "jan@devries.example"}], "json_not_object"),
    ]:
        reply = api.call("POST", INVITATIONS, body, caller=ADMIN, headers={"Content-Type": "application/json"})
        assert reply.status == 400 and error(reply)["code"] == code, reply.body
    assert executions(stack) == []


def test_more_invitees_than_one_request_may_hold_is_refused(api: Api, stack: Stack) -> None:
    # 100 is the contract's maximum (and MaxInviteesPerRequest's); a lower configured limit answers
    # too_many_invitees (test_invite_limits.py)
    people = [{"email": f"person{i}@example.org"} for i in range(101)]
    reply = api.call("POST", INVITATIONS, {"invitees": people}, caller=OWNER)
    assert reply.status == 400 and error(reply)["code"] == "validation_failed"
    assert [d["field"] for d in error(reply)["details"]["problems"]] == ["invitees"]
    assert executions(stack) == []


# ---------------------------------------------------------------- each invitee's outcome


def test_each_invitee_gets_an_outcome_in_the_order_given(api: Api, stack: Stack) -> None:
    # When Arno (admin) invites a mixed list
    reply = api.invite(
        ADMIN,
        "acme",
        "not-an-address",
        "mia@acme.example",  # already in Acme
        "  Jan@DeVries.EXAMPLE ",
        "jan@devries.example",  # the same address again
        {"email": "boss@example.org", "role": "admin"},  # only the owner makes admins
        "new@example.org",
    )
    # Then each has its outcome; the addresses trimmed and lower-cased
    assert outcomes(reply) == [
        ("not-an-address", "rejected", "invalid_email"),
        ("mia@acme.example", "rejected", "already_member"),
        ("jan@devries.example", "created", None),
        ("jan@devries.example", "rejected", "duplicate_in_request"),
        ("boss@example.org", "rejected", "role_not_allowed"),
        ("new@example.org", "created", None),
    ]
    assert all(("invitation_id" in r) == (r["status"] == "created") for r in results(reply))
    recorded(*created_ids(reply))
    # and the invitations hold the normalized address, and the e-mail goes there
    assert sorted(emails(listing(api))) == ["jan@devries.example", "new@example.org"]
    assert invitation_token("jan@devries.example")


def test_the_owner_may_invite_an_admin(api: Api, stack: Stack) -> None:
    reply = api.invite(OWNER, "acme", {"email": "boss@example.org", "role": "admin"})
    assert outcomes(reply) == [("boss@example.org", "created", None)]
    recorded(*created_ids(reply))
    (invitation,) = listing(api).json["invitations"]
    assert invitation["role"] == "admin"


def test_a_second_invite_of_the_same_address_is_already_invited(api: Api, stack: Stack) -> None:
    # Given Jan was invited
    first = created_ids(api.invite(ADMIN, "acme", "jan@devries.example"))
    recorded(*first)
    # When he is invited again, by someone else and spelled otherwise
    again = api.invite(OWNER, "acme", "JAN@devries.example")
    # Then that is refused; there is still one invitation, one license held, one workflow
    assert outcomes(again) == [("jan@devries.example", "rejected", "already_invited")]
    assert [i["id"] for i in listing(api).json["invitations"]] == first
    assert licenses(api)["held_by_pending"] == 1
    assert [e["name"] for e in executions(stack)] == first


def test_licenses_run_out(api: Api, stack: Stack) -> None:
    # Given Globex has 3 licenses, one used by Gwen
    # When Gwen invites three licensed users and one basic
    licensed = [f"{name}@example.org" for name in "abc"]
    reply = api.invite(OUTSIDER, "globex", *licensed, {"email": "d@example.org", "user_type": "basic"})
    # Then two get the two free licenses, the third none; the basic user needs none
    assert outcomes(reply) == [
        ("a@example.org", "created", None),
        ("b@example.org", "created", None),
        ("c@example.org", "rejected", "no_license_available"),
        ("d@example.org", "created", None),
    ]
    assert licenses(api, "globex", OUTSIDER) == {"total": 3, "used": 1, "held_by_pending": 2, "free": 0}
    # and a later licensed invite finds none either
    assert outcomes(api.invite(OUTSIDER, "globex", "e@example.org")) == [
        ("e@example.org", "rejected", "no_license_available")
    ]


def test_the_answer_for_a_strangers_address_says_nothing_about_their_own_account(api: Api, stack: Stack) -> None:
    # When Acme's admin invites a user who pays for a plan of his own, one with a free account, and an address
    # new to the platform
    reply = api.invite(
        ADMIN,
        "acme",
        {"email": "jan@devries.example", "user_type": "basic"},  # pays for his own plan
        {"email": "fleur@bakker.example", "user_type": "basic"},  # pays for nothing
        {"email": "nieuw@example.org", "user_type": "basic"},  # no platform user
    )
    # Then each answer is the same but for the address and the id: nothing tells who pays for what
    answers = [{k: v for k, v in r.items() if k not in ("email", "invitation_id")} for r in results(reply)]
    assert answers == [{"status": "created"}] * 3


def test_a_licensed_invitation_holds_a_license_and_each_invitation_starts_one_workflow(api: Api, stack: Stack) -> None:
    # When two licensed users and one basic user are invited
    fleur = {"email": "fleur@bakker.example", "user_type": "basic"}
    reply = api.invite(ADMIN, "acme", "jan@devries.example", "new@example.org", fleur)
    ids = created_ids(reply)
    assert len(ids) == 3
    # Then the two licensed ones hold a license each, the basic one none
    assert licenses(api) == {"total": 10, "used": 2, "held_by_pending": 2, "free": 6}
    # and each invitation has exactly one execution, named after it and given its id
    runs = executions(stack)
    assert sorted(e["name"] for e in runs) == sorted(ids)
    sfn = boto3.client("stepfunctions")
    for run in runs:
        described = sfn.describe_execution(executionArn=run["executionArn"])
        assert json.loads(described["input"]) == {"invitation_id": run["name"]}


def test_an_address_can_be_invited_again_after_its_invitation_was_revoked(api: Api, stack: Stack) -> None:
    # Given Jan's invitation was revoked, releasing its license
    (first,) = created_ids(api.invite(ADMIN, "acme", "jan@devries.example"))
    recorded(first)
    close_invitation(first, by=OWNER)
    assert licenses(api)["held_by_pending"] == 0
    # When he is invited again
    reply = api.invite(ADMIN, "acme", "jan@devries.example")
    # Then a new invitation is created, holding a license, with a workflow of its own
    assert outcomes(reply) == [("jan@devries.example", "created", None)]
    (second,) = created_ids(reply)
    assert second != first
    recorded(first, second)
    assert licenses(api)["held_by_pending"] == 1
    assert sorted(e["name"] for e in executions(stack)) == sorted([first, second])
    assert emails(listing(api)) == ["jan@devries.example"]
    assert [i["id"] for i in listing(api, status="revoked").json["invitations"]] == [first]


# ---------------------------------------------------------------- the list


def invite_in_turn(api: Api, stack: Stack, *addresses: str) -> list[str]:
    """Invite one address a minute, in this order: the ids, oldest first."""
    ids = []
    for address in addresses:
        (invitation_id,) = created_ids(api.invite(ADMIN, "acme", address))
        recorded(invitation_id)
        ids.append(invitation_id)
        stack.clock.advance(60)
    return ids


def test_the_list_is_newest_first_and_pages_with_an_opaque_cursor(api: Api, stack: Stack) -> None:
    # Given five pending invitations, a minute apart
    ids = invite_in_turn(api, stack, *(f"p{i}@example.org" for i in range(5)))
    newest_first = list(reversed(ids))
    # When the list is read whole / Then it is newest first
    assert [i["id"] for i in listing(api).json["invitations"]] == newest_first
    # When it is read two at a time, following the cursor
    seen: list[str] = []
    cursor: str | None = None
    for _page in range(5):
        reply = listing(api, limit="2", **({"cursor": cursor} if cursor else {}))
        assert reply.status == 200, reply.body
        page = [i["id"] for i in reply.json["invitations"]]
        assert len(page) <= 2
        seen += page
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
        # an opaque string: no addresses, states or account ids to read or edit in it
        assert isinstance(cursor, str) and "@" not in cursor and "pending" not in cursor and "acme" not in cursor
    # Then the pages hold every invitation once, in the same order, and end
    assert cursor is None
    assert seen == newest_first


def test_a_tampered_cursor_is_refused(api: Api, stack: Stack) -> None:
    # Given a real cursor of Acme's list, and one of Globex's
    invite_in_turn(api, stack, "a@example.org", "b@example.org", "c@example.org")
    real = listing(api, limit="1").json["next_cursor"]
    assert real
    recorded(*created_ids(api.invite(OUTSIDER, "globex", "x@example.org", "y@example.org")))
    theirs = listing(api, caller=OUTSIDER, account="globex", limit="1").json["next_cursor"]
    assert theirs
    key = json.loads(base64.urlsafe_b64decode(real))

    def encoded(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    tampered = {
        "garbage": "not a cursor!",
        "another tenant's": theirs,
        "a flipped character": real[:5] + ("A" if real[5] != "A" else "B") + real[6:],
        "truncated": real[: len(real) // 2],
        "not an object": encoded([1, 2]),
        "the account only": encoded({"account_id": {"S": "acme"}}),
        "a key missing": encoded({k: v for k, v in key.items() if k != "status_key"}),
        "a wrongly typed key": encoded({**key, "id": {"N": "1"}}),
        "a key that is no attribute value": encoded({**key, "id": "abc"}),
        "an extra key": encoded({**key, "email": {"S": "a@example.org"}}),
        "another status": encoded(
            {**key, "status_key": {"S": key["status_key"]["S"].replace("pending#", "accepted#")}}
        ),
    }
    for what, cursor in tampered.items():
        # When the list is asked for with it / Then it is a 400, not a 500 and not another list
        reply = listing(api, limit="1", cursor=cursor)
        assert reply.status == 400, (what, reply.status, reply.body)
        assert error(reply)["code"] == "invalid_cursor", what
    # and the real one still works
    assert listing(api, limit="1", cursor=real).status == 200


def test_the_list_filters_by_status(api: Api, stack: Stack) -> None:
    # Given Fleur accepted, Jan's invitation was revoked and one is pending
    fleur, jan, _nina = invite_in_turn(api, stack, "fleur@bakker.example", "jan@devries.example", "nina@example.org")
    token = invitation_token("fleur@bakker.example")
    assert api.accept(token).status == 200
    assert finished(stack, fleur)["status"] == "SUCCEEDED"
    close_invitation(jan, by=OWNER)
    # When the list is asked for per status / Then each holds just its own
    assert emails(listing(api)) == ["nina@example.org"]
    assert emails(listing(api, status="pending")) == ["nina@example.org"]
    accepted = listing(api, status="accepted").json["invitations"]
    assert [(i["email"], i["status"]) for i in accepted] == [("fleur@bakker.example", "accepted")]
    assert accepted[0]["accepted_at"] and accepted[0]["settlement"] == "none"
    assert emails(listing(api, status="revoked")) == ["jan@devries.example"]
    assert emails(listing(api, status="expired")) == []
    # and the list never shows secrets
    for inv in accepted:
        assert "token_hash" not in inv and "task_token" not in inv


def test_the_list_filters_by_the_start_of_the_address(api: Api, stack: Stack) -> None:
    invite_in_turn(api, stack, "jan@devries.example", "janine@example.org", "piet@jansen.example")
    assert emails(listing(api, email_prefix="jan")) == ["janine@example.org", "jan@devries.example"]
    assert emails(listing(api, email_prefix=" JAN@ ")) == ["jan@devries.example"]  # trimmed, lower-cased
    assert emails(listing(api, email_prefix="jansen")) == []  # the start of the address, not any part
    assert emails(listing(api, email_prefix="p", limit="1")) == ["piet@jansen.example"]


def test_the_list_refuses_what_it_does_not_know(api: Api, stack: Stack) -> None:
    for query, field in [
        ({"status": "bogus"}, "query.status"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
    ]:
        reply = listing(api, **query)
        assert reply.status == 400, query
        assert field in [d["field"] for d in error(reply)["details"]["problems"]], query


# ---------------------------------------------------------------- the summary


def test_the_summary_keeps_what_is_owed_apart_from_credit(api: Api, stack: Stack) -> None:
    # Given Acme has a credit of EUR 25 and owes EUR 10 on an invoice
    repo.key_item(m.AccountModel, "acme").update(
        actions=[m.AccountModel.credit_minor.set(2500), m.AccountModel.balance_due_minor.set(1000)]
    )
    # When the owner asks for the summary
    summary = api.summary(OWNER, "acme").json
    # Then both are shown, neither netted against the other
    assert summary["credit"] == {"amount_minor": 2500, "currency": "EUR"}
    assert summary["balance_due"] == {"amount_minor": 1000, "currency": "EUR"}
    assert (summary["id"], summary["name"], summary["currency"]) == ("acme", "Acme B.V.", "EUR")
    assert summary["licenses"] == {"total": 10, "used": 2, "held_by_pending": 0, "free": 8}
    # and Piet's own account shows his open invoice as owed, not as a negative credit
    piet = api.summary("u-piet", "acc-piet").json
    assert piet["balance_due"] == {"amount_minor": 1499, "currency": "EUR"}
    assert piet["credit"] == {"amount_minor": 0, "currency": "EUR"}


def test_the_summary_counts_held_licenses_until_the_invitation_is_accepted(api: Api, stack: Stack) -> None:
    (invitation_id,) = created_ids(api.invite(ADMIN, "acme", "new@example.org"))
    assert licenses(api) == {"total": 10, "used": 2, "held_by_pending": 1, "free": 7}
    token = invitation_token("new@example.org")
    assert api.accept(token).status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    wait_for(lambda: licenses(api)["used"] == 3, what="the settled license to count as used")
    assert licenses(api) == {"total": 10, "used": 3, "held_by_pending": 0, "free": 7}
