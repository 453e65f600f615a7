"""The money at the moment of decision: the accept goes ahead only with the amount the invitee was shown.

The confirm page (and its JSON) carries a ``quote``, the fingerprint of the money it shows; the accept sends it
back. When the platform changed what the money depends on between page and accept (a renewal, a new price),
the accept asks again with the new amount and writes nothing; settling books exactly what was confirmed.
The platform's changes arrive as they do in production: its events on the platform bus, ingested by
PlatformEventsFunction (``local.platform_bus``, what ``POST /_local/platform-events`` does).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from local.stack import Stack
from paid_invites import formatting, i18n
from paid_invites.money import Money
from paid_invites.store import repository as repo
from paid_invites.store import transactions as tx
from tests.support.ledger import ledger_of_invitation

from ..support import Api, Reply, dump_tables, finished, invite_with_token
from ..support.client import quote_of
from ..support.event_schemas import send

JAN, FLEUR = "jan@devries.example", "fleur@bakker.example"  # Jan pays EUR 149.90 a year; Fleur is free
# The platform renews Jan's plan at a new price: a new year from today (the tests' clock: 1 December 2026, noon)
RENEWED = {
    "account_id": "acc-jan",
    "amount_minor": 17990,
    "currency": "EUR",
    "interval": "year",
    "current_period_start": "2026-12-01T00:00:00Z",
    "current_period_end": "2027-12-01T00:00:00Z",
    "payment_method": "visa-4242",
    "status": "active",
    "version": 2,  # the seed's is the first
}
# 17990 x (a year less the 12 hours gone) / a year, rounded down; before the renewal: 7453 (half a year left)
RENEWED_UNUSED, UNUSED = 17965, 7453


def platform_sends(stack: Stack, detail_type: str, detail: dict[str, Any]) -> None:
    """The platform puts one event on its bus; PlatformEventsFunction applies it (the queues drained)."""
    done = send(stack, (detail_type, detail))
    assert done["applied"] == 1, done


def renew(stack: Stack) -> None:
    platform_sends(stack, "SubscriptionChanged", RENEWED)


def page_json(api: Api, token: str) -> dict[str, Any]:
    reply = api.call("GET", "/invitations/accept", caller=api.invitee(token), query={"token": token},
                     headers={"Accept": "application/json"})  # fmt: skip
    assert reply.status == 200, reply.body
    return dict(reply.json)


def error_of(reply: Reply) -> dict[str, Any]:
    return dict(reply.json["error"])


def booked(invitation_id: str) -> dict[str, int]:
    """The ledger of one invitation: kind -> amount in minor units."""
    return {e.kind: int(e.amount_minor) for e in ledger_of_invitation(invitation_id)}


def says(page: Reply, key: str, **words: str) -> bool:
    return str(escape(i18n.text("en", key, **words))) in page.body


def test_a_renewal_between_page_and_accept_asks_again_with_the_new_amount_and_writes_nothing(
    api: Api, stack: Stack
) -> None:
    # Given Jan opened his page: the unused half year of his plan, with its quote
    invitation_id, token = invite_with_token(api, JAN)
    shown = page_json(api, token)
    assert shown["offer"]["amount"] == {"amount_minor": UNUSED, "currency": "EUR"}
    html = api.open_link(token, lang="en")
    assert quote_of(html) == shown["quote"]  # the form's hidden field: the same money, the same quote
    # When the platform renews his plan at a new price before he presses accept
    renew(stack)
    before = dump_tables(stack)
    as_page = api.accept(token, "refund", lang="en", quote=shown["quote"])
    as_json = api.accept(token, "refund", as_json=True, quote=shown["quote"])
    # Then the page comes back (409) with a notice and the new amount, the choice kept, and a new quote
    new_amount = Money(RENEWED_UNUSED, "EUR")
    assert as_page.status == 409, as_page.body
    assert says(as_page, "page_amount_changed_title")
    assert says(as_page, "page_amount_changed", amount=formatting.money(new_amount, "en"))
    assert 'value="refund" required aria-describedby="settlement-refund-hint" checked' in as_page.body
    assert quote_of(as_page) not in ("", shown["quote"])
    # and the JSON answer names the new amount and its quote
    assert as_json.status == 409
    error = error_of(as_json)
    assert error["code"] == "amount_changed"
    assert error["details"]["offer"]["amount"] == new_amount.as_dict()
    now = page_json(api, token)  # what the page shows now: the same offer, the same quote
    assert error["details"] == {"offer": now["offer"], "quote": now["quote"]}
    assert now["offer"]["choices"] == ["refund", "credit"] and quote_of(as_page) == now["quote"]
    # and nothing was written: the invitation is pending, Jan still in his own account, no ledger
    assert dump_tables(stack) == before
    assert repo.get_invitation(invitation_id).status == "pending"  # type: ignore[union-attr]
    # When he confirms the new amount (the quote of the page that showed it)
    accepted = api.accept(token, "refund", as_json=True, quote=error["details"]["quote"])
    # Then he is in, and the ledger books exactly the amount he confirmed
    assert accepted.status == 200, accepted.body
    assert accepted.json["amount"] == new_amount.as_dict()
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert booked(invitation_id) == {"subscription_cancelled": 17990, "refund_requested": RENEWED_UNUSED}


def test_an_unchanged_subscription_accepts_as_before_and_books_the_amount_on_the_page(api: Api, stack: Stack) -> None:
    # Given Jan opened his page (Dutch, his language): the amount and the form with its quote
    invitation_id, token = invite_with_token(api, JAN)
    page = api.open_link(token)
    shown = page_json(api, token)["offer"]["amount"]
    assert formatting.money(Money(**shown), "nl") in page.body
    # When he accepts with a credit transfer from that page (its hidden fields)
    accepted = api.accept(token, "credit", lang="nl", quote=quote_of(page))
    # Then he is in, and what settling books is exactly the amount the page showed him
    assert accepted.status == 200, accepted.body
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert booked(invitation_id) == {"subscription_cancelled": 14990, "credit_transferred": shown["amount_minor"]}
    assert shown["amount_minor"] == UNUSED


def test_an_accept_without_a_quote_is_asked_to_confirm_the_money_and_one_without_money_needs_none(
    api: Api, stack: Stack
) -> None:
    # Given Jan (paid plan) and Fleur (free account) are invited
    jan_invitation, jan_token = invite_with_token(api, JAN)
    fleur_invitation, fleur_token = invite_with_token(api, FLEUR, user_type="basic")
    before = dump_tables(stack)
    # When Jan posts an accept that does not say which amount it saw
    blind = api.accept(jan_token, "refund", as_json=True, quote="")
    # Then it is not taken as agreeing to any: 409 with the amount now and its quote, nothing written
    assert blind.status == 409
    assert error_of(blind)["code"] == "amount_changed"
    assert error_of(blind)["details"]["offer"]["amount"] == {"amount_minor": UNUSED, "currency": "EUR"}
    assert error_of(blind)["details"]["quote"] == page_json(api, jan_token)["quote"]
    assert dump_tables(stack) == before
    # When Fleur, with no money involved, accepts without one
    free = api.accept(fleur_token, as_json=True, quote="")
    # Then she is in, nothing to settle
    assert free.status == 200, free.body
    assert free.json["amount"] is None
    assert finished(stack, fleur_invitation)["status"] == "SUCCEEDED"
    assert booked(fleur_invitation) == {}
    assert repo.get_invitation(jan_invitation).status == "pending"  # type: ignore[union-attr]


def test_a_new_open_invoice_between_page_and_accept_refuses_and_writes_nothing(api: Api, stack: Stack) -> None:
    # Given Jan opened his page
    invitation_id, token = invite_with_token(api, JAN)
    quote = page_json(api, token)["quote"]
    # When an invoice of EUR 12.50 opens on his own account before he accepts
    invoice = {"id": "in-jan-1", "account_id": "acc-jan", "amount_minor": 1250, "currency": "EUR", "status": "open"}
    platform_sends(stack, "InvoiceChanged", {**invoice, "version": 1})
    before = dump_tables(stack)
    as_json = api.accept(token, "refund", as_json=True, quote=quote)
    as_page = api.accept(token, "refund", lang="en", quote=quote)
    # Then he is refused with the outstanding invoices and their amount, and nothing was written
    assert as_json.status == as_page.status == 409
    assert error_of(as_json)["code"] == "outstanding_invoices"
    assert error_of(as_json)["details"] == {"amount_minor": 1250, "currency": "EUR"}
    assert "€12.50" in as_page.body
    assert dump_tables(stack) == before
    assert repo.get_invitation(invitation_id).status == "pending"  # type: ignore[union-attr]


def test_a_renewal_racing_the_accept_fails_its_transaction_and_asks_again(
    api: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Jan opened his page
    invitation_id, token = invite_with_token(api, JAN)
    quote = page_json(api, token)["quote"]
    # When the renewal lands after the accept read his account and before its transaction commits
    write = tx.accept
    raced: list[bool] = []

    def renewed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            renew(stack)
        return write(*args, **kwargs)

    monkeypatch.setattr(tx, "accept", renewed_meanwhile)
    before_race = dump_tables(stack)
    answer = api.accept(token, "refund", as_json=True, quote=quote)
    # Then the transaction did not commit (it requires the subscription as read), and the answer is the new
    # amount to confirm: 409 amount_changed, not a 5xx
    assert raced == [True]
    assert answer.status == 409, answer.body
    assert error_of(answer)["code"] == "amount_changed"
    assert error_of(answer)["details"]["offer"]["amount"]["amount_minor"] == RENEWED_UNUSED
    after = dump_tables(stack)
    assert [i for i in after["InvitationsTable"] if i["id"]["S"] == invitation_id] == [
        i for i in before_race["InvitationsTable"] if i["id"]["S"] == invitation_id
    ]
    assert after["LedgerTable"] == before_race["LedgerTable"] == []
    jan = repo.get_user("u-jan")
    assert jan is not None and jan.account_id == "acc-jan"
