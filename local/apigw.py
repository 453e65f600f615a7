"""API Gateway (REST, proxy integration) events from plain HTTP requests, for the routes of the template."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode

from paid_invites import identity

from .template import Route


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for (method, path), its path parameters, and whether the path exists at all."""
    path_known = False
    for route in routes:
        found = _pattern(route.path).match(path)
        if found:
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
    return None, {}, path_known


def event(
    route: Route,
    method: str,
    path: str,
    path_params: dict[str, str],
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> dict[str, Any]:
    headers = dict(headers or {})
    claims = authorize(headers) if not route.public else None
    parsed = parse_qs(query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in parsed.items()} or None,
        "multiValueQueryStringParameters": parsed or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": text or None,
        "isBase64Encoded": encoded,
    }


def authorize(headers: dict[str, str]) -> dict[str, str] | None:
    """What API Gateway's Cognito authorizer hands a private route's function: the claims of a valid ID token
    of the user pool in ``Authorization`` (with or without ``Bearer ``), as strings; None when it would answer
    401 itself (no token, or one that does not verify). The check is the product's own (paid_invites.identity),
    the one the accept route runs for ``Authorization`` on AWS."""
    token = identity.bearer(next((v for k, v in headers.items() if k.lower() == "authorization"), ""))
    if not token:
        return None
    try:
        who = identity.verify_id_token(token)
    except identity.InvalidToken:
        return None
    claims = {"sub": who.sub, "token_use": "id", "email_verified": "true" if who.email_verified else "false"}
    if who.email:
        claims["email"] = who.email
    return claims


def request(
    routes: list[Route],
    method: str,
    path: str,
    body: Any = None,
    caller: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Route, dict[str, Any]]:
    """The route of one request and the event API Gateway hands its function. ``caller`` is an ID token of the
    local user pool (local/cognito.py); a dict or list ``body`` is sent as JSON, a str as UTF-8, bytes as they
    are."""
    route, params, known = match(routes, method, path)
    assert route is not None, f"no route {method} {path} in template.yaml (path known: {known})"
    sent = dict(headers or {})
    if caller:
        sent["Authorization"] = f"Bearer {caller}"
    if isinstance(body, dict | list):
        raw = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = body or b""
    return route, event(route, method, path, params, urlencode(query or {}), sent, raw)


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """The headers of a function's response, the multi-valued ones joined as HTTP sends them."""
    headers = dict(response.get("headers") or {})
    headers.update({k: ", ".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()})
    return headers


def set_cookies(response: dict[str, Any]) -> list[str]:
    """The cookies a function's response sets, one ``Set-Cookie`` value each."""
    multi = (response.get("multiValueHeaders") or {}).get("Set-Cookie") or []
    single = (response.get("headers") or {}).get("Set-Cookie")
    return [*multi, *([single] if single and not multi else [])]


def unauthorized() -> dict[str, Any]:
    """What API Gateway answers itself when the Cognito authorizer finds no valid token: the template's
    UNAUTHORIZED gateway response, in the API's one error shape."""
    body = '{"error":{"code":"unauthorized","message":"sign in to manage invitations","details":{}}}'
    return {"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": body}
