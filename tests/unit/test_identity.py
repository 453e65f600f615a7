"""The ID-token check (paid_invites.identity): what it refuses, and that the page for someone who is not signed in
never loads the crypto it needs (about 100 ms of imports on a cold start)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from moto.utilities.utils import load_resource

from paid_invites import config, identity
from paid_invites.usecases.accepting import mask_email

from ..support.fresh import in_fresh_interpreter

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"
CLIENT = "acceptclient"


@pytest.fixture(autouse=True)
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[RSAKey]:
    """The settings of a pool whose keys are moto's (trusted by hand, as only the local stack does)."""
    monkeypatch.setenv("COGNITO_ISSUER", ISSUER)
    monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT)
    for name in ("ACCOUNTS_TABLE", "USERS_TABLE", "INVOICES_TABLE", "INVITATIONS_TABLE", "LEDGER_TABLE"):
        monkeypatch.setenv(name, name.lower())
    config.reload()
    identity.forget_keys()
    identity.trust_keys(ISSUER, load_resource("cognitoidp/resources/jwks-public.json"))
    yield RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    identity.forget_keys()
    monkeypatch.undo()
    config.get_settings.cache_clear()


def token(key: RSAKey, header: dict[str, object] | None = None, **claims: object) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "u-jan",
        "aud": CLIENT,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "email": "jan@devries.example",
        "email_verified": "true",
        **claims,
    }
    return jwt.encode(header or {"alg": "RS256", "kid": "dummy"}, payload, key)


def test_a_valid_id_token_names_the_person(pool: RSAKey) -> None:
    who = identity.verify_id_token(token(pool), audience=CLIENT, nonce=None)
    assert (who.sub, who.verified_email) == ("u-jan", "jan@devries.example")


@pytest.mark.parametrize(
    ("claims", "audience", "nonce"),
    [
        ({"exp": int(time.time()) - 1}, CLIENT, None),  # expired
        ({"iss": ISSUER + "x"}, CLIENT, None),  # another pool
        ({"aud": "other"}, CLIENT, None),  # another app client
        ({"token_use": "access"}, None, None),  # an access token
        ({"nonce": "a"}, CLIENT, "b"),  # another sign-in's
        ({"iat": int(time.time()) + 3600}, None, None),  # issued in the future
        ({"sub": ""}, None, None),  # nobody
    ],
)
def test_what_is_refused(pool: RSAKey, claims: dict[str, object], audience: str | None, nonce: str | None) -> None:
    with pytest.raises(identity.InvalidToken):
        identity.verify_id_token(token(pool, **claims), audience=audience, nonce=nonce)


def test_a_token_signed_otherwise_is_refused(pool: RSAKey) -> None:
    # Given a token signed with a shared secret (alg HS256), one with no signature (alg none), a tampered one
    hs = jwt.encode({"alg": "HS256"}, {"iss": ISSUER, "sub": "u-jan", "token_use": "id"}, OctKey.import_key("s" * 32))
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    none = header + "." + token(pool).split(".")[1] + "."
    real = token(pool).split(".")
    claims = json.loads(base64.urlsafe_b64decode(real[1] + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "u-olga"}).encode()).rstrip(b"=").decode()
    # Then each is refused
    for bad in (hs, none, f"{real[0]}.{forged}.{real[2]}", "", "a.b", "x" * 9000):
        with pytest.raises(identity.InvalidToken):
            identity.verify_id_token(bad)


def test_keys_of_an_issuer_are_fetched_only_over_https(monkeypatch: pytest.MonkeyPatch, pool: RSAKey) -> None:
    # Given a pool nobody trusted keys for, whose issuer is no https URL
    identity.forget_keys()
    monkeypatch.setenv("COGNITO_ISSUER", "http://cognito.example/pool")
    config.reload()
    # Then no key is fetched, and the token is refused
    with pytest.raises(identity.InvalidToken):
        identity.verify_id_token(token(pool, iss="http://cognito.example/pool"))


def test_bearer_is_optional_as_for_the_cognito_authorizer() -> None:
    assert identity.bearer("Bearer abc") == identity.bearer("abc") == "abc"
    assert identity.bearer("") is None and identity.bearer("Bearer ") is None


def test_addresses_are_masked() -> None:
    assert mask_email("jan@devries.example") == "j***@devries.example"
    assert mask_email("") == "***" and mask_email(None) == "***"


PAGE_IMPORTS = """
import json, sys
sys.path.insert(0, "functions/accept")
import app
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("joserfc", "cryptography", "cffi"))))
"""


def test_the_accept_function_loads_no_crypto_at_init() -> None:
    # Given a fresh interpreter, as a cold start: the accept function's module is imported
    loaded = in_fresh_interpreter(PAGE_IMPORTS, timeout=120)
    # Then no JOSE or crypto library came with it (the page for someone not signed in never pays for them)
    assert loaded == []
