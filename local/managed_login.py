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

The OAuth 2.0 part is Authlib's (``AuthorizationServer`` with its authorization code grant and PKCE, RFC 7636,
S256 only) on a small Flask app; what is ours is the app client it knows (the template's, from moto), the
page, moto's ``InitiateAuth`` behind it, and the ID token moto's pool issues. It checks what the real endpoints
check for this flow; it is not Cognito (no hosted UI settings, no MFA, no federation, no refresh tokens from the
token endpoint). On AWS the accept function talks to the pool's own.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from botocore.exceptions import ClientError, ParamValidationError
from flask import Flask
from flask import request as flask_request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WsgiResponse

from . import cognito

PREFIX = "/_local/cognito"
CODE_SECONDS = 300
Answer = tuple[int, bytes, dict[str, str]]

_codes: dict[str, _Code] = {}
_lock = threading.Lock()


def handle(method: str, path: str, query: str, body: bytes) -> Answer | None:
    """The stand-in's answer to one request, or None when the path is not one of its own."""
    if path == "/_local/sign-in" and method == "POST":
        return _sign_in_json(body, create=False)
    if path == "/_local/sign-up" and method == "POST":
        return _sign_in_json(body, create=True)
    if path in (f"{PREFIX}/oauth2/authorize", f"{PREFIX}/oauth2/token"):
        return _served(method, path, query, body)
    return None


def _json(status: int, value: Any) -> Answer:
    return status, json.dumps(value).encode(), {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _error(code: str, message: str) -> dict[str, Any]:
    """The API's one error shape."""
    return {"error": {"code": code, "message": message, "details": {}}}


def _sign_in_json(body: bytes, create: bool) -> Answer:
    try:
        sent = json.loads(body or b"{}")
        email, password = str(sent["email"]), str(sent["password"])
    except (ValueError, KeyError, TypeError):
        return _json(400, _error("invalid_request", 'send {"email", "password"}'))
    if create and not cognito.exists(email):
        try:
            cognito.add_user(email, password)
        except (ClientError, ParamValidationError) as error:  # moto's password policy, an invalid address
            return _json(400, _error("sign_up_failed", str(error)))
    try:
        tokens = cognito.sign_in(email, password)
    except cognito.SignInFailed:
        return _json(401, _error("sign_in_failed", "wrong e-mail address or password"))
    return _json(200, {"id_token": tokens["id_token"]})


# ------------------------------------------------------------------ the managed login, on Authlib


class _S256Only(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]  # Cognito takes S256 only


@dataclass
class _Client(ClientMixin):
    """The template's app client, as the pool has it: public (no secret), code flow, its callback URLs."""

    client_id: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _User:
    email: str
    nonce: str | None = None

    def get_user_id(self) -> str:
        return self.email


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    nonce: str | None
    email: str
    until: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class _CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]  # a public client with PKCE

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        with _lock:
            now = time.monotonic()
            for old in [c for c, v in _codes.items() if v.until < now]:
                del _codes[old]
            _codes[code] = _Code(
                code,
                request.client.get_client_id(),
                request.payload.redirect_uri,
                request.scope,
                data.get("code_challenge", ""),
                data.get("code_challenge_method", ""),
                data.get("nonce") or None,
                request.user.email,
                now + CODE_SECONDS,
            )

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        with _lock:
            found = _codes.get(code)
        if found is None or found.client_id != client.get_client_id() or found.until < time.monotonic():
            return None
        return found

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        with _lock:
            _codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: _Code) -> _User:
        return _User(authorization_code.email, authorization_code.nonce)


def _query_client(client_id: str) -> _Client | None:
    pool = cognito.current()
    return _Client(pool.client_id, pool.callback_urls) if client_id == pool.client_id else None


def _tokens(
    grant_type: str, client: _Client, user: _User, scope: str, expires_in: int, include_refresh_token: bool
) -> dict[str, Any]:
    """What Cognito's token endpoint answers: the ID token (issued and signed by moto's pool, with the
    authorization request's nonce); no access or refresh token is needed by the accept flow."""
    return {"id_token": cognito.id_token_with_nonce(user.email, user.nonce), "token_type": "Bearer", "expires_in": 3600}


def _app() -> Flask:
    # Authlib refuses OAuth over http; the local stack is http on the loopback address (never deployed)
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = Flask("managed_login_stand_in")
    server = AuthorizationServer(app, query_client=_query_client, save_token=lambda token, request: None)
    server.register_grant(_CodeGrant, [_S256Only(required=True)])
    server.register_token_generator("authorization_code", _tokens)

    @app.route(f"{PREFIX}/oauth2/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return _refused(error.description or error.error)
        if "openid" not in (flask_request.values.get("scope") or "").split():
            return _refused("scope must include openid")
        if not flask_request.values.get("code_challenge"):
            return _refused("PKCE with S256 is required")
        params = {k: v for k, v in flask_request.values.items() if k in FIELDS or k == "code_challenge_method"}
        if flask_request.method == "GET":
            return _page(params)
        email = (flask_request.form.get("email") or "").strip().lower()
        password = flask_request.form.get("password") or ""
        if flask_request.form.get("action") == "sign_up":
            if cognito.exists(email):
                return _page(params, "An account with this e-mail address exists: sign in.")
            try:
                cognito.add_user(email, password)
            except (ClientError, ParamValidationError):  # moto's password policy, an invalid address
                return _page(params, "Choose another password (8+ characters, upper and lower case, a digit).")
        try:
            cognito.sign_in(email, password)
        except cognito.SignInFailed:
            return _page(params, "Wrong e-mail address or password.")
        return server.create_authorization_response(grant=grant, grant_user=_User(email))

    @app.route(f"{PREFIX}/oauth2/token", methods=["POST"])
    def token() -> Any:
        return server.create_token_response()

    return app


_flask: Flask | None = None


def _served(method: str, path: str, query: str, body: bytes) -> Answer:
    """One request to the stand-in's WSGI app, as the local front received it."""
    global _flask
    with _lock:
        if _flask is None:
            _flask = _app()
    environ = EnvironBuilder(
        path=path,
        method=method,
        query_string=query,
        data=body,
        content_type="application/x-www-form-urlencoded" if body else None,
        base_url="http://127.0.0.1/",
    ).get_environ()
    answer = WsgiResponse.from_app(_flask, environ)
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return answer.status_code, answer.get_data(), headers


FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge")


def _refused(why: str) -> tuple[bytes, int, dict[str, str]]:
    return _html("Sign-in request refused", f"<p role='alert'>{html.escape(why)}</p>"), 400, _page_headers()


def _page(params: dict[str, str], problem: str = "") -> tuple[bytes, int, dict[str, str]]:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in params.items()
    )
    alert = f"<p role='alert' class='error'>{html.escape(problem)}</p>" if problem else ""
    body = f"""
<p class="note">Local stand-in for Cognito's managed login (moto has none). Seed users' password: the seed's,
or <code>{html.escape(cognito.DEFAULT_PASSWORD)}</code>.</p>
{alert}
<form method="post" action="authorize">
{hidden}
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="action" value="sign_in">Sign in</button>
<button type="submit" name="action" value="sign_up">Create account</button>
</form>"""
    return _html("Sign in", body), 200, _page_headers()


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
