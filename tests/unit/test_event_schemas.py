"""The published JSON Schemas of the events are the ones their models generate, and they say what the
models accept."""

from __future__ import annotations

from local import schemas
from paid_invites import platform_events
from tests.support.event_schemas import assert_invalid, assert_valid

ACCOUNT = {
    "id": "acme",
    "name": "Acme",
    "type": "organization",
    "plan": "business",
    "status": "active",
    "currency": "EUR",
    "licenses": 3,
    "version": 1,
}


def test_committed_schemas_are_the_generated_ones() -> None:
    # Given the models of every published event
    # When their schemas are generated
    # Then docs/schemas holds exactly those (run `make schemas` after changing a model)
    assert schemas.stale() == []


def test_every_consumed_platform_event_has_a_schema() -> None:
    # Given the events the service consumes from the platform
    # When the generator lists its models
    # Then each of them is among them, under its detail-type
    published = {schemas.detail_type(m) for m in schemas.MODELS}
    assert set(platform_events.DETAIL_TYPES) <= published
    assert {"AccountChanged", "UserRemoved", "SubscriptionChanged", "InvoiceChanged"} <= published


def test_a_detail_the_model_accepts_matches_its_schema() -> None:
    # Given an AccountChanged the parser accepts
    event = platform_events.parse("AccountChanged", ACCOUNT)
    # When its detail is checked against the published schema
    # Then it matches
    assert_valid("AccountChanged", platform_events.detail_of(event))


def test_the_schema_refuses_what_the_parser_refuses() -> None:
    # Given details with an unknown field, a number in a string, a missing version
    # Then the schema refuses each of them
    assert_invalid("AccountChanged", {**ACCOUNT, "owner": "x"})
    assert_invalid("AccountChanged", {**ACCOUNT, "licenses": "3"})
    assert_invalid("AccountChanged", {k: v for k, v in ACCOUNT.items() if k != "version"})
    assert_invalid(
        "InvoiceChanged",
        {"id": "i", "account_id": "a", "amount_minor": 1, "currency": "EUR", "status": "late", "version": 1},
    )
