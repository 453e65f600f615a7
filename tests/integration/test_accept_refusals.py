"""Every way the accept link can refuse, through the handlers, in HTML and JSON: what the invitee is
told, and that a refusal changes nothing (the invitation stays as it was, to be accepted later)."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlencode

from markupsafe import escape

from local.stack import Stack
from paid_invites import clock, i18n
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from paid_invites.store import transactions as tx
from tests.support.ledger import ledger_of_invitation

from ..support import Api, Reply, close_invitation, dump_tables, finished, invite_with_token, set_account

JAN, PIET, FLEUR, KEES = "jan@devries.example", "piet@jansen.example", "fleur@bakker.example", "kees@kees.example"


def open_json(api: Api, token: str) -> Reply:
    return api.call(
        "GET",
        "/invitations/accept",
        caller=api.invitee(token),
        query={"token": token},
        headers={"Accept": "application/json"},
    )


def submit_form(api: Api, token: str, **fields: str) -> Reply:
    """POST the confirm page's form as a browser does, with its hidden fields (the language among them)."""
    form = urlencode({"token": token, **fields})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return api.call("POST", "/invitations/accept", form, caller=api.invitee(token), headers=headers)


def says(page: Reply, lang: str, key: str, **words: str) -> bool:
    """The page shows this sentence of ours (HTML-escaped as the templates escape it)."""
    sentence = i18n.text(lang, key, **words)
    for value in words.values():  # "a member of Acme B.V.." may be written with one period
        if value.endswith("."):
            sentence = sentence.replace(value + ".", value)
    return str(escape(sentence)) in page.body


def error_code(reply: Reply) -> str:
    return str(reply.json["error"]["code"])


def status_of(invitation_id: str) -> str:
    inv = repo.get_invitation(invitation_id)
    assert inv is not None
    return inv.status


ORG_WORDS = {"org": "Acme B.V.", "inviter": "Arno Admin"}

# ---------------------------------------------------------------- links that are not links


def random_token() -> str:
    return f"{uuid.uuid4().hex}.{secrets.token_urlsafe(32)}"


BAD_TOKENS = {
    "random": lambda real: random_token(),
    "truncated": lambda real: real[:-1],
    "id only": lambda real: real.split(".")[0],
    "oversized": lambda real: real + "A" * 200,
    "huge": lambda real: real + "A" * 10_000,
    "unicode": lambda real: real[:-1] + "é",
    "full-width": lambda real: real[:-1] + chr(0xFF01 + ord(real[-1]) - 0x21),  # last character full-width
    "sql": lambda real: "' OR '1'='1' --",
    "sql in the secret": lambda real: real.split(".")[0] + ".' OR 1=1; DROP TABLE invitations; --",
    "html": lambda real: '"><script>alert(1)</script>',
    "html in the secret": lambda real: real.split(".")[0] + ".<img src=x onerror=alert(1)>",
    "empty": lambda real: "",
    "trailing line break": lambda real: real + "\n",
}


def test_a_link_that_is_no_invitation_shows_the_unknown_link_page_and_changes_nothing(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out
    _invitation_id, real = invite_with_token(api, JAN)
    before = dump_tables(stack)
    for shape, make in BAD_TOKENS.items():
        # When a link that is not its link is opened and submitted, as a page and as JSON
        bad = make(real)
        page = api.open_link(bad, lang="en")
        as_json = open_json(api, bad)
        posted = api.accept(bad, "refund")
        posted_json = api.accept(bad, "refund", as_json=True)
        # Then every answer is "not found" and says the link is not valid (a posted body over the accept's
        # limit is refused as too large before its token is read)
        too_large = len(bad) > 8_192
        posted_status, posted_code = (413, "body_too_large") if too_large else (404, "unknown_link")
        statuses = (page.status, as_json.status, posted.status, posted_json.status)
        assert statuses == (404, 404, posted_status, posted_status), shape
        assert says(page, "en", "refused_unknown_link"), shape
        assert says(posted, "en", "refused_unreadable_request" if too_large else "refused_unknown_link"), shape
        assert page.headers["Content-Type"].startswith("text/html"), shape
        assert error_code(as_json) == "unknown_link" and error_code(posted_json) == posted_code, shape
        # and nothing that was sent comes back into the page
        for reply in (page, posted):
            assert "<script>" not in reply.body and "onerror" not in reply.body, shape
            assert "DROP TABLE" not in reply.body and "A" * 200 not in reply.body, shape
    # and nothing changed anywhere; the real link still works
    assert dump_tables(stack) == before
    assert api.open_link(real).status == 200


def test_the_right_invitation_with_the_wrong_secret_is_an_unknown_link(api: Api, stack: Stack) -> None:
    # Given Jan's link, with one character of its secret changed
    invitation_id, real = invite_with_token(api, JAN)
    last = real[-1]
    tampered = real[:-1] + ("B" if last == "A" else "A")
    before = dump_tables(stack)
    # When it is opened and submitted
    page = api.open_link(tampered, lang="en")
    posted = api.accept(tampered, "credit", as_json=True)
    # Then it is as unknown as a random link: nothing says that the invitation exists
    assert (page.status, posted.status) == (404, 404)
    assert error_code(posted) == "unknown_link"
    assert "Acme" not in page.body and "Arno" not in page.body and JAN not in page.body
    assert dump_tables(stack) == before
    # and the real link still accepts
    assert api.accept(real, "credit").status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"


# ---------------------------------------------------------------- a used link


def test_submitting_twice_accepts_once_and_answers_the_same(api: Api, stack: Stack) -> None:
    # Given Jan accepts with a credit transfer
    invitation_id, token = invite_with_token(api, JAN)
    first_page = api.accept(token, "credit")
    assert first_page.status == 200, first_page.body
    # When the same form is submitted again (a double click, a retry), even with the other choice
    again_page = api.accept(token, "credit")
    first = api.accept(token, "credit", as_json=True)
    other_choice = api.accept(token, "refund", as_json=True)
    # Then each answer is the first result, not an error
    assert again_page.status == first.status == other_choice.status == 200
    assert again_page.body == first_page.body
    assert other_choice.json == first.json
    assert (first.json["settlement"], first.json["amount"]) == ("credit", {"amount_minor": 7453, "currency": "EUR"})
    # and the money moved once: one entry of each kind, the credit not doubled, one license used
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert api.accept(token, "credit", as_json=True).json == first.json  # after settling, too
    ledger = ledger_of_invitation(invitation_id)
    assert sorted(e.kind for e in ledger) == ["credit_transferred", "subscription_cancelled"]
    summary = api.summary("u-olga", "acme").json
    assert summary["credit"] == {"amount_minor": 7453, "currency": "EUR"}
    assert summary["licenses"] == {"total": 10, "used": 3, "held_by_pending": 0, "free": 7}
    # and opening the used link says it was accepted, changing nothing
    before = dump_tables(stack)
    page = api.open_link(token, lang="en")
    assert page.status == 409
    assert says(page, "en", "refused_already_accepted")
    assert error_code(open_json(api, token)) == "already_accepted"
    assert dump_tables(stack) == before


# ---------------------------------------------------------------- closed invitations


def test_a_revoked_invitation_says_it_was_withdrawn(api: Api, stack: Stack) -> None:
    # Given Jan's invitation was withdrawn
    invitation_id, token = invite_with_token(api, JAN)
    close_invitation(invitation_id)
    before = dump_tables(stack)
    # When he opens and submits his link
    page = api.open_link(token, lang="en")
    posted = api.accept(token, "credit")
    posted_json = api.accept(token, "credit", as_json=True)
    # Then he is told it was withdrawn, and that is all that happens
    assert (page.status, posted.status, posted_json.status) == (410, 410, 410)
    assert says(page, "en", "refused_revoked")
    assert error_code(posted_json) == "revoked"
    assert dump_tables(stack) == before
    assert status_of(invitation_id) == "revoked"
    assert repo.get_user("u-jan").account_id == "acc-jan"  # type: ignore[union-attr]


def test_an_expired_invitation_says_whom_to_ask(api: Api, stack: Stack) -> None:
    # Given Jan's invitation (30 days) and 31 days passing
    _invitation_id, token = invite_with_token(api, JAN)
    stack.clock.advance(31 * 24 * 3600)
    before = dump_tables(stack)
    # When he opens and submits his link
    page = api.open_link(token, lang="nl")
    posted = api.accept(token, "refund", as_json=True)
    # Then it has expired, and the page names who can send a new one
    assert (page.status, posted.status) == (410, 410)
    assert says(page, "nl", "refused_expired", **ORG_WORDS)
    assert "Arno Admin" in page.body
    assert error_code(posted) == "expired"
    assert error_code(open_json(api, token)) == "expired"
    # and nothing was accepted or changed
    assert dump_tables(stack) == before
    jan = repo.get_user("u-jan")
    assert jan is not None and jan.account_id == "acc-jan"


def test_an_invitation_expired_by_the_workflow_says_so_too(api: Api, stack: Stack) -> None:
    invitation_id, token = invite_with_token(api, JAN)
    inv = repo.get_invitation(invitation_id)
    assert inv is not None and tx.close_pending(inv, "expired", "workflow", clock.now())
    assert api.open_link(token).status == 410
    assert error_code(api.accept(token, "refund", as_json=True)) == "expired"


# ---------------------------------------------------------------- the invitee cannot join now


def test_open_invoices_are_paid_first_then_the_same_link_accepts(api: Api, stack: Stack) -> None:
    # Given Piet has an open invoice of EUR 14.99
    invitation_id, token = invite_with_token(api, PIET)
    before = dump_tables(stack)
    # When he opens his link, in Dutch and in English
    dutch = api.open_link(token, lang="nl")
    english = api.open_link(token, lang="en")
    # Then he is told the amount, as each language writes it, and what to do
    assert dutch.status == english.status == 409
    assert "€\u00a014,99" in dutch.body and says(dutch, "nl", "refused_outstanding_invoices", amount="€\u00a014,99")
    assert "€14.99" in english.body and says(english, "en", "refused_outstanding_invoices", amount="€14.99")
    as_json = open_json(api, token)
    assert as_json.status == 409
    assert as_json.json["error"]["code"] == "outstanding_invoices"
    assert as_json.json["error"]["details"] == {"amount_minor": 1499, "currency": "EUR"}
    # and accepting is refused the same way
    posted = api.accept(token, "refund", as_json=True)
    assert posted.status == 409 and error_code(posted) == "outstanding_invoices"
    assert api.accept(token, "refund").status == 409
    # and the invitation stays open for him, holding its license
    assert dump_tables(stack) == before
    assert status_of(invitation_id) == "pending"
    assert api.summary("u-olga", "acme").json["licenses"]["held_by_pending"] == 1
    # When billing records the invoice as paid
    set_account("acc-piet", balance_due_minor=0)
    # Then the very same link shows the confirm page and accepts
    page = api.open_link(token)
    assert page.status == 200 and 'value="refund"' in page.body
    accepted = api.accept(token, "refund", as_json=True)
    assert accepted.status == 200, accepted.body
    assert accepted.json["amount"] == {"amount_minor": 674, "currency": "EUR"}  # 13.5 of 30 days of 14.99
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    piet = repo.get_user("u-piet")
    assert piet is not None and piet.account_id == "acme"


def test_no_license_left_when_the_organization_cut_its_licenses(api: Api, stack: Stack) -> None:
    # Given Jan's licensed invitation, and Acme's licenses cut back meanwhile (the hold is gone)
    invitation_id, token = invite_with_token(api, JAN)
    set_account("acme", licenses_held=0)
    before = dump_tables(stack)
    # When he opens and submits his link
    page = api.open_link(token, lang="en")
    posted = api.accept(token, "credit", as_json=True)
    # Then there is no license for him; nothing changed, the invitation stays pending
    assert (page.status, posted.status) == (409, 409)
    assert says(page, "en", "refused_no_license_available", **ORG_WORDS)
    assert error_code(posted) == "no_license_available"
    assert dump_tables(stack) == before
    assert status_of(invitation_id) == "pending"
    # and a basic user, who needs no license, still joins
    basic_id, basic_token = invite_with_token(api, FLEUR, user_type="basic")
    assert api.accept(basic_token, as_json=True).status == 200
    assert finished(stack, basic_id)["status"] == "SUCCEEDED"


def test_someone_who_became_a_member_meanwhile_is_already_a_member(api: Api, stack: Stack) -> None:
    # Given Fleur's invitation, and Fleur moved into Acme by another route meanwhile
    _invitation_id, token = invite_with_token(api, FLEUR, user_type="basic")
    repo.key_item(m.UserModel, "u-fleur").update(actions=[m.UserModel.account_id.set("acme")])
    repo.key_item(m.UserEmailModel, m.UserEmailModel.key(FLEUR)).update(
        actions=[m.UserEmailModel.account_id.set("acme")]
    )
    before = dump_tables(stack)
    # When she opens and submits her link
    page = api.open_link(token, lang="en")
    posted = api.accept(token, as_json=True)
    # Then she is told she is a member already, and nothing changes
    assert (page.status, posted.status) == (409, 409)
    assert says(page, "en", "refused_already_member", **ORG_WORDS)
    assert error_code(posted) == "already_member"
    assert dump_tables(stack) == before


def test_an_account_with_other_users_cannot_join(api: Api, stack: Stack) -> None:
    # Given Kees, whose own account has another user (his assistant)
    invitation_id, token = invite_with_token(api, KEES)
    before = dump_tables(stack)
    # When he opens and submits his link
    page = api.open_link(token, lang="nl")
    posted = api.accept(token, "refund", as_json=True)
    # Then he is told to remove them first; nothing moved, not even the assistant
    assert (page.status, posted.status) == (409, 409)
    assert says(page, "nl", "refused_account_has_other_users", **ORG_WORDS, others="1")
    assert error_code(posted) == "account_has_other_users"
    assert posted.json["error"]["details"] == {"other_users": 1}
    assert dump_tables(stack) == before
    assert status_of(invitation_id) == "pending"


# ---------------------------------------------------------------- the choice


def test_a_paying_invitee_must_choose(api: Api, stack: Stack) -> None:
    # Given Jan, who pays for his own plan
    invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When he submits the form without choosing, or with a choice that is not offered
    page = submit_form(api, token, lang="en")
    bogus = submit_form(api, token, lang="en", settlement="cash")
    as_json = api.accept(token, as_json=True)
    # Then the confirm page comes back with the choices and an error, and JSON names the choices
    assert page.status == bogus.status == 400
    for reply in (page, bogus):
        assert 'name="settlement"' in reply.body and 'value="refund"' in reply.body and 'value="credit"' in reply.body
        assert says(reply, "en", "page_choice_required")
    assert as_json.status == 400
    assert as_json.json["error"]["code"] == "choice_required"
    assert as_json.json["error"]["details"] == {"choices": ["refund", "credit"]}
    # and nothing was accepted
    assert dump_tables(stack) == before
    # When he chooses / Then he is in
    assert api.accept(token, "refund").status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"


def test_credit_is_not_offered_across_currencies(api: Api, stack: Stack) -> None:
    # Given Jan (EUR) invited by Globex (GBP)
    invitation_id, token = invite_with_token(api, JAN, caller="u-gwen", account="globex")
    # When he opens the link
    page = api.open_link(token)
    view = open_json(api, token).json
    # Then only a refund is offered, in his own currency
    assert page.status == 200
    assert 'value="refund"' in page.body and 'value="credit"' not in page.body
    assert view["offer"]["choices"] == ["refund"]
    assert view["offer"]["amount"] == {"amount_minor": 7453, "currency": "EUR"}
    # When he asks for a credit anyway / Then that is refused, as a page and as JSON
    before = dump_tables(stack)
    posted = api.accept(token, "credit")
    posted_json = api.accept(token, "credit", as_json=True)
    assert posted.status == 400 and 'value="credit"' not in posted.body
    assert posted_json.status == 400
    assert posted_json.json["error"]["code"] == "choice_required"
    assert posted_json.json["error"]["details"] == {"choices": ["refund"]}
    assert dump_tables(stack) == before
    # and the refund is what goes through
    accepted = api.accept(token, "refund", as_json=True)
    assert accepted.status == 200 and accepted.json["settlement"] == "refund"
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    assert api.summary("u-gwen", "globex").json["credit"] == {"amount_minor": 0, "currency": "GBP"}


# ---------------------------------------------------------------- looking is not accepting


def test_opening_a_valid_link_changes_nothing(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out
    invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When the link is opened again and again (a mail scanner, a preview, the invitee), in any form
    pages = [api.open_link(token), api.open_link(token, lang="en"), api.open_link(token, lang="nl")]
    as_json = open_json(api, token)
    # Then each shows the confirm page, and not a single item changed
    assert [p.status for p in pages] == [200, 200, 200] and as_json.status == 200
    assert as_json.json["invitation_id"] == invitation_id
    assert dump_tables(stack) == before
    assert status_of(invitation_id) == "pending"
