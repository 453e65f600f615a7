"""What the API handlers share: the caller from the authorizer, and one error shape for every 4xx/5xx."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from .config import get_settings
from .errors import DomainError


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def error(status: int, code: str, message: str, details: Any = None) -> Response[str]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return json_response(status, body)


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
        return error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        details = [{"field": _field(e), "problem": e.get("msg", "")} for e in exc.errors()]
        return error(400, "validation_failed", "the request is not valid", details)

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


# Bodies Powertools would parse as forms before our validation could answer (a multipart body without a
# boundary raises inside it): the admin API speaks JSON (and CSV on the import route), so these are 415.
FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")


def unsupported_media(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 415 proxy response for a form-encoded body, or None to go on."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or "").strip().lower()
    if not event.get("body") or not content_type.startswith(FORM_TYPES):
        return None
    body = {"error": {"code": "unsupported_media_type", "message": "send the body as application/json"}}
    return {"statusCode": 415, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
