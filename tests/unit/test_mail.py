"""E-mails and their words: rendered by us, escaped, one sentence end."""

from __future__ import annotations

from paid_invites import i18n, mail


def invitation_mail(org: str, lang: str = "nl") -> mail.Mail:
    """The invitation e-mail to Jan from ``org``, rendered in ``lang``."""
    return mail.render(
        "invitation",
        "jan@devries.example",
        lang,
        org=org,
        inviter="Arno",
        expires_on="31 december 2026",
        accept_url="https://x.example/accept?token=t",
    )


def test_a_name_ending_in_a_full_stop_is_not_followed_by_another() -> None:
    # Given an organization whose name ends in a full stop, When its invitation e-mail is written
    message = invitation_mail("Acme B.V.")
    # Then no sentence ends in "B.V.."
    assert "B.V.." not in message.text and "B.V.." not in message.html
    assert i18n.text("en", "accepted_body", email="a@b.example", org="Acme B.V.").endswith("Acme B.V.")


def test_html_is_autoescaped_and_text_is_not() -> None:
    # Given a name that carries markup, When the invitation e-mail is rendered
    rendered = invitation_mail("<b>Acme</b> & Co", "en")
    # Then the HTML escapes it and the plain text keeps it as written
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in rendered.html
    assert "<b>Acme</b>" not in rendered.html
    assert "<b>Acme</b> & Co" in rendered.text
