"""The platform's identity, locally: Cognito in moto, with the user pool's app client from ``template.yaml``.

moto issues and signs the ID tokens (RS256) and serves the JWKS; the product checks them with the code that
runs on AWS (``paid_invites.identity``). moto signs with one key that ships inside the moto package, for every
pool: anyone can sign a token it accepts. So the local stack trusts that key only when the process says so
explicitly with ``LOCAL_TRUST_MOTO_ISSUER=1`` (``make run``/``python -m local.server`` and the tests set it);
the setting is read here only, never by the product's code, and ``template.yaml`` cannot set it.

Seed users are created in the pool with their seed id as their ``sub`` (local/patches/cognito_seed_sub.py),
their address verified, and the seed's ``password`` or else :data:`DEFAULT_PASSWORD`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from paid_invites import aws, identity

from .template import REGION, Template

TRUST_SETTING = "LOCAL_TRUST_MOTO_ISSUER"
DEFAULT_PASSWORD = "Local-pass-1"  # noqa: S105 - a seed user's password when the seed gives none (README, docs/local.md)
APP_CLIENT = "AcceptAppClient"  # the template's app client: the accept flow's, and the one scripts sign in with
POOL_NAME = "paid-invites-local"


class SignInFailed(Exception):
    """Wrong address or password (or no such user): the answer does not say which."""


@dataclass
class Pool:
    pool_id: str
    client_id: str
    callback_urls: list[str]
    passwords: dict[str, str] = field(default_factory=dict)  # sub -> (email, password) of seeded users
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{self.pool_id}"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"


_current: Pool | None = None
_lock = threading.Lock()


def current() -> Pool:
    assert _current is not None, "no local user pool: deploy the local stack first"
    return _current


def create(template: Template) -> Pool:
    """The user pool (in moto) and the template's app client in it; trusts moto's key when told to."""
    global _current
    idp = aws.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=POOL_NAME,
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    template.overrides["CognitoUserPoolArn"] = f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{pool_id}"
    template.__dict__.pop("parameters", None)  # resolved again with the pool's ARN
    props = template.doc["Resources"][APP_CLIENT]["Properties"]
    wanted = {
        k: _deep(template, v)
        for k, v in props.items()
        if k
        in (
            "ClientName",
            "GenerateSecret",
            "AllowedOAuthFlowsUserPoolClient",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "CallbackURLs",
            "SupportedIdentityProviders",
            "ReadAttributes",
            "WriteAttributes",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
        )
    }
    client = idp.create_user_pool_client(UserPoolId=pool_id, **wanted)["UserPoolClient"]
    template.physical_ids[APP_CLIENT] = client["ClientId"]
    pool = Pool(pool_id, client["ClientId"], list(client.get("CallbackURLs", [])))
    identity.forget_keys()
    if os.environ.get(TRUST_SETTING) == "1":
        identity.trust_keys(pool.issuer, moto_public_keys())
    with _lock:
        _current = pool
    return pool


def _deep(template: Template, value: Any) -> Any:
    if isinstance(value, list):
        return [_deep(template, v) for v in value]
    return template.resolve(value)


def moto_public_keys() -> dict[str, Any]:
    """The JWKS moto serves for every pool (the public half of the key in its package)."""
    from moto.utilities.utils import load_resource

    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def add_user(email: str, password: str | None = None, sub: str | None = None) -> str:
    """A confirmed user with this verified address (and ``sub``, for a seed user): its ``sub``."""
    pool = current()
    idp = aws.client("cognito-idp")
    address = email.strip().lower()
    attributes = [{"Name": "email", "Value": address}, {"Name": "email_verified", "Value": "true"}]
    if sub:
        attributes.append({"Name": "sub", "Value": sub})
    secret = password or DEFAULT_PASSWORD
    created = idp.admin_create_user(
        UserPoolId=pool.pool_id, Username=address, UserAttributes=attributes, MessageAction="SUPPRESS"
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=address, Password=secret, Permanent=True)
    found = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    with _lock:
        pool.passwords[found] = secret
        pool.emails[found] = address
    return str(found)


def seed_users(users: list[dict[str, Any]]) -> None:
    for user in users:
        add_user(user["email"], user.get("password"), sub=user["id"])


def exists(email: str) -> bool:
    pool = current()
    try:
        aws.client("cognito-idp").admin_get_user(UserPoolId=pool.pool_id, Username=email.strip().lower())
    except ClientError:  # UserNotFoundException
        return False
    return True


def sign_in(email: str, password: str) -> dict[str, str]:
    """moto's ``InitiateAuth`` (USER_PASSWORD_AUTH) with the app client: its tokens, or SignInFailed."""
    pool = current()
    try:
        answer = aws.client("cognito-idp").initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email.strip().lower(), "PASSWORD": password},
        )
    except (ClientError, ParamValidationError) as error:  # NotAuthorizedException, UserNotFoundException
        raise SignInFailed("wrong address or password") from error
    result = answer.get("AuthenticationResult")
    if not result:  # a challenge (a new password): not something the local users meet
        raise SignInFailed(f"the sign-in needs {answer.get('ChallengeName')}")
    return {"id_token": result["IdToken"], "access_token": result["AccessToken"]}


def id_token_for(user_id: str) -> str:
    """An ID token for a seeded (or added) user, by its ``sub``: the tests' and scripts' way of signing in."""
    pool = current()
    with _lock:
        email, password = pool.emails.get(user_id), pool.passwords.get(user_id)
    if email is None or password is None:
        raise SignInFailed(f"no local user {user_id}")
    return sign_in(email, password)["id_token"]


def id_token_with_nonce(email: str, nonce: str | None) -> str:
    """An ID token for the app client carrying the authorization request's ``nonce``, issued and signed by
    moto's user pool (as Cognito's token endpoint issues it after managed login). moto has no token endpoint,
    so its pool's own token maker is called (``CognitoIdpUserPool.create_jwt``, moto 5.2)."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool = current()
    moto_pool = cognitoidp_backends["123456789012"][REGION].user_pools[pool.pool_id]
    username = email.strip().lower()
    extra = moto_pool.get_user_extra_data_by_client_id(pool.client_id, username)
    if nonce:
        extra["nonce"] = nonce
    token, _ = moto_pool.create_jwt(pool.client_id, username, "id", extra_data=extra)
    moto_pool.id_tokens[token] = (pool.client_id, username)
    return str(token)
