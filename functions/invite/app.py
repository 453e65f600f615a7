"""Admin API: invite users by e-mail, list invitations, show the account summary."""

from typing import Annotated, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from paid_invites import service
from paid_invites.http import caller_id, install_error_handlers
from paid_invites.invitations import Invitee

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)


class InviteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    user_type: Literal["basic", "licensed"] = "licensed"
    role: Literal["member", "admin"] = "member"
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)


class InviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invitees: list[InviteeIn] = Field(min_length=1, max_length=1000)


@app.post("/accounts/<accountId>/invitations")
@tracer.capture_method
def create_invitations(accountId: str, request: InviteRequest) -> dict:
    invitees = [Invitee(**i.model_dump()) for i in request.invitees]
    results = service.invite(caller_id(app), accountId, invitees)
    created = sum(1 for r in results if r.status == "created")
    metrics.add_metric(name="InvitationsCreated", unit=MetricUnit.Count, value=created)
    return {"results": [r.as_dict() for r in results]}


@app.get("/accounts/<accountId>/invitations")
@tracer.capture_method
def list_invitations(
    accountId: str,
    status: Annotated[Literal["pending", "accepted", "revoked", "expired", "failed"], Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    email_prefix: Annotated[str | None, Query(max_length=320)] = None,
) -> dict:
    items, next_cursor = service.list_invitations(
        caller_id(app), accountId, status, limit, cursor, email_prefix.strip().lower() if email_prefix else None
    )
    return {"invitations": [service.public_invitation(i) for i in items], "next_cursor": next_cursor}


@app.get("/accounts/<accountId>")
@tracer.capture_method
def account_summary(accountId: str) -> dict:
    return service.account_summary(caller_id(app), accountId)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
