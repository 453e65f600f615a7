"""Who is signed in: the platform's Cognito ID tokens, checked where the product takes them.

Two checks, one verifier:

- ``verify_id_token(token, audience=..., nonce=...)``: the accept flow's callback. The token came from the
  user pool's token endpoint for our app client: issuer, audience (the app client), ``token_use`` = id,
  expiry, the nonce of this sign-in, and the RS256 signature against the pool's JWKS.
- ``verify_id_token(token)`` without audience: what API Gateway's Cognito authorizer checks (issuer,
  ``token_use`` = id, expiry, signature; any app client of the pool), for ``Authorization: <ID token>``.

The signature is always checked, also where OpenID Connect Core 3.1.3.7 would allow TLS to stand in for it
(a token straight from the token endpoint): one path, the same on AWS and locally, where the token endpoint
is plain HTTP. The JWKS is fetched once per container, on first use, and again at most once a minute for a
key id it does not know (Cognito rotates keys rarely). The crypto (joserfc, cryptography: about 100 ms to
import) is imported here only when a token is checked: the page for someone who is not signed in never
pays for it.

Times in a token are Cognito's (the wall clock), not the product's clock. Nothing here logs a token.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .config import get_settings

MAX_TOKEN = 8192  # a Cognito ID token is 1-2 KB; anything far larger is refused before decoding
REFETCH_AFTER = 60.0  # seconds between JWKS fetches for an unknown key id
LEEWAY = 30  # seconds of clock skew allowed on iat


class InvalidToken(Exception):
    """The token is not a valid ID token of the platform's user pool (the reason is for logs, never shown)."""


@dataclass(frozen=True)
class Identity:
    """The signed-in person: ``sub`` is the platform user id; ``email`` counts only when verified."""

    sub: str
    email: str | None
    email_verified: bool

    @property
    def verified_email(self) -> str | None:
        return self.email.strip().lower() if self.email and self.email_verified else None


_lock = threading.Lock()
_keys: dict[str, dict[str, Any]] = {}  # issuer -> its JWKS
_fetched_at: dict[str, float] = {}
_trusted: dict[str, dict[str, Any]] = {}  # issuer -> keys given by the process itself (the local stack only)


def issuer() -> str:
    """The user pool's issuer URL (``https://cognito-idp.<region>.amazonaws.com/<pool id>``)."""
    return get_settings().cognito_issuer.rstrip("/")


def trust_keys(issuer_url: str, jwks: dict[str, Any]) -> None:
    """Use these keys for tokens of this issuer instead of fetching the issuer's JWKS. Called by the local
    stack only (``local/cognito.py``, behind its own explicit setting): nothing on AWS calls it."""
    with _lock:
        _trusted[issuer_url.rstrip("/")] = jwks


def forget_keys() -> None:
    """Drop every cached and trusted key (a new local stack, a test)."""
    with _lock:
        _keys.clear()
        _fetched_at.clear()
        _trusted.clear()


def _jwks(iss: str, kid: str) -> dict[str, Any]:
    with _lock:
        if iss in _trusted:
            return _trusted[iss]
        cached = _keys.get(iss)
        known = cached is not None and any(k.get("kid") == kid for k in cached.get("keys", []))
        if known or (cached is not None and time.monotonic() - _fetched_at.get(iss, 0.0) < REFETCH_AFTER):
            return cached or {"keys": []}
    url = f"{iss}/.well-known/jwks.json"
    if not url.startswith("https://"):
        raise InvalidToken("the issuer's keys are fetched over https only")
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - https only, checked above
            fetched = json.loads(answer.read())
    except (OSError, ValueError) as error:
        raise InvalidToken(f"the issuer's keys could not be read: {type(error).__name__}") from None
    with _lock:
        _keys[iss] = fetched
        _fetched_at[iss] = time.monotonic()
    return dict(fetched)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization`` header, with or without ``Bearer `` (as the Cognito authorizer)."""
    value = (header or "").strip()
    if value[:6].lower() == "bearer" and (len(value) == 6 or value[6].isspace()):
        value = value[6:].strip()
    return value or None


def verify_id_token(
    token: str, audience: str | Collection[str] | None = None, nonce: str | None = None, now: float | None = None
) -> Identity:
    """The identity in a valid ID token of the platform's user pool, or :class:`InvalidToken`."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if not token or len(token) > MAX_TOKEN or token.count(".") != 2:
        raise InvalidToken("not a JWT")
    expected_issuer = issuer()
    if not expected_issuer:
        raise InvalidToken("no user pool is configured")
    try:
        header = json.loads(_b64(token.split(".", 1)[0]))
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise InvalidToken("not an RS256 token")
        keys = KeySet.import_key_set(_jwks(expected_issuer, str(header.get("kid", ""))))  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
    except InvalidToken:
        raise
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(f"the token does not verify: {type(error).__name__}") from None
    claims = decoded.claims
    moment = time.time() if now is None else now
    if claims.get("iss") != expected_issuer:
        raise InvalidToken("another issuer")
    if claims.get("token_use") != "id":
        raise InvalidToken("not an ID token")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= moment:
        raise InvalidToken("expired")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and iat > moment + LEEWAY:
        raise InvalidToken("issued in the future")
    allowed = None if audience is None else {audience} if isinstance(audience, str) else set(audience)
    if allowed is not None and claims.get("aud") not in allowed:
        raise InvalidToken("another audience")
    if nonce is not None and claims.get("nonce") != nonce:
        raise InvalidToken("another nonce")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("no subject")
    email = claims.get("email")
    verified = claims.get("email_verified") in (True, "true")
    return Identity(sub=sub, email=email if isinstance(email, str) else None, email_verified=verified)


class ExchangeFailed(Exception):
    """The token endpoint did not hand out an ID token for this code (used, expired, another verifier)."""


def authorize_url(state: str, nonce: str, challenge: str, redirect_uri: str) -> str:
    """The managed login's authorization request: code flow, PKCE (S256), ``state`` and ``nonce``."""
    from urllib.parse import urlencode

    settings = get_settings()
    query = {
        "response_type": "code",
        "client_id": settings.cognito_client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{settings.cognito_domain.rstrip('/')}/oauth2/authorize?{urlencode(query)}"


def exchange_code(code: str, verifier: str, redirect_uri: str) -> str:
    """The ID token the user pool's token endpoint hands out for this code and PKCE verifier (not checked
    yet: :func:`verify_id_token` does that)."""
    from urllib.error import HTTPError
    from urllib.parse import urlencode

    settings = get_settings()
    form = {
        "grant_type": "authorization_code",
        "client_id": settings.cognito_client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    request = urllib.request.Request(  # noqa: S310 - the configured managed login domain
        f"{settings.cognito_domain.rstrip('/')}/oauth2/token",
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            tokens = json.loads(answer.read())
    except HTTPError as error:
        raise ExchangeFailed(f"the token endpoint answered {error.code}") from None
    except (OSError, ValueError) as error:
        raise ExchangeFailed(f"the token endpoint could not be read: {type(error).__name__}") from None
    token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(token, str):
        raise ExchangeFailed("no id_token in the token endpoint's answer")
    return token


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
