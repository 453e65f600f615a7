"""The admin API's answers are built by the contract's models from the domain values, and say only what they
should: no token hash or task token, no empty fields in an invite result."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from paid_invites.contract import AccountSummary, InvitationList, InvitationOut, InviteResponse
from paid_invites.invitations import event
from paid_invites.ledger import LedgerEntry
from paid_invites.usecases.invite import InviteOutcome

from ..support.builders import NOW, acme, invitation


def test_an_invitation_shows_its_fields_and_history_but_never_its_secrets() -> None:
    # Given an invitation that was sent, with a task token and a link's hash, and an event with extra fields
    inv = replace(
        invitation(),
        token_hash="hash",
        task_token="task-token",
        sent_at=NOW,
        history=[event("emailed", "workflow", NOW, message_id="m-1")],
    )
    # When the API shows it
    shown = InvitationOut.from_domain(inv).answer()
    # Then it has the contract's fields, times in UTC seconds, the history as recorded, and no secret
    assert list(shown) == list(InvitationOut.model_fields)
    assert shown["sent_at"] == "2026-12-01T12:00:00Z" and shown["accepted_at"] is None
    assert shown["history"] == [
        {"event": "emailed", "by": "workflow", "at": "2026-12-01T12:00:00Z", "message_id": "m-1"}
    ]
    assert "hash" not in str(shown) and "task-token" not in str(shown)


def test_a_page_of_invitations_carries_its_cursor() -> None:
    page = InvitationList.from_domain([invitation()], "next").answer()
    assert page["next_cursor"] == "next" and [i["id"] for i in page["invitations"]] == [invitation().id]


def test_an_invite_result_leaves_out_what_it_has_not() -> None:
    outcomes = [
        InviteOutcome("jan@devries.example", "created", invitation_id="inv-1"),
        InviteOutcome("fleur@example.org", "rejected", reason="already_invited"),
        InviteOutcome("piet@example.org", "created", invitation_id="inv-2", warnings=["a_warning"]),
    ]
    assert InviteResponse.from_domain(outcomes).answer() == {
        "results": [
            {"email": "jan@devries.example", "status": "created", "invitation_id": "inv-1"},
            {"email": "fleur@example.org", "status": "rejected", "reason": "already_invited"},
            {"email": "piet@example.org", "status": "created", "invitation_id": "inv-2", "warnings": ["a_warning"]},
        ]
    }


def test_the_account_summary_shows_licenses_money_and_the_ledger() -> None:
    org = acme(licenses_held=1, credit_minor=250)
    entry = LedgerEntry("inv-1", "credit_transferred", "acme", "u-jan", 250, "EUR", NOW + timedelta(seconds=1))
    summary = AccountSummary.from_domain(org, [entry]).answer()
    assert summary["licenses"] == {
        "total": org.licenses_total,
        "used": org.licenses_used,
        "held_by_pending": 1,
        "free": org.licenses_free,
    }
    assert summary["credit"] == {"amount_minor": 250, "currency": "EUR"}
    assert summary["balance_due"] == {"amount_minor": 0, "currency": "EUR"}
    assert summary["ledger"] == [
        {
            "invitation_id": "inv-1",
            "kind": "credit_transferred",
            "account_id": "acme",
            "user_id": "u-jan",
            "amount_minor": 250,
            "currency": "EUR",
            "at": "2026-12-01T12:00:01Z",
            "state": "completed",
            "attempt": 1,
            "failure": None,
        }
    ]
