"""The owner of an organization cannot dissolve it by joining another one, and an invitation of an organization
that was closed is a clear refusal, not a 503 to retry for ever. Nothing changes either way."""

from __future__ import annotations

from typing import Any

import boto3
from markupsafe import escape

from local.stack import Stack
from paid_invites import i18n
from paid_invites.config import get_settings

from ..support import Api, Reply, dump_tables, invite_with_token

GWEN = "gwen@globex.example"  # the owner of Globex Ltd, its only user
FLEUR = "fleur@bakker.example"


def says(page: Reply, key: str, **words: str) -> bool:
    return str(escape(i18n.text("en", key, **words))) in page.body


def accept(api: Api, token: str, answer: str = "text/html") -> Reply:
    form = f"token={token}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": answer}
    return api.call("POST", "/invitations/accept", form, caller=api.invitee(token), headers=headers)


def account(account_id: str) -> dict[str, Any]:
    item = boto3.client("dynamodb").get_item(
        TableName=get_settings().accounts_table, Key={"id": {"S": account_id}}, ConsistentRead=True
    )["Item"]
    return {k: next(iter(v.values())) for k, v in item.items() if k != "subscription"}


def close(account_id: str) -> None:
    """What the account service does when an organization is closed: its item says so."""
    boto3.client("dynamodb").update_item(
        TableName=get_settings().accounts_table,
        Key={"id": {"S": account_id}},
        UpdateExpression="SET #s = :closed",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":closed": {"S": "closed"}},
    )


def test_the_sole_owner_of_an_organization_cannot_join_another_and_nothing_changes(api: Api, stack: Stack) -> None:
    # Given Gwen, alone in her organization Globex, has invited someone (a pending invitation, a held license)
    _globex_invitation, globex_token = invite_with_token(api, "kim@example.org", caller="u-gwen", account="globex")
    # and Acme invites Gwen
    _acme_invitation, token = invite_with_token(api, GWEN, user_type="basic")
    before = dump_tables(stack)
    # When she opens the link, Then the page says her account is an organization and what to do first
    opened = api.open_link(token)
    assert opened.status == 409, opened.body[:300]
    words = {"org": "Acme B.V.", "own_org": "Globex Ltd", "inviter": "Arno Admin"}
    assert says(opened, "refused_heading_own_account_is_organization")
    assert says(opened, "refused_todo_own_account_is_organization", **words)
    # When she accepts anyway (a page and a JSON client alike)
    page = accept(api, token)
    as_json = accept(api, token, "application/json")
    # Then it is refused, with the reason and what to do
    assert page.status == 409 and says(page, "refused_own_account_is_organization", **words)
    assert as_json.status == 409 and as_json.json["error"]["code"] == "own_account_is_organization"
    assert as_json.json["error"]["details"]["account_name"] == "Globex Ltd"
    # and nothing changed: accounts, users, invitations, the ledger
    assert dump_tables(stack) == before
    assert account("globex")["status"] == "active"
    # and Globex's own invitation still works
    assert api.open_link(globex_token).status == 200


def test_an_invitation_of_an_organization_that_was_closed_is_refused_not_retried(api: Api, stack: Stack) -> None:
    # Given Acme invited Fleur, and Acme was closed since
    _invitation_id, token = invite_with_token(api, FLEUR, user_type="basic")
    close("acme")
    before = dump_tables(stack)
    # When she opens the link or accepts, Then it is a clear refusal (410), not a 503 to try again
    opened = api.open_link(token)
    assert opened.status == 410 and says(opened, "refused_heading_organization_closed", org="Acme B.V.")
    page = accept(api, token)
    assert page.status == 410 and says(page, "refused_organization_closed", org="Acme B.V.")
    assert "Retry-After" not in page.headers
    as_json = accept(api, token, "application/json")
    assert as_json.status == 410 and as_json.json["error"]["code"] == "organization_closed"
    # and nothing changed
    assert dump_tables(stack) == before
