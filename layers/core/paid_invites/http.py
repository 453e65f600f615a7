"""What the API handlers share: the caller from the authorizer, one error shape for every 4xx/5xx, and the
one reader of request bodies.

A request body is read by its ``Content-Type`` (never by ``Accept``, which only chooses the answer's format);
anything the reader cannot take is a :class:`BodyRefused`, a 4xx with a specific code: too large (413), a
media type or charset the route does not take (415), not UTF-8, JSON that is malformed, nested too deep,
repeats a key or is not an object, a form with too many or repeated fields (400).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from .config import get_settings
from .errors import DomainError


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "details"}}``; ``details`` is always an object (``{}`` when none)."""
    if details is None:
        details = {}
    elif not isinstance(details, dict):
        details = {"problems": details}
    return {"error": {"code": code, "message": message, "details": details}}


def error(status: int, code: str, message: str, details: Any = None) -> Response[str]:
    return json_response(status, error_body(code, message, details))


def caller_id(app: APIGatewayRestResolver) -> str | None:
    """The signed-in user: the Cognito authorizer's ``sub`` claim (the local stack fills it in)."""
    authorizer = app.current_event.request_context.authorizer
    claims = (authorizer.raw_event or {}).get("claims") if authorizer else None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None


def _field(problem: dict[str, Any]) -> str:
    """The dotted path of the field a validation problem is about; "" for the body as a whole."""
    if problem.get("type") == "json_invalid":
        return ""  # its location is the character where the JSON broke off, not a field
    return ".".join(str(p) for p in problem.get("loc", ()) if p != "body")


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        answer = error(exc.status, exc.code, exc.message, exc.details)
        wait = exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
        if isinstance(wait, int) and exc.status in (429, 503):
            answer.headers["Retry-After"] = str(max(wait, 1))
        return answer

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        problems = [{"field": _field(e), "problem": e.get("msg", "")} for e in exc.errors()]
        return error(400, "validation_failed", "the request is not valid", {"problems": problems})

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_exc: RequestUnsupportedContentType) -> Response[str]:
        return error(415, "unsupported_media_type", "send the body as application/json (UTF-8)")

    @app.not_found
    def _not_found(_exc: Exception) -> Response[str]:
        return error(404, "no_route", "no such route")

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_exc: UnicodeDecodeError) -> Response[str]:
        return error(400, "invalid_encoding", "the request body must be UTF-8")


class FrontendCors(CORSConfig):
    """CORS for the one frontend origin (FRONTEND_ORIGIN), on every answer of the function, errors too.

    API Gateway answers the preflight itself (template.yaml); the browser then needs the same origin on
    the actual response. The origin is read from the settings when a request comes, not at import.
    """

    def __init__(self) -> None:
        super().__init__(allow_origin="", allow_headers=["Idempotency-Key"], max_age=600)

    def allowed_origin(self, extracted_origin: str) -> str | None:
        origin = get_settings().frontend_origin
        return origin if origin and extracted_origin == origin else None

    def to_dict(self, origin: str | None) -> dict[str, str]:
        if not origin:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": CORSConfig.build_allow_methods(self.allow_headers),
            "Vary": "Origin",
        }


# ---------------------------------------------------------------- request bodies

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_JSON_DEPTH = 8  # the deepest body a route takes is {"invitees": [{...}]}: 3
MAX_FORM_FIELDS = 10


class BodyRefused(DomainError):
    """The request body cannot be read; ``code`` says why. Nothing was done."""

    STATUS: ClassVar[dict[str, int]] = {"body_too_large": 413, "unsupported_media_type": 415}

    def __init__(self, message: str, *, code: str, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = self.STATUS.get(code, 400)


def headers_of(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased (API Gateway keeps the client's spelling)."""
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def media_type(headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The ``Content-Type``'s media type (lower-case, "" when absent) and its parameters."""
    raw = headers.get("content-type") or ""
    kind, *params = raw.split(";")
    parameters: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        if name.strip():
            parameters[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def body_bytes(event: Mapping[str, Any]) -> bytes:
    """The body as sent (API Gateway hands binary bodies over in base64)."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BodyRefused("the request body is not valid base64", code="invalid_encoding") from None


def check_body(
    event: Mapping[str, Any], accepted: tuple[str, ...], max_bytes: int, default: str | None = None
) -> tuple[str, bytes]:
    """The body's media type and bytes, when the route takes that media type (``default`` when the request
    names none) and the body is at most ``max_bytes``; else :class:`BodyRefused`. An empty body passes."""
    kind, parameters = media_type(headers_of(event))
    kind = kind or (default or "")
    raw = body_bytes(event)
    if not raw:
        return kind, raw
    if kind not in accepted:
        raise BodyRefused(
            f"send the body as {' or '.join(accepted)}",
            code="unsupported_media_type",
            details={"content_type": kind or None, "accepted": list(accepted)},
        )
    charset = parameters.get("charset")
    if charset not in (None, "utf-8", "utf8"):
        raise BodyRefused(
            "the request body must be UTF-8",
            code="unsupported_media_type",
            details={"charset": charset[:40], "accepted": ["utf-8"]},
        )
    if len(raw) > max_bytes:
        raise BodyRefused(
            f"the request body is larger than {max_bytes} bytes",
            code="body_too_large",
            details={"max_bytes": max_bytes, "bytes": len(raw)},
        )
    return kind, raw


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise BodyRefused(
            "the request body must be UTF-8", code="invalid_encoding", details={"byte_offset": problem.start}
        ) from None


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise BodyRefused(f"the key {key[:64]!r} appears twice", code="duplicate_key", details={"key": key[:64]})
        found[key] = value
    return found


def _constant(name: str) -> Any:
    raise BodyRefused(f"{name} is not a JSON number", code="invalid_json")


def _check_values(value: Any, max_depth: int) -> None:
    """No deeper than ``max_depth``, and every text encodable (JSON escapes can spell lone surrogates)."""
    todo = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise BodyRefused(
                    f"the JSON body is nested more than {max_depth} deep",
                    code="json_too_deep",
                    details={"max_depth": max_depth},
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            todo.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BodyRefused("the body holds text that is not Unicode", code="invalid_encoding") from None


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """A JSON object, strictly: UTF-8, no repeated keys, no NaN or Infinity, at most ``max_depth`` deep.

    It is also the admin API's ``json_body_deserializer``: Powertools reads every JSON body through it."""
    text = _text(raw)
    try:
        value = json.loads(text, object_pairs_hook=_no_repeats, parse_constant=_constant)
    except RecursionError:
        raise BodyRefused(
            f"the JSON body is nested more than {max_depth} deep",
            code="json_too_deep",
            details={"max_depth": max_depth},
        ) from None
    except ValueError as problem:  # JSONDecodeError; numbers too long for int()
        where = {"position": problem.pos} if isinstance(problem, json.JSONDecodeError) else {}
        raise BodyRefused("the body is not valid JSON", code="invalid_json", details=where) from None
    if not isinstance(value, dict):
        raise BodyRefused(
            "the body must be a JSON object", code="json_not_object", details={"type": type(value).__name__}
        )
    _check_values(value, max_depth)
    return value


def parse_form(raw: bytes | str, max_fields: int = MAX_FORM_FIELDS) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body: UTF-8 (also its %-escapes), at most ``max_fields``
    fields, none repeated."""
    text = _text(raw)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=max_fields)
    except UnicodeDecodeError:
        raise BodyRefused("the form must be sent as UTF-8", code="invalid_encoding") from None
    except ValueError:  # max_num_fields exceeded
        raise BodyRefused(
            f"the form has more than {max_fields} fields", code="too_many_fields", details={"max_fields": max_fields}
        ) from None
    return _no_repeats(pairs)


def read_fields(event: Mapping[str, Any], max_bytes: int, max_fields: int = MAX_FORM_FIELDS) -> dict[str, str]:
    """The text fields of a body sent as a form or as a JSON object (as its ``Content-Type`` says; a form when
    it names none). Fields that are not text are left out: they cannot be any field the route reads."""
    kind, raw = check_body(event, (FORM, JSON), max_bytes, default=FORM)
    if not raw:
        return {}
    found: dict[str, Any] = parse_json(raw) if kind == JSON else parse_form(raw, max_fields)
    if len(found) > max_fields:
        raise BodyRefused(
            f"the body has more than {max_fields} fields", code="too_many_fields", details={"max_fields": max_fields}
        )
    return {k: v for k, v in found.items() if isinstance(v, str)}


def screen(
    event: Mapping[str, Any], bodies: Mapping[tuple[str, str], tuple[tuple[str, ...], int]]
) -> dict[str, Any] | None:
    """A 4xx proxy response (the JSON error shape) for a body its route does not take, or None to go on.

    ``bodies``: (method, resource) -> (the media types the route takes, the first one by default; its
    largest body). Routes not named take no body: theirs is not read. Run before the resolver, so that no
    framework parser sees a body of a type or size the route does not take."""
    spec = bodies.get((str(event.get("httpMethod") or ""), str(event.get("resource") or "")))
    if spec is None:
        return None
    accepted, max_bytes = spec
    try:
        check_body(event, accepted, max_bytes, default=accepted[0])
    except BodyRefused as refused:
        return {
            "statusCode": refused.status,
            "headers": {"Content-Type": JSON},
            "body": json.dumps(error_body(refused.code, refused.message, refused.details)),
        }
    return None


# ---------------------------------------------------------------- the answer's format


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0


def wants_json(headers: Mapping[str, str]) -> bool:
    """Whether ``Accept`` prefers ``application/json`` to ``text/html`` (a page when it names neither, or
    both alike). The body's ``Content-Type`` plays no part."""
    accept = headers.get("accept") or ""
    best = {"json": 0.0, "html": 0.0}
    specific = {"json": -1, "html": -1}
    for part in accept.split(",")[:50]:
        kind, *params = part.split(";")
        kind = kind.strip().lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = _quality(value.strip())
        for want, exact in (("json", "application/json"), ("html", "text/html")):
            rank = 2 if kind == exact else 1 if kind in (exact.split("/")[0] + "/*", "*/*") else -1
            if rank > specific[want]:
                specific[want], best[want] = rank, q
    return best["json"] > best["html"]
