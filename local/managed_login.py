"""A stand-in for Cognito's managed login, local stack only: moto has none of its pages or endpoints.

Served by the local HTTP front under ``/_local/cognito`` (the ``CognitoDomain`` of the local stack):

- ``GET /_local/cognito/oauth2/authorize``: the authorization request of the accept flow (authorization code,
  PKCE with S256, ``state``, ``nonce``), checked against the template's app client (its id, its callback
  URLs, its scopes), and a page with e-mail and password: "Sign in" calls moto's ``InitiateAuth``; "Create
  account" creates the user with that address (confirmed, its address verified: Cognito would send a code
  first) and signs it in. Then a redirect to the callback with ``code`` and ``state``.
- ``POST /_local/cognito/oauth2/token``: the code (once, within five minutes, for the same client and
  redirect URI) and its PKCE verifier for an ID token issued and signed by moto's user pool, with the nonce.
- ``POST /_local/sign-in`` ``{"email", "password"}``: ``{"id_token": ...}`` through ``InitiateAuth``, for scripts
  and curl; ``POST /_local/sign-up`` ``{"email", "password"}`` creates such a user first.

It checks what the real endpoints check for this flow; it is not Cognito (no hosted UI settings, no MFA, no
federation, no refresh tokens from the token endpoint). On AWS the accept function talks to the pool's own.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from botocore.exceptions import ClientError, ParamValidationError

from . import cognito

PREFIX = "/_local/cognito"
CODE_SECONDS = 300
Answer = tuple[int, bytes, dict[str, str]]

_codes: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def handle(method: str, path: str, query: str, body: bytes) -> Answer | None:
    """The stand-in's answer to one request, or None when the path is not one of its own."""
    if path == "/_local/sign-in" and method == "POST":
        return _sign_in_json(body, create=False)
    if path == "/_local/sign-up" and method == "POST":
        return _sign_in_json(body, create=True)
    if path == f"{PREFIX}/oauth2/authorize":
        if method == "GET":
            return _authorize_page(_one(parse_qs(query)))
        if method == "POST":
            return _authorize_submit(_one(parse_qs(body.decode("utf-8", "replace"))))
    if path == f"{PREFIX}/oauth2/token" and method == "POST":
        return _token(_one(parse_qs(body.decode("utf-8", "replace"))))
    return None


def _one(parsed: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[-1] for k, v in parsed.items()}


def _json(status: int, value: Any) -> Answer:
    return status, json.dumps(value).encode(), {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _sign_in_json(body: bytes, create: bool) -> Answer:
    try:
        sent = json.loads(body or b"{}")
        email, password = str(sent["email"]), str(sent["password"])
    except (ValueError, KeyError, TypeError):
        return _json(400, {"error": {"code": "invalid_request", "message": 'send {"email", "password"}'}})
    if create and not cognito.exists(email):
        try:
            cognito.add_user(email, password)
        except (ClientError, ParamValidationError) as error:  # moto's password policy, an invalid address
            return _json(400, {"error": {"code": "sign_up_failed", "message": str(error)}})
    try:
        tokens = cognito.sign_in(email, password)
    except cognito.SignInFailed:
        return _json(401, {"error": {"code": "sign_in_failed", "message": "wrong e-mail address or password"}})
    return _json(200, {"id_token": tokens["id_token"]})


# ------------------------------------------------------------------ the authorization endpoint


def _request_problem(params: dict[str, str]) -> str | None:
    pool = cognito.current()
    if params.get("client_id") != pool.client_id:
        return "unknown client_id"
    if params.get("redirect_uri") not in pool.callback_urls:
        return "redirect_uri is not a callback URL of the app client"
    if params.get("response_type") != "code":
        return "response_type must be code"
    if "openid" not in params.get("scope", "").split():
        return "scope must include openid"
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE with S256 is required"
    return None


FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge")


def _authorize_page(params: dict[str, str], problem: str = "", status: int = 200) -> Answer:
    wrong = _request_problem(params)
    if wrong:
        return 400, _html("Sign-in request refused", f"<p role='alert'>{html.escape(wrong)}</p>"), _page_headers()
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
        for name in (*FIELDS, "code_challenge_method")
    )
    email = html.escape(params.get("login_hint", params.get("email", "")))
    alert = f"<p role='alert' class='error'>{html.escape(problem)}</p>" if problem else ""
    body = f"""
<p class="note">Local stand-in for Cognito's managed login (moto has none). Seed users' password: the seed's,
or <code>{html.escape(cognito.DEFAULT_PASSWORD)}</code>.</p>
{alert}
<form method="post" action="authorize">
{hidden}
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{email}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="action" value="sign_in">Sign in</button>
<button type="submit" name="action" value="sign_up">Create account</button>
</form>"""
    return status, _html("Sign in", body), _page_headers()


def _authorize_submit(form: dict[str, str]) -> Answer:
    wrong = _request_problem(form)
    if wrong:
        return 400, _html("Sign-in request refused", f"<p role='alert'>{html.escape(wrong)}</p>"), _page_headers()
    email, password = form.get("email", "").strip().lower(), form.get("password", "")
    if form.get("action") == "sign_up":
        if cognito.exists(email):
            return _authorize_page(form, "An account with this e-mail address exists: sign in.", 200)
        try:
            cognito.add_user(email, password)
        except (ClientError, ParamValidationError):  # moto's password policy, an invalid address
            return _authorize_page(form, "Choose another password (8+ characters, upper and lower case, a digit).")
    try:
        cognito.sign_in(email, password)
    except cognito.SignInFailed:
        return _authorize_page(form, "Wrong e-mail address or password.", 200)
    code = secrets.token_urlsafe(32)
    with _lock:
        now = time.monotonic()
        for old in [c for c, v in _codes.items() if v["until"] < now]:
            del _codes[old]
        _codes[code] = {
            "client_id": form["client_id"],
            "redirect_uri": form["redirect_uri"],
            "challenge": form["code_challenge"],
            "nonce": form.get("nonce") or None,
            "email": email,
            "until": now + CODE_SECONDS,
        }
    back = form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
    return 302, b"", {"Location": back, "Cache-Control": "no-store"}


# ------------------------------------------------------------------ the token endpoint


def _token(form: dict[str, str]) -> Answer:
    if form.get("grant_type") != "authorization_code":
        return _json(400, {"error": "unsupported_grant_type"})
    with _lock:
        granted = _codes.pop(form.get("code", ""), None)  # once, whatever happens next
    if granted is None or granted["until"] < time.monotonic():
        return _json(400, {"error": "invalid_grant"})
    if form.get("client_id") != granted["client_id"] or form.get("redirect_uri") != granted["redirect_uri"]:
        return _json(400, {"error": "invalid_grant"})
    verifier = form.get("code_verifier", "")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if not verifier or not secrets.compare_digest(challenge, granted["challenge"]):
        return _json(400, {"error": "invalid_grant"})
    id_token = cognito.id_token_with_nonce(granted["email"], granted["nonce"])
    return _json(200, {"id_token": id_token, "token_type": "Bearer", "expires_in": 3600})


def _page_headers() -> dict[str, str]:
    return {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def _html(title: str, body: str) -> bytes:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - local managed login</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
label,input,button{{display:block;margin:.4rem 0}}input{{width:100%;padding:.4rem}}
button{{padding:.5rem 1rem}}.note{{color:#444;font-size:.9rem}}.error{{color:#a00}}</style></head>
<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>""".encode()
