"""Only the invited person can accept: the link is the way in, signing in with the platform's identity (Cognito ID
tokens of the local user pool in moto, checked by the product's own code) is what authorizes the money decision.
Every refusal leaves the invitation, the accounts and the money exactly as they were."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.cognitoidp.models import cognitoidp_backends
from moto.utilities.utils import load_resource

from local import cognito
from local.stack import Stack
from paid_invites import identity
from paid_invites.config import get_settings

from ..support import FLEUR, JAN, Api, dump_tables, finished, invite_with_token
from ..support.client import quote_of

GWEN = "gwen@globex.example"  # another platform user (owner of Globex)
NEW = "nina@nieuw.example"  # nobody on the platform yet


def forged(api: Api, who: str, **claims: object) -> str:
    """An ID token of ``who`` as moto would sign it, with some claims changed (signed with moto's own key)."""
    real = api.id_token(who)
    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    payload = jwt.decode(real, key).claims
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, {**payload, **claims}, key)


def expired(api: Api, who: str) -> str:
    """An ID token moto's pool issued an hour and a minute ago (so, expired)."""
    pool = cognito.current()
    moto_pool = cognitoidp_backends["123456789012"]["us-east-1"].user_pools[pool.pool_id]
    token, _ = moto_pool.create_jwt(pool.client_id, who, "id", expires_in=-60)
    return str(token)


def tampered(api: Api, who: str) -> str:
    header, payload, signature = api.id_token(who).split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return f"{header}.{flipped}.{signature}"


def post_with(api: Api, token: str, id_token: str | None, settlement: str = "refund", quote: str = "") -> object:
    headers = {"Accept": "application/json", **({"Authorization": id_token} if id_token else {})}
    sent = {"token": token, "settlement": settlement, **({"quote": quote} if quote else {})}
    return api.call("POST", "/invitations/accept", sent, headers=headers)


def test_without_signing_in_the_page_shows_the_invitation_not_the_money_and_post_changes_nothing(
    api: Api, stack: Stack
) -> None:
    # Given Jan's invitation is out (he pays for a plan of his own)
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When someone holding the link opens it and posts the form without signing in
    page = api.open_link(token, signed_in=None, lang="en")
    as_json = api.call("GET", "/invitations/accept", query={"token": token}, headers={"Accept": "application/json"})
    posted = api.accept(token, "refund", signed_in=None, lang="en")
    posted_json = api.accept(token, "refund", as_json=True, signed_in=None)
    # Then the page shows who invites, to what, and for whom (masked), with one action: signing in
    assert page.status == 401
    assert "Acme B.V." in page.body and "Arno Admin" in page.body and "j***@devries.example" in page.body
    assert JAN not in page.body
    assert "Sign in to accept" in page.body and "sign_in=1" in page.body
    # and not the money: no amount, no payment method, no accept form
    assert "€" not in page.body and "visa" not in page.body.lower() and 'name="settlement"' not in page.body
    # and JSON says sign_in_required
    assert as_json.status == posted_json.status == 401
    assert as_json.json["error"]["code"] == posted_json.json["error"]["code"] == "sign_in_required"
    assert "amount" not in as_json.body
    # and the posted form is answered with the same page, nothing accepted
    assert posted.status == 401 and "Sign in to accept" in posted.body
    assert dump_tables(stack) == before


def test_signed_in_as_someone_else_is_refused_and_changes_nothing(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out, and the e-mail reached Gwen (a forwarded mail)
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When Gwen, signed in as herself, opens the link and accepts
    page = api.open_link(token, signed_in="u-gwen", lang="en")
    posted = api.accept(token, "credit", as_json=True, signed_in="u-gwen")
    form = api.accept(token, "credit", signed_in="u-gwen", lang="en")
    # Then the page says so, naming both masked addresses, and offers to sign in as the right person
    assert page.status == 403
    assert "g***@globex.example" in page.body and "j***@devries.example" in page.body
    assert "Sign in as j***@devries.example" in page.body and "€" not in page.body
    # and the accept is 403 wrong_account, for the JSON and for the form
    assert posted.status == 403 and posted.json["error"]["code"] == "wrong_account"
    assert posted.json["error"]["details"] == {
        "invited": "j***@devries.example",
        "signed_in_as": "g***@globex.example",
        "sign_in": posted.json["error"]["details"]["sign_in"],
    }
    assert form.status == 403
    # and nothing changed: the invitation, the accounts, the money
    assert dump_tables(stack) == before


@pytest.mark.parametrize("kind", ["tampered", "expired", "wrong audience", "wrong issuer", "access token"])
def test_an_id_token_that_does_not_verify_is_401_and_changes_nothing(api: Api, stack: Stack, kind: str) -> None:
    # Given Jan's invitation is out
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    bad = {
        "tampered": lambda: tampered(api, JAN),
        "expired": lambda: expired(api, JAN),
        "wrong audience": lambda: forged(api, JAN, aud="another-app-client"),
        "wrong issuer": lambda: forged(api, JAN, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "access token": lambda: forged(api, JAN, token_use="access"),
    }[kind]()
    # When Jan's "ID token" of that kind is sent with the accept, and with the page
    posted = post_with(api, token, bad)
    page = api.call("GET", "/invitations/accept", query={"token": token}, headers={"Authorization": bad})
    # Then both are 401, and nothing changed
    assert posted.status == 401 and posted.json["error"]["code"] == "sign_in_required"  # type: ignore[attr-defined]
    assert page.status == 401
    assert dump_tables(stack) == before


def test_the_invitees_id_token_accepts_once_and_a_replay_answers_the_same(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out
    invitation_id, token = invite_with_token(api, JAN)
    jan = api.id_token(JAN)
    # When Jan, signed in, sees his page and accepts with a refund
    page = api.open_link(token, lang="en")
    first = post_with(api, token, jan, quote=quote_of(page))
    # Then the page shows the money to him, and the accept is 200
    assert page.status == 200 and "€" in page.body and 'name="settlement"' in page.body
    assert first.status == 200, first.body  # type: ignore[attr-defined]
    assert finished(stack, invitation_id)
    # and a replay by him answers the same result, settled once
    again = post_with(api, token, jan, quote=quote_of(page))
    assert again.status == 200 and again.json == first.json  # type: ignore[attr-defined]
    refunds = [e for e in dump_tables(stack)["LedgerTable"] if e["kind"]["S"] == "refund_requested"]
    assert len(refunds) == 1
    # and a replay by someone else is refused, the result untold
    other = post_with(api, token, api.id_token("u-gwen"))
    assert other.status == 403 and "amount" not in other.body  # type: ignore[attr-defined]


def test_bearer_user_ids_are_no_identity_any_more(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When the former local stand-in is sent: a user id as the bearer
    admin = api.call("GET", "/accounts/acme", headers={"Authorization": "Bearer u-arno"})
    accept = post_with(api, token, "Bearer u-jan")
    # Then the admin route is the authorizer's 401, and the accept is 401 too
    assert admin.status == 401
    assert accept.status == 401  # type: ignore[attr-defined]
    assert dump_tables(stack) == before
    # and the real ID tokens work, with or without "Bearer "
    assert api.call("GET", "/accounts/acme", headers={"Authorization": api.id_token("u-arno")}).status == 200
    bearer = "Bearer " + api.id_token("u-arno")
    assert api.call("GET", "/accounts/acme", headers={"Authorization": bearer}).status == 200


def test_a_new_person_signs_up_with_the_invited_address_and_joins_with_their_sub(api: Api, stack: Stack) -> None:
    # Given Nina, who is not on the platform, is invited
    invitation_id, token = invite_with_token(api, NEW)
    before = dump_tables(stack)
    # When someone signed in with another verified address tries first
    other = post_with(api, token, api.id_token(FLEUR))
    assert other.status == 403  # type: ignore[attr-defined]
    assert dump_tables(stack) == before
    # and Nina signs up with the invited address (in another case) and accepts
    sub = cognito.add_user(NEW.upper(), "Nina-pass-1")
    nina = cognito.sign_in(NEW, "Nina-pass-1")["id_token"]
    accepted = post_with(api, token, nina)
    # Then she joins Acme, her platform user id the sub she signed in with
    assert accepted.status == 200, accepted.body  # type: ignore[attr-defined]
    assert identity.verify_id_token(nina).sub == sub
    users = {u["id"]["S"]: u for u in dump_tables(stack)["UsersTable"] if "name" in u}
    assert users[sub]["email"]["S"] == NEW and users[sub]["account_id"]["S"] == "acme"
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"


def test_the_session_cookie_of_another_stack_or_a_guessed_one_is_nobody(api: Api, stack: Stack) -> None:
    # Given Jan's invitation is out
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When the accept is posted with a made-up session cookie and CSRF token
    headers = {"Cookie": "invite_session=made-up", "Content-Type": "application/x-www-form-urlencoded"}
    posted = api.call("POST", "/invitations/accept", f"token={token}&settlement=refund&csrf=x", headers=headers)
    # Then it is not signed in: 401, nothing changed
    assert posted.status == 401
    assert dump_tables(stack) == before


def test_sign_in_starts_at_the_managed_login_with_pkce_state_and_nonce_and_stores_nothing(
    api: Api, stack: Stack
) -> None:
    # Given Jan's invitation is out
    _invitation_id, token = invite_with_token(api, JAN)
    before = dump_tables(stack)
    # When "Sign in to accept" is followed (a mail scanner may do it too)
    started = api.call("GET", "/invitations/accept", query={"token": token, "sign_in": "1", "settlement": "credit"})
    # Then it is a redirect to the managed login's authorize endpoint of the app client, code flow with PKCE
    assert started.status == 303
    settings = get_settings()
    assert started.location.startswith(settings.cognito_domain + "/oauth2/authorize?")
    for part in ("response_type=code", f"client_id={settings.cognito_client_id}", "code_challenge_method=S256"):
        assert part in started.location
    assert "state=" in started.location and "nonce=" in started.location and "code_challenge=" in started.location
    # with a login cookie (HttpOnly, Secure, SameSite=Lax) and without the invitation's token in the URL
    (login,) = started.cookies
    assert login.startswith("invite_login=") and "HttpOnly" in login and "Secure" in login and "SameSite=Lax" in login
    assert token not in started.location
    # and nothing was stored
    assert dump_tables(stack) == before


def test_tokens_are_checked_without_waiting_for_the_clock_of_the_product(api: Api) -> None:
    # Given a fresh ID token and the product's clock moved a month ahead (tokens carry Cognito's time)
    jan = api.id_token(JAN)
    api.advance_clock(31 * 24 * 3600)
    # Then the token is still valid, and it is valid only until its own exp
    claims = identity.verify_id_token(jan)
    assert claims.sub == "u-jan"
    with pytest.raises(identity.InvalidToken):
        identity.verify_id_token(jan, now=time.time() + 3 * 3600)
