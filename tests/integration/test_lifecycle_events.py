"""Lifecycle events for integrators: what happens to an invitation reaches the service's bus (SettlementBus,
source ``paid-account-invites``) as one event per history entry, derived from the invitations table's stream
(LifecycleEventsFunction), each with a stable id, matching its published JSON Schema, and never carrying the
invitation's link, token or token hash."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from local.stack import Stack
from local.streams import streams_client
from paid_invites import aws, lifecycle_events
from paid_invites import events as publishing
from paid_invites.errors import TransientError
from paid_invites.store import repository as repo
from paid_invites.usecases import lifecycle

from ..support import ADMIN, JAN, Api, current, finished, invitation_token, invite_sent, mails, wait_for
from ..support.event_schemas import assert_valid, published

ACCOUNT = "acme"
UNKNOWN_USER = "smtp; 550 5.1.1 <jan@devries.example>: Recipient address rejected: User unknown"
SOURCE = "paid-account-invites"
LIFECYCLE = {model.__name__ for model in lifecycle_events.PUBLISHED}  # (the billing requests are not)


class Bus:
    """What reached the service's bus (through the local rule into a queue), read after the stream is drained."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.seen: list[dict[str, Any]] = []

    def of(self, invitation_id: str) -> list[dict[str, Any]]:
        self.stack.drain()
        self.seen += published(self.stack)
        return [e for e in self.seen if e["detail"].get("invitation_id") == invitation_id]

    def types(self, invitation_id: str) -> list[str]:
        return [e["detail-type"] for e in self.of(invitation_id)]

    def one(self, invitation_id: str, detail_type: str) -> dict[str, Any]:
        found = [e for e in self.of(invitation_id) if e["detail-type"] == detail_type]
        assert len(found) == 1, (detail_type, self.types(invitation_id))
        return found[0]


@pytest.fixture
def bus(stack: Stack) -> Bus:
    return Bus(stack)


def path(invitation_id: str, suffix: str = "") -> str:
    return f"/accounts/{ACCOUNT}/invitations/{invitation_id}{suffix}"


def assert_published_cleanly(event: dict[str, Any], secrets: list[str]) -> None:
    """From the service, matching its schema, with a stable id, and none of the invitation's secrets."""
    assert event["source"] == SOURCE
    assert_valid(event["detail-type"], event["detail"])
    serialized = json.dumps(event["detail"])
    for secret in secrets:
        assert secret not in serialized, (event["detail-type"], secret)
    assert "http" not in serialized and "token" not in serialized.lower() and "hash" not in serialized.lower()


def secrets_of(invitation_id: str, address: str = JAN) -> list[str]:
    """The invitation's current token, its secret part and its stored hash, and every link mailed to it."""
    token = invitation_token(address)
    inv = current(invitation_id)
    links = [m["text"] for m in mails(address)]
    return [token, token.split(".")[1], *([inv.token_hash] if inv.token_hash else [])] + [
        line for text in links for line in text.split() if "token=" in line
    ]


def test_an_invitation_publishes_created_then_emailed(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Arno invites Jan
    invitation_id = invite_sent(api, JAN)
    # When the invitations table's stream is handed to LifecycleEventsFunction
    types = bus.types(invitation_id)
    # Then the bus carries InvitationCreated, then InvitationEmailed
    assert types == ["InvitationCreated", "InvitationEmailed"]
    created, emailed = bus.of(invitation_id)
    inv = current(invitation_id)
    history = {e["event"]: e for e in inv.history}
    assert created["detail"] == {
        "event_id": f"{invitation_id}:created:{history['created']['at']}",
        "invitation_id": invitation_id,
        "account_id": ACCOUNT,
        "email": JAN,
        "occurred_at": history["created"]["at"],
        "user_type": "licensed",
        "role": "member",
        "inviter_id": ADMIN,
        "expires_at": created["detail"]["expires_at"],
    }
    assert emailed["detail"]["event_id"] == f"{invitation_id}:emailed:{history['emailed']['at']}"
    assert emailed["detail"]["message_id"] == history["emailed"]["message_id"]
    # and each matches its schema and holds no link, token or hash
    for event in (created, emailed):
        assert_published_cleanly(event, secrets_of(invitation_id))


def test_a_resend_publishes_resent_and_a_new_emailed(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out and its events were published
    invitation_id = invite_sent(api, JAN)
    assert bus.types(invitation_id) == ["InvitationCreated", "InvitationEmailed"]
    first_emailed = bus.one(invitation_id, "InvitationEmailed")["detail"]
    # When Arno resends it after the cool-down
    stack.clock.advance(11 * 60)
    reply = api.call("POST", path(invitation_id, "/resend"), caller=ADMIN)
    assert reply.status == 200, reply.body
    # Then InvitationResent (by Arno, with the new lifetime) and a second InvitationEmailed follow
    assert bus.types(invitation_id) == [
        "InvitationCreated",
        "InvitationEmailed",
        "InvitationResent",
        "InvitationEmailed",
    ]
    resent = bus.one(invitation_id, "InvitationResent")
    assert resent["detail"]["by"] == ADMIN
    assert resent["detail"]["expires_at"] > first_emailed["expires_at"]
    second_emailed = bus.of(invitation_id)[-1]
    assert second_emailed["detail"]["event_id"] != first_emailed["event_id"]
    for event in bus.of(invitation_id):
        assert_published_cleanly(event, secrets_of(invitation_id))


def test_a_revoke_publishes_revoked(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out
    invitation_id = invite_sent(api, JAN)
    secrets = secrets_of(invitation_id)
    # When Arno revokes it
    assert api.call("DELETE", path(invitation_id), caller=ADMIN).status == 200
    # Then InvitationRevoked (by Arno) is published
    revoked = bus.one(invitation_id, "InvitationRevoked")
    assert revoked["detail"]["by"] == ADMIN and revoked["detail"]["account_id"] == ACCOUNT
    assert_published_cleanly(revoked, secrets)


def test_an_expiry_publishes_expired(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out and nobody accepted it
    invitation_id = invite_sent(api, JAN)
    secrets = secrets_of(invitation_id)
    # When its lifetime is over and the scheduled job runs
    stack.clock.set(current(invitation_id).expires_at + timedelta(minutes=1))
    assert api.run_job()["expired"] == [invitation_id]
    # Then InvitationExpired is published, once
    expired = bus.one(invitation_id, "InvitationExpired")
    assert expired["detail"]["event_id"].startswith(f"{invitation_id}:expired:")
    assert_published_cleanly(expired, secrets)


def test_a_hard_bounce_publishes_bounced_with_the_reason(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out
    invitation_id = invite_sent(api, JAN)
    secrets = secrets_of(invitation_id)
    # When his mail server answers that the address does not exist
    result = api.ses_event("bounce", JAN, bounce_type="Permanent", diagnostic=UNKNOWN_USER)
    assert result["results"][0]["actions"] == [f"bounced:{JAN}"]
    # Then InvitationBounced carries the reason
    bounced = bus.one(invitation_id, "InvitationBounced")
    assert bounced["detail"]["reason"] == UNKNOWN_USER
    assert_published_cleanly(bounced, secrets)


def test_an_accept_publishes_accepted_once_settled(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out
    invitation_id = invite_sent(api, JAN)
    secrets = secrets_of(invitation_id)
    # When he accepts (with a refund) and the workflow settles
    assert api.accept(invitation_token(JAN), "refund").status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    # Then InvitationAccepted is published (by the settle step) with its stable id, once, and the stream
    # publishes nothing for the acceptance itself
    accepted = wait_for(
        lambda: [e for e in bus.of(invitation_id) if e["detail-type"] == "InvitationAccepted"] or None,
        what="InvitationAccepted",
    )
    assert [e["detail"]["event_id"] for e in accepted] == [f"{invitation_id}:accepted"]
    assert accepted[0]["detail"]["to_account_id"] == ACCOUNT
    assert_published_cleanly(accepted[0], secrets)
    # (the settle step and the stream publish independently: no order between them, see docs/events.md)
    lifecycle = sorted(t for t in bus.types(invitation_id) if t in LIFECYCLE)
    assert lifecycle == ["InvitationAccepted", "InvitationCreated", "InvitationEmailed"]


def test_a_replayed_stream_record_publishes_the_same_ids(api: Api, stack: Stack, bus: Bus) -> None:
    # Given Jan's invitation went out and its events were published
    invitation_id = invite_sent(api, JAN)
    first = [e["detail"]["event_id"] for e in bus.of(invitation_id)]
    assert len(first) == 2
    # When the stream's records of that invitation are handed to the function again (a retried batch)
    records = stream_records(invitation_id)
    answer = stack.invoke("LifecycleEventsFunction", {"Records": records})
    assert answer == {"batchItemFailures": []}
    # Then what it publishes again has the same ids: a consumer drops it as seen
    again = [e["detail"]["event_id"] for e in bus.of(invitation_id)][len(first) :]
    assert again == first


def test_a_record_that_cannot_be_published_is_retried_from_there(
    api: Api, stack: Stack, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan's invitation went out (its stream holds the write that created it, then the send's)
    invitation_id = invite_sent(api, JAN)
    records = stream_records(invitation_id)
    # When the bus refuses InvitationEmailed
    real, calls = publishing.publish, []

    def refusing(found: list[tuple[str, dict[str, Any]]]) -> None:
        calls.append([detail_type for detail_type, _ in found])
        if any(detail_type == "InvitationEmailed" for detail_type, _ in found):
            raise TransientError("1 events were not accepted")
        real(found)

    monkeypatch.setattr(publishing, "publish", refusing)
    answer = stack.invoke("LifecycleEventsFunction", {"Records": records})
    # Then the function reports the record of the send as failed (Lambda retries from it) and publishes
    # nothing after it; the record before it was published
    failing = next(r for r in records if "InvitationEmailed" in [t for t, _ in lifecycle.record_events(r)])
    assert answer == {"batchItemFailures": [{"itemIdentifier": failing["dynamodb"]["SequenceNumber"]}]}
    assert [c for c in calls if c] == [["InvitationCreated"], ["InvitationEmailed"]]


def stream_records(invitation_id: str) -> list[dict[str, Any]]:
    """The invitations table's stream records of one invitation, as Lambda hands them over."""
    ddb, streams = aws.client("dynamodb"), streams_client()
    table = repo.m.InvitationModel.Meta.table_name
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    mine = [r for r in records if r["dynamodb"]["Keys"]["id"]["S"] == invitation_id]
    for record in mine:
        record["dynamodb"].pop("ApproximateCreationDateTime", None)
    return mine
