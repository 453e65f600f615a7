"""E-mails and their words: rendered by us, escaped, one sentence end."""

from __future__ import annotations

from paid_invites import i18n, mail


def test_a_name_ending_in_a_full_stop_is_not_followed_by_another() -> None:
    # Given an organization whose name ends in a full stop, When its invitation e-mail is written
    message = mail.render(
        "invitation",
        "jan@devries.example",
        "nl",
        org="Acme B.V.",
        inviter="Arno",
        expires_on="31 december 2026",
        accept_url="https://x.example/accept?token=t",
    )
    # Then no sentence ends in "B.V.."
    assert "B.V.." not in message.text and "B.V.." not in message.html
    assert i18n.text("en", "accepted_body", email="a@b.example", org="Acme B.V.").endswith("Acme B.V.")
