"""Signing in to accept: the round trip through the user pool's managed login, and who is signed in.

- :func:`start`: the authorization request (code flow, PKCE S256, ``state`` and ``nonce``) and the login
  cookie that binds its round trip to this browser and to the invitation (the link's token, the language and
  a choice made before, so that the invitee comes back to the same page). Nothing is stored.
- :func:`finish`: the callback. The ``state`` must be the login cookie's; the code is exchanged at the token
  endpoint with the cookie's verifier; the ID token is checked (issuer, audience = our app client,
  ``token_use``, expiry, the cookie's nonce, the signature); a session starts: a random id for an HttpOnly
  cookie, stored hashed with its end (store/sessions.py). No token leaves this function.
- :func:`who`: the identity behind a session cookie, or behind ``Authorization: <ID token>`` (a frontend that
  renders its own page), checked as API Gateway's Cognito authorizer checks it, its audience one of our app
  clients.
- :func:`csrf_token`: the accept form's CSRF token, bound to the session (an HMAC of the session's id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from .. import clock, identity
from ..config import get_settings
from ..identity import Identity
from ..store import sessions

LOGIN_SECONDS = 600  # the login cookie: one round trip through the managed login


class SignInFailed(Exception):
    """The callback does not complete a sign-in begun in this browser (the reason is for logs only)."""


@dataclass(frozen=True)
class LoginStart:
    location: str  # the managed login's authorization URL
    cookie: str  # the login cookie's value


@dataclass(frozen=True)
class Back:
    """Where the invitee returns after signing in, and the session they have now."""

    token: str
    lang: str
    settlement: str
    session_id: str
    max_age: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def start(token: str, lang: str, settlement: str, redirect_uri: str) -> LoginStart:
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = _b64(hashlib.sha256(verifier.encode()).digest())
    login = {"s": state, "n": nonce, "v": verifier, "t": token, "l": lang, "c": settlement}
    cookie = _b64(json.dumps(login, separators=(",", ":")).encode())
    return LoginStart(identity.authorize_url(state, nonce, challenge, redirect_uri), cookie)


def _login(cookie: str | None) -> dict[str, str] | None:
    if not cookie or len(cookie) > 4096:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4)))
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in "snvtlc"):
        return None
    return value


def login_target(cookie: str | None) -> tuple[str, str] | None:
    """(link token, language) of the sign-in begun in this browser, for a page that says it failed."""
    login = _login(cookie)
    return (login["t"], login["l"]) if login else None


def finish(code: str | None, state: str | None, cookie: str | None, redirect_uri: str) -> Back:
    login = _login(cookie)
    if login is None:
        raise SignInFailed("no sign-in was begun in this browser (or it took longer than the login cookie)")
    if not state or not secrets.compare_digest(state.encode(), login["s"].encode()):
        raise SignInFailed("the state is not this browser's")
    if not code:
        raise SignInFailed("the managed login sent no code")
    try:
        token = identity.exchange_code(code, login["v"], redirect_uri)
        who = identity.verify_id_token(token, audience=get_settings().cognito_client_id, nonce=login["n"])
    except (identity.ExchangeFailed, identity.InvalidToken) as error:
        raise SignInFailed(str(error)) from None
    session_id = secrets.token_urlsafe(32)
    ttl = get_settings().session_ttl_seconds
    sessions.start(session_id, who.sub, who.email, who.email_verified, clock.now(), ttl)
    return Back(login["t"], login["l"], login["c"], session_id, ttl)


def audiences() -> set[str]:
    """Our app clients: the accept flow's, and those named for frontends that render their own page."""
    settings = get_settings()
    extra = {a.strip() for a in settings.cognito_frontend_client_ids.split(",") if a.strip()}
    return {settings.cognito_client_id, *extra} - {""}


def from_header(authorization: str) -> Identity:
    """The identity of ``Authorization: <ID token>`` (with or without ``Bearer ``), or InvalidToken."""
    token = identity.bearer(authorization)
    if token is None:
        raise identity.InvalidToken("no token")
    return identity.verify_id_token(token, audience=audiences())


def from_session(session_id: str | None) -> Identity | None:
    """The identity of a live session, or None."""
    if not session_id or len(session_id) > 128:
        return None
    found = sessions.find(session_id, clock.now())
    if found is None:
        return None
    return Identity(found.sub, found.email, found.email_verified)


def csrf_token(session_id: str) -> str:
    return _b64(hmac.new(session_id.encode(), b"accept-form", hashlib.sha256).digest())


def csrf_ok(session_id: str, sent: str | None) -> bool:
    return bool(sent) and secrets.compare_digest(csrf_token(session_id).encode(), str(sent).encode())


def sign_out(session_id: str | None) -> None:
    if session_id and len(session_id) <= 128:
        sessions.end(session_id)
