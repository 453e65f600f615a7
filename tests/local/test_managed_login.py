"""The local stand-in for Cognito's managed login checks what the real endpoints check for the accept flow: the app
client and its callback URL, PKCE with S256, the code once and for the same client, redirect URI and verifier."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from local import cognito, managed_login
from local.stack import Stack
from paid_invites import identity

VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def authorize(**changes: str) -> dict[str, str]:
    pool = cognito.current()
    return {
        "client_id": pool.client_id,
        "redirect_uri": pool.callback_urls[0],
        "response_type": "code",
        "scope": "openid email",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **changes,
    }


def signed_in(params: dict[str, str], email: str = "jan@devries.example") -> str:
    """The code the stand-in hands back for this sign-in (asserting the redirect to the callback)."""
    form = {**params, "email": email, "password": cognito.DEFAULT_PASSWORD, "action": "sign_in"}
    status, _, headers = managed_login.handle("POST", "/_local/cognito/oauth2/authorize", "", urlencode(form).encode())
    assert status == 302
    back = urlsplit(headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == params["redirect_uri"]
    query = dict(parse_qsl(back.query))
    assert query["state"] == params["state"]
    return query["code"]


def token(code: str, **changes: str) -> tuple[int, dict[str, str]]:
    pool = cognito.current()
    form = {
        "grant_type": "authorization_code",
        "client_id": pool.client_id,
        "code": code,
        "redirect_uri": pool.callback_urls[0],
        "code_verifier": VERIFIER,
        **changes,
    }
    status, body, _ = managed_login.handle("POST", "/_local/cognito/oauth2/token", "", urlencode(form).encode())
    return status, json.loads(body)


def test_the_code_with_its_verifier_gives_an_id_token_with_the_nonce_once(stack: Stack) -> None:
    code = signed_in(authorize())
    status, tokens = token(code)
    assert status == 200
    who = identity.verify_id_token(tokens["id_token"], audience=cognito.current().client_id, nonce="n1")
    assert who.sub == "u-jan" and who.verified_email == "jan@devries.example"
    # the same code again is refused
    status, refused = token(code)
    assert status == 400 and refused["error"] == "invalid_grant"


def test_another_verifier_client_or_redirect_uri_is_refused(stack: Stack) -> None:
    for changes in ({"code_verifier": "w" * 64}, {"client_id": "other"}, {"redirect_uri": "http://evil.example/"}):
        assert token(signed_in(authorize()), **changes)[0] == 400, changes


def test_an_authorization_request_outside_the_app_clients_settings_is_refused(stack: Stack) -> None:
    for changes in (
        {"client_id": "other"},
        {"redirect_uri": "http://evil.example/invitations/accept"},
        {"response_type": "token"},
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"scope": "email"},
    ):
        status, _, _ = managed_login.handle(
            "GET", "/_local/cognito/oauth2/authorize", urlencode(authorize(**changes)), b""
        )
        assert status == 400, changes
    status, page, _ = managed_login.handle("GET", "/_local/cognito/oauth2/authorize", urlencode(authorize()), b"")
    assert status == 200 and b"stand-in for Cognito" in page


def test_a_wrong_password_gives_no_code(stack: Stack) -> None:
    form = {**authorize(), "email": "jan@devries.example", "password": "wrong", "action": "sign_in"}
    status, page, headers = managed_login.handle(
        "POST", "/_local/cognito/oauth2/authorize", "", urlencode(form).encode()
    )
    assert status == 200 and "Location" not in headers and b"Wrong e-mail address or password" in page
