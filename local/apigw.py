"""API Gateway (REST, proxy integration) events from plain HTTP requests, for the routes of the template."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any
from urllib.parse import parse_qs

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
    claims = None
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if not route.public and auth.startswith("Bearer ") and auth[7:].strip():
        # Stand-in for the Cognito authorizer, local stack only: the bearer is the user id (`sub`).
        claims = {"sub": auth[7:].strip()}
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


def unauthorized() -> dict[str, Any]:
    """What API Gateway answers itself when the Cognito authorizer finds no valid token: the template's
    UNAUTHORIZED gateway response, in the API's one error shape."""
    body = '{"error":{"code":"unauthorized","message":"sign in to manage invitations"}}'
    return {"statusCode": 401, "headers": {"Content-Type": "application/json"}, "body": body}
