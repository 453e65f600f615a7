"""Admin API beyond inviting: one invitation with its history, resend, revoke, Idempotency-Key."""

from __future__ import annotations

import json

import boto3

from local.stack import Stack
from paid_invites.store import repository as repo

from ..support import Api, finished, invitation_token, invite_one, invite_sent, mail_to, states_entered, wait_for

ADMIN, ACCOUNT, JAN = "u-arno", "acme", "jan@devries.example"


def path(invitation_id: str, suffix: str = "") -> str:
    return f"/accounts/{ACCOUNT}/invitations/{invitation_id}{suffix}"


def test_one_invitation_shows_its_history(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, JAN)
    reply = wait_for(
        lambda: (r := api.call("GET", path(invitation_id), caller=ADMIN)) and len(r.json["history"]) == 2 and r,
        what="the e-mail to be recorded",
    )
    assert reply.status == 200
    body = reply.json
    assert (body["id"], body["email"], body["status"]) == (invitation_id, JAN, "pending")
    assert [e["event"] for e in body["history"]] == ["created", "emailed"]
    assert body["history"][0]["by"] == ADMIN
    assert "token_hash" not in body and "task_token" not in body


def test_resend_sends_a_fresh_link_kills_the_old_one_and_restarts_the_lifetime(api: Api, stack: Stack) -> None:
    # Given an invitation e-mailed a while ago
    invitation_id = invite_one(api, JAN)
    old_token = invitation_token(JAN)
    before = repo.get_invitation(invitation_id)
    assert before is not None
    # When the admin resends it after the cool-down
    stack.clock.advance(11 * 60)
    reply = api.call("POST", path(invitation_id, "/resend"), caller=ADMIN)
    assert reply.status == 200, reply.body
    # Then a second e-mail carries a new link, the old link is dead at once, and the lifetime restarted
    mails = mail_to(JAN, count=2)
    new_token = invitation_token(JAN)
    assert new_token != old_token and len(mails) == 2
    assert api.open_link(old_token).status == 404
    assert api.open_link(new_token).status == 200
    after = repo.get_invitation(invitation_id)
    assert after is not None and after.expires_at > before.expires_at
    assert [e["event"] for e in reply.json["history"]][-2:] == ["resent", "emailed"]
    # and the new link accepts, through the same workflow
    assert api.accept(new_token, "refund").status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"


def test_a_resend_within_the_cool_down_is_refused(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, JAN)
    invitation_token(JAN)
    reply = api.call("POST", path(invitation_id, "/resend"), caller=ADMIN)
    assert reply.status == 429
    assert reply.json["error"]["code"] == "resend_cooldown"
    assert 0 < reply.json["error"]["details"]["retry_after_seconds"] <= 600
    assert len(mail_to(JAN)) == 1


def test_revoke_releases_the_license_ends_the_workflow_and_withdraws_the_link(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, JAN)
    token = invitation_token(JAN)
    assert api.summary(ADMIN, ACCOUNT).json["licenses"]["held_by_pending"] == 1
    reply = api.call("DELETE", path(invitation_id), caller=ADMIN)
    assert reply.status == 200 and reply.json["status"] == "revoked"
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert states_entered(stack, invitation_id) == ["SendInvitation", "Withdrawn"]
    assert api.summary(ADMIN, ACCOUNT).json["licenses"]["held_by_pending"] == 0
    page = api.open_link(token, lang="en")
    assert page.status == 410 and "withdrawn" in page.body.lower()
    # revoking twice, or resending a revoked invitation, is a clear conflict
    assert api.call("DELETE", path(invitation_id), caller=ADMIN).json["error"]["code"] == "not_pending"
    stack.clock.advance(3600)
    assert api.call("POST", path(invitation_id, "/resend"), caller=ADMIN).json["error"]["code"] == "not_pending"


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(api: Api, stack: Stack) -> None:
    body = {"invitees": [{"email": JAN}]}
    headers = {"Idempotency-Key": "frontend-retry-1"}
    first = api.call("POST", f"/accounts/{ACCOUNT}/invitations", body, caller=ADMIN, headers=headers)
    again = api.call("POST", f"/accounts/{ACCOUNT}/invitations", body, caller=ADMIN, headers=headers)
    assert first.status == again.status == 200
    assert first.json == again.json and first.json["results"][0]["status"] == "created"
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    assert len(executions) == 1
    other = {"invitees": [{"email": "fleur@bakker.example"}]}
    refused = api.call("POST", f"/accounts/{ACCOUNT}/invitations", other, caller=ADMIN, headers=headers)
    assert refused.status == 422 and refused.json["error"]["code"] == "idempotency_key_reused"
    # without a key, a repeat is a new request: the address is already invited
    plain = api.call("POST", f"/accounts/{ACCOUNT}/invitations", body, caller=ADMIN)
    assert plain.json["results"][0]["reason"] == "already_invited"


def test_another_tenant_cannot_see_or_touch_an_invitation(api: Api, stack: Stack) -> None:
    invitation_id = invite_one(api, JAN)
    for method, suffix in (("GET", ""), ("POST", "/resend"), ("DELETE", "")):
        reply = api.call(method, f"/accounts/globex/invitations/{invitation_id}{suffix}", caller="u-gwen")
        assert reply.status == 404, (method, suffix)
        reply = api.call(method, path(invitation_id, suffix), caller="u-gwen")
        assert reply.status == 404, (method, suffix)
    inv = repo.get_invitation(invitation_id)
    assert inv is not None and inv.status == "pending"


def test_a_resend_to_an_address_that_complained_is_refused_and_changes_nothing(api: Api, stack: Stack) -> None:
    from paid_invites.store import suppressions

    # Given an invitation whose address has since complained about our mail
    invitation_id = invite_one(api, JAN)
    token = invitation_token(JAN)
    suppressions.suppress(JAN, "complaint", stack.clock())
    stack.clock.advance(3600)
    # When the admin resends it, Then it is refused, and the link the invitee has still works
    reply = api.call("POST", path(invitation_id, "/resend"), caller=ADMIN)
    assert reply.status == 409 and reply.json["error"]["code"] == "address_suppressed"
    assert api.open_link(token).status == 200
    assert len(mail_to(JAN)) == 1


def test_a_long_history_keeps_its_first_and_latest_entries_and_says_what_it_dropped(api: Api, stack: Stack) -> None:
    from paid_invites.store import models as m

    # Given an invitation the admin resent 70 times, each e-mail delivered (over 200 entries in its history)
    invitation_id = invite_sent(api, JAN)
    for _ in range(70):
        stack.clock.advance(11 * 60)
        assert api.resend(ADMIN, ACCOUNT, invitation_id).status == 200
        api.ses_event("delivery", JAN)
    # Then the item keeps the first entry, one entry saying how many earlier ones were dropped, and the latest
    raw = boto3.client("dynamodb").get_item(
        TableName=m.InvitationModel.Meta.table_name, Key={"id": {"S": invitation_id}}
    )
    stored = raw["Item"]["history"]["L"]
    assert len(stored) <= 62  # the first, the note of what was dropped, the latest 50 (+10 until the next trim)
    assert len(json.dumps(raw["Item"])) < 16_000  # the item stays small (it was over 20 KB)
    assert len(raw["Item"].get("mail_events", {}).get("SS", [])) <= 62
    shown = api.invitation(ADMIN, ACCOUNT, invitation_id).json["history"]
    assert shown[0]["event"] == "created" and shown[0]["by"] == ADMIN
    assert shown[1]["event"] == "earlier_entries_dropped" and int(shown[1]["count"]) >= 70
    assert shown[-1]["event"] == "delivered" and shown[-2]["event"] in ("resent", "emailed")
    assert [e["event"] for e in shown[2:]].count("delivered") >= 16
    # and the invitation works as before: its latest link accepts
    assert api.accept(invitation_token(JAN), "refund").status == 200
