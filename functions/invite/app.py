"""Admin API: invite users by e-mail, list, show, resend and revoke invitations, the account summary."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import service
from paid_invites.contract import (
    AccountSummary,
    ErrorBody,
    InvitationList,
    InvitationOut,
    InviteRequest,
    InviteResponse,
    Status,
)
from paid_invites.http import FrontendCors, caller_id, install_error_handlers, json_response
from paid_invites.idempotency import run_once
from paid_invites.invitations import Invitee

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=FrontendCors())
install_error_handlers(app)

ERRORS: dict[int | str, Any] = {
    code: {"description": why, "content": {"application/json": {"schema": ErrorBody.model_json_schema()}}}
    for code, why in {
        400: "invalid request",
        401: "no credentials",
        403: "not an owner or admin",
        404: "no such account or invitation (also for another tenant's)",
        409: "the invitation is not in a state that allows this",
        422: "Idempotency-Key reused with a different request",
        429: "resend cool-down",
    }.items()
}
AccountId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
InvitationId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _idempotency_key() -> str | None:
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    return headers.get("idempotency-key")


def _once(scope: str, body: Any, action: Any) -> Response[str]:
    """Run a write once per Idempotency-Key (when the caller sends one) and answer with its result."""
    result = run_once(_idempotency_key(), f"{caller_id(app)}:{scope}", body, lambda: {"body": action()})
    return json_response(200, result["body"])


@app.post("/accounts/<accountId>/invitations", responses={200: {"model": InviteResponse}, **ERRORS})
@tracer.capture_method
def create_invitations(accountId: AccountId, request: InviteRequest) -> Response[str]:
    def action() -> dict[str, Any]:
        invitees = [Invitee(**i.model_dump()) for i in request.invitees]
        results = service.invite(caller_id(app), accountId, invitees)
        created = sum(1 for r in results if r.status == "created")
        metrics.add_metric(name="InvitationsCreated", unit=MetricUnit.Count, value=created)
        return {"results": [r.as_dict() for r in results]}

    return _once(f"invite:{accountId}", request.model_dump(), action)


@app.get("/accounts/<accountId>/invitations", responses={200: {"model": InvitationList}, **ERRORS})
@tracer.capture_method
def list_invitations(
    accountId: AccountId,
    status: Annotated[Status, Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    email_prefix: Annotated[str | None, Query(max_length=320)] = None,
) -> dict[str, Any]:
    prefix = email_prefix.strip().lower() if email_prefix else None
    items, next_cursor = service.list_invitations(caller_id(app), accountId, status, limit, cursor, prefix)
    return {"invitations": [service.public_invitation(i) for i in items], "next_cursor": next_cursor}


@app.get("/accounts/<accountId>/invitations/<invitationId>", responses={200: {"model": InvitationOut}, **ERRORS})
@tracer.capture_method
def get_invitation(accountId: AccountId, invitationId: InvitationId) -> dict[str, Any]:
    return service.public_invitation(service.get_invitation(caller_id(app), accountId, invitationId))


@app.post(
    "/accounts/<accountId>/invitations/<invitationId>/resend", responses={200: {"model": InvitationOut}, **ERRORS}
)
@tracer.capture_method
def resend_invitation(accountId: AccountId, invitationId: InvitationId) -> Response[str]:
    def action() -> dict[str, Any]:
        metrics.add_metric(name="InvitationsResent", unit=MetricUnit.Count, value=1)
        return service.public_invitation(service.resend(caller_id(app), accountId, invitationId))

    return _once(f"resend:{accountId}:{invitationId}", {}, action)


@app.delete("/accounts/<accountId>/invitations/<invitationId>", responses={200: {"model": InvitationOut}, **ERRORS})
@tracer.capture_method
def revoke_invitation(accountId: AccountId, invitationId: InvitationId) -> Response[str]:
    def action() -> dict[str, Any]:
        metrics.add_metric(name="InvitationsRevoked", unit=MetricUnit.Count, value=1)
        return service.public_invitation(service.revoke(caller_id(app), accountId, invitationId))

    return _once(f"revoke:{accountId}:{invitationId}", {}, action)


@app.get("/accounts/<accountId>", responses={200: {"model": AccountSummary}, **ERRORS})
@tracer.capture_method
def account_summary(accountId: AccountId) -> dict[str, Any]:
    return service.account_summary(caller_id(app), accountId)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
