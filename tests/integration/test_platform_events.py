"""The platform's events keep the directory and billing facts true: put on the platform bus as the platform
does, delivered through the queue to PlatformEventsFunction (local/queues.py), applied once and in version
order; a malformed one lands in the dead-letter queue and changes nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.stack import Stack
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from tests.support.event_schemas import send

from ..support import Api, dump_tables, finished, invite_with_token

PIET = "piet@jansen.example"


def dead_letters(stack: Stack) -> list[dict[str, Any]]:
    url = stack.template.physical_ids["PlatformEventsDeadLetterQueue"]
    got = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(got.get("Messages", []))


def account(account_id: str) -> m.AccountModel:
    (item,) = repo.read_many([(m.AccountModel, account_id)])
    assert item is not None
    return item


def subscription(account_id: str, version: int, amount_minor: int, **extra: Any) -> tuple[str, dict[str, Any]]:
    detail = {
        "account_id": account_id,
        "amount_minor": amount_minor,
        "currency": "EUR",
        "interval": "month",
        "current_period_start": "2026-11-15T00:00:00Z",
        "current_period_end": "2026-12-15T00:00:00Z",
        "payment_method": "mastercard-5454",
        "status": "active",
        "version": version,
        **extra,
    }
    return "SubscriptionChanged", detail


def invoice(version: int, status: str) -> tuple[str, dict[str, Any]]:
    detail = {
        "id": "inv-piet-1",
        "account_id": "acc-piet",
        "amount_minor": 1499,
        "currency": "EUR",
        "status": status,
        "version": version,
    }
    return "InvoiceChanged", detail


def test_an_older_subscription_changed_arriving_late_is_ignored(stack: Stack) -> None:
    # Given Piet's subscription changed twice: a new price (version 3) arrives before the change before it (2)
    newer = subscription("acc-piet", 3, 1999, external_id="sub_piet")
    older = subscription("acc-piet", 2, 1799)
    # When both arrive, the newer first
    answer = send(stack, newer)
    late = send(stack, older)
    # Then the newer one is applied and the older one changes nothing
    assert (answer["applied"], late["applied"], late["ignored"]) == (1, 0, 1)
    piet = repo.get_account("acc-piet")
    assert piet is not None and piet.subscription is not None
    assert (piet.subscription.amount_minor, piet.subscription.external_id) == (1999, "sub_piet")
    assert account("acc-piet").subscription_version == 3


def test_the_same_event_again_changes_nothing(stack: Stack) -> None:
    # Given Piet's open invoice was paid (version 2)
    paid = invoice(2, "paid")
    assert send(stack, paid)["applied"] == 1
    assert account("acc-piet").balance_due_minor == 0
    after_once = dump_tables(stack)
    # When the platform sends the same event again (a retry, a replay)
    answer = send(stack, paid)
    # Then nothing changes: the balance is not lowered twice
    assert (answer["applied"], answer["ignored"]) == (0, 1)
    assert dump_tables(stack) == after_once


@pytest.mark.parametrize(
    "detail_type, detail",
    [
        # a number in a string
        (
            "AccountChanged",
            {
                "id": "acme",
                "name": "Acme",
                "type": "organization",
                "plan": "business",
                "status": "active",
                "currency": "EUR",
                "licenses": "20",
                "version": 5,
            },
        ),
        # a field the model does not have
        (
            "UserChanged",
            {"id": "u-mia", "email": "mia@acme.example", "account_id": "acme", "version": 7, "is_admin": True},
        ),
        # no version
        (
            "InvoiceChanged",
            {"id": "inv-piet-1", "account_id": "acc-piet", "amount_minor": 1499, "currency": "EUR", "status": "paid"},
        ),
        # a status billing does not have
        (
            "InvoiceChanged",
            {
                "id": "inv-piet-1",
                "account_id": "acc-piet",
                "amount_minor": 1499,
                "currency": "EUR",
                "status": "late",
                "version": 2,
            },
        ),
    ],
)
def test_a_malformed_event_lands_in_the_dead_letter_queue_and_changes_nothing(
    stack: Stack, detail_type: str, detail: dict[str, Any]
) -> None:
    # Given every table as it is
    before = dump_tables(stack)
    # When the platform sends an event that does not match its schema
    answer = send(stack, (detail_type, detail), valid=False)
    # Then it is set aside with its reason, and no table changed
    assert (answer["malformed"], answer["applied"]) == (1, 0)
    (letter,) = dead_letters(stack)
    assert letter["MessageAttributes"]["code"]["StringValue"] == "invalid_detail"
    assert detail_type in letter["MessageAttributes"]["reason"]["StringValue"]
    assert dump_tables(stack) == before


def test_an_address_another_user_has_is_malformed_and_nothing_is_applied(stack: Stack) -> None:
    # Given Jan has jan@devries.example
    before = dump_tables(stack)
    # When a new user arrives with Jan's address
    taken = {"id": "u-new", "email": "jan@devries.example", "account_id": "acme", "user_type": "licensed", "version": 1}
    answer = send(stack, ("UserChanged", taken))
    # Then the event is set aside: no user, no member, no license taken
    assert answer["malformed"] == 1
    (letter,) = dead_letters(stack)
    assert letter["MessageAttributes"]["code"]["StringValue"] == "email_taken"
    assert dump_tables(stack) == before


def test_an_invoice_paid_lets_the_invitee_refused_for_it_join(api: Api, stack: Stack) -> None:
    # Given Piet, invited, is refused for his open invoice
    invitation_id, token = invite_with_token(api, PIET)
    refused = api.accept(token, "refund", as_json=True)
    assert refused.status == 409 and refused.json["error"]["code"] == "outstanding_invoices"
    # When billing tells the service the invoice is paid
    assert send(stack, invoice(2, "paid"))["applied"] == 1
    # Then the very same link accepts
    accepted = api.accept(token, "refund", as_json=True)
    assert accepted.status == 200, accepted.body
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    piet = repo.get_user("u-piet")
    assert piet is not None and piet.account_id == "acme"


def test_a_user_moved_to_another_account_changes_both_accounts_counts(stack: Stack) -> None:
    # Given Kees's assistant, a licensed member of Kees & Co (2 members), and Acme
    kees, acme = account("acc-kees"), account("acme")
    assert (int(kees.members_count), int(kees.licenses_used)) == (2, 2)
    # When the platform moves the assistant to Acme
    moved = {
        "id": "u-kees2",
        "email": "assistent@kees.example",
        "name": "Assistent van Kees",
        "language": "nl",
        "account_id": "acme",
        "role": "member",
        "user_type": "licensed",
        "version": 2,
    }
    assert send(stack, ("UserChanged", moved))["applied"] == 1
    # Then Kees & Co lost a member and a license in use, Acme gained both (one free license fewer)
    kees_after, acme_after = account("acc-kees"), account("acme")
    assert (int(kees_after.members_count), int(kees_after.licenses_used), int(kees_after.licenses_free)) == (1, 1, 1)
    assert int(acme_after.members_count) == int(acme.members_count) + 1
    assert int(acme_after.licenses_used) == int(acme.licenses_used) + 1
    assert int(acme_after.licenses_free) == int(acme.licenses_free) - 1
    # and the address now leads to Acme
    (index,) = repo.read_many([(m.UserEmailModel, m.UserEmailModel.key("assistent@kees.example"))])
    assert index is not None and index.account_id == "acme"


def test_every_kind_of_event_is_applied_and_a_removal_is_not_undone_by_an_older_change(stack: Stack) -> None:
    # Given a new organization with a customer id, a member, a subscription and an open invoice
    org = {
        "id": "initech",
        "name": "Initech",
        "type": "organization",
        "plan": "business",
        "status": "active",
        "currency": "USD",
        "licenses": 5,
        "billing_customer_id": "cus_123",
        "version": 1,
    }
    user = {
        "id": "u-peter",
        "email": "Peter@Initech.example",
        "name": "Peter",
        "account_id": "initech",
        "role": "owner",
        "user_type": "licensed",
        "version": 1,
    }
    bill = {
        "id": "inv-i-1",
        "account_id": "initech",
        "amount_minor": 5000,
        "currency": "USD",
        "status": "open",
        "version": 1,
    }
    sub = subscription("initech", 1, 9900)[1] | {"currency": "USD"}
    # When the platform sends them
    answer = send(
        stack, ("AccountChanged", org), ("UserChanged", user), ("SubscriptionChanged", sub), ("InvoiceChanged", bill)
    )
    # Then each is applied and the counters follow
    assert answer["applied"] == 4, answer
    initech = repo.get_account("initech")
    assert initech is not None and initech.billing_customer_id == "cus_123"
    assert (initech.members_count, initech.licenses_used, initech.licenses_free) == (1, 1, 4)
    assert initech.balance_due_minor == 5000 and initech.subscription is not None
    peter = repo.get_user("u-peter")
    assert peter is not None and peter.email == "peter@initech.example"
    # When the invoice and the user are removed, and then the account
    answer = send(
        stack, ("InvoiceRemoved", {"id": "inv-i-1", "version": 2}), ("UserRemoved", {"id": "u-peter", "version": 2})
    )
    assert answer["applied"] == 2
    assert send(stack, ("AccountRemoved", {"id": "initech", "version": 2}))["applied"] == 1
    # Then nothing is owed, the user and their address are gone, the account is removed
    initech = repo.get_account("initech")
    assert initech is not None
    assert (initech.status, initech.balance_due_minor, initech.members_count) == ("removed", 0, 0)
    assert repo.get_user("u-peter") is None
    (index,) = repo.read_many([(m.UserEmailModel, m.UserEmailModel.key("peter@initech.example"))])
    assert index is None
    # When the older changes arrive late
    late = send(stack, ("AccountChanged", org), ("UserChanged", user), ("InvoiceChanged", bill))
    # Then they bring nothing back
    assert (late["applied"], late["ignored"]) == (0, 3)
    assert repo.get_user("u-peter") is None
    initech = repo.get_account("initech")
    assert initech is not None and (initech.status, initech.balance_due_minor) == ("removed", 0)


def test_a_user_arriving_before_their_account_is_applied_once_the_account_is_there(stack: Stack) -> None:
    # Given a new account's first user, sent before the account itself
    org = {
        "id": "hooli",
        "name": "Hooli",
        "type": "organization",
        "plan": "business",
        "status": "active",
        "currency": "EUR",
        "licenses": 2,
        "version": 1,
    }
    user = {
        "id": "u-gavin",
        "email": "gavin@hooli.example",
        "account_id": "hooli",
        "user_type": "licensed",
        "version": 1,
    }
    # When both arrive, the user first
    answer = send(stack, ("UserChanged", user), ("AccountChanged", org))
    # Then the user waited for the account (retried), and both are applied, counted once
    assert (answer["applied"], answer["malformed"]) == (2, 0) and answer["retried"] >= 1, answer
    hooli = account("hooli")
    assert (int(hooli.members_count), int(hooli.licenses_used), int(hooli.licenses_free)) == (1, 1, 1)
    assert dead_letters(stack) == []
