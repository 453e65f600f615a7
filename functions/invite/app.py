"""Admin API: invite users by e-mail, list, show, resend and revoke invitations, the account summary."""

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import paging
from paid_invites.contract import AccountSummary as AccountSummaryOut
from paid_invites.contract import (
    ErrorBody,
    ImportList,
    ImportOut,
    ImportProgress,
    InvitationList,
    InvitationOut,
    InviteRequest,
    InviteResponse,
    ResendOut,
    Status,
)
from paid_invites.contract import MemberList as MembersOut
from paid_invites.contract import MemberRemovalOut as RemovalOut
from paid_invites.http import (
    JSON,
    FrontendCors,
    body_bytes,
    caller_id,
    install_error_handlers,
    json_response,
    parse_json,
    screen,
)
from paid_invites.idempotency import register_context, run_once
from paid_invites.invitations import Invitee
from paid_invites.observability import powertools
from paid_invites.usecases import invite

# The other routes' use cases are imported by their route, when it is first called: a cold start loads the
# modules of the request it serves, not those of the other fourteen routes (each import is a dictionary
# lookup once loaded).

logger, tracer, metrics = powertools()
# Every JSON body is read by paid_invites.http (strictly: UTF-8, no repeated keys, not nested deep).
app = APIGatewayRestResolver(enable_validation=True, cors=FrontendCors(), json_body_deserializer=parse_json)
install_error_handlers(app)

ERRORS: dict[int, Any] = {
    code: {"description": why, "content": {"application/json": {"model": ErrorBody}}}
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


BODY_ERRORS: dict[int, Any] = {
    code: {"description": why, "content": {"application/json": {"model": ErrorBody}}}
    for code, why in {
        413: "body_too_large",
        415: "unsupported_media_type: not sent as application/json (UTF-8)",
    }.items()
}


def ok(model: type[Any]) -> dict[int, Any]:
    return {200: {"description": "OK", "content": {"application/json": {"model": model}}}, **ERRORS}


AccountId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
InvitationId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _idempotency_key() -> str | None:
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    return headers.get("idempotency-key")


def _once(scope: str, body: Any, action: Any, status: int = 200) -> Response[str]:
    """Run a write once per Idempotency-Key (when the caller sends one) and answer with its result."""
    result = run_once(_idempotency_key(), f"{caller_id(app)}:{scope}", body, lambda: {"body": action()})
    return json_response(status, result["body"])


def _once_with_links(scope: str, body: Any, action: Callable[[], Any]) -> Response[str]:
    """As :func:`_once`, for an answer that may carry accept links (``kept_answer``/``answer``): the stored
    answer, which a replay gives, is the one without them; only the run that made them shows them."""
    shown: list[dict[str, Any]] = []

    def run() -> dict[str, Any]:
        made = action()
        shown.append(made.answer())
        return {"body": made.kept_answer()}

    result = run_once(_idempotency_key(), f"{caller_id(app)}:{scope}", body, run)
    return json_response(200, shown[0] if shown else result["body"])


@app.post("/accounts/<accountId>/invitations", responses={**ok(InviteResponse), **BODY_ERRORS})
@tracer.capture_method
def create_invitations(accountId: AccountId, request: InviteRequest) -> Response[str]:
    def action() -> InviteResponse:
        invitees = [Invitee(**i.model_dump()) for i in request.invitees]
        options = invite.InviteOptions(request.send_email, request.redirect_url, request.message)
        outcomes = invite.invite(caller_id(app), accountId, invitees, options)
        created = sum(1 for o in outcomes if o.status == "created")
        metrics.add_metric(name="InvitationsCreated", unit=MetricUnit.Count, value=created)
        return InviteResponse.from_domain(outcomes)

    return _once_with_links(f"invite:{accountId}", request.model_dump(), action)


@app.get("/accounts/<accountId>/invitations", responses=ok(InvitationList))
@tracer.capture_method
def list_invitations(
    accountId: AccountId,
    status: Annotated[Status, Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=paging.INVITATIONS)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    email_prefix: Annotated[str | None, Query(max_length=320)] = None,
) -> dict[str, Any]:
    from paid_invites.usecases import invitations_query

    prefix = email_prefix.strip().lower() if email_prefix else None
    items, next_cursor = invitations_query.list_invitations(caller_id(app), accountId, status, limit, cursor, prefix)
    return InvitationList.from_domain(items, next_cursor).answer()


@app.get("/accounts/<accountId>/invitations/<invitationId>", responses=ok(InvitationOut))
@tracer.capture_method
def get_invitation(accountId: AccountId, invitationId: InvitationId) -> dict[str, Any]:
    from paid_invites.usecases import invitations_query

    return InvitationOut.from_domain(invitations_query.get_invitation(caller_id(app), accountId, invitationId)).answer()


def _change(
    verb: str, metric: str, change: Callable[[str, str, str], Any], account: str, invitation: str
) -> Response[str]:
    """Resend or revoke one invitation, once per Idempotency-Key; the answer is the invitation afterwards."""

    def action() -> dict[str, Any]:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        return InvitationOut.from_domain(change(caller_id(app), account, invitation)).answer()

    return _once(f"{verb}:{account}:{invitation}", {}, action)


@app.post("/accounts/<accountId>/invitations/<invitationId>/resend", responses=ok(ResendOut))
@tracer.capture_method
def resend_invitation(accountId: AccountId, invitationId: InvitationId) -> Response[str]:
    from paid_invites.usecases import resend

    def action() -> ResendOut:
        metrics.add_metric(name="InvitationsResent", unit=MetricUnit.Count, value=1)
        resent = resend.resend(caller_id(app), accountId, invitationId)
        return ResendOut.resent(resent.invitation, resent.accept_url)

    return _once_with_links(f"resend:{accountId}:{invitationId}", {}, action)


@app.delete("/accounts/<accountId>/invitations/<invitationId>", responses=ok(InvitationOut))
@tracer.capture_method
def revoke_invitation(accountId: AccountId, invitationId: InvitationId) -> Response[str]:
    from paid_invites.usecases import revoke

    return _change("revoke", "InvitationsRevoked", revoke.revoke, accountId, invitationId)


@app.get("/accounts/<accountId>", responses=ok(AccountSummaryOut))
@tracer.capture_method
def account_summary(accountId: AccountId) -> dict[str, Any]:
    from paid_invites.usecases import account_summary as summary

    found = summary.account_summary(caller_id(app), accountId)
    return AccountSummaryOut.from_domain(found.account, found.ledger).answer()


# ---------------------------------------------------------------- members (docs/api.md)

UserId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
MEMBER_ERRORS: dict[int, Any] = {
    **ERRORS,
    404: {"description": "no such account or member (also another tenant's)", "content": ERRORS[404]["content"]},
    409: {"description": "owner_not_removable: the owner cannot be removed", "content": ERRORS[409]["content"]},
}


@app.get("/accounts/<accountId>/members", responses={**ok(MembersOut), **MEMBER_ERRORS})
@tracer.capture_method
def list_account_members(
    accountId: AccountId,
    user_type: Annotated[Literal["basic", "licensed"] | None, Query()] = None,
    role: Annotated[Literal["owner", "admin", "member"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=paging.MEMBERS)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    email_prefix: Annotated[str | None, Query(max_length=320)] = None,
) -> dict[str, Any]:
    from paid_invites.members import MemberFilter
    from paid_invites.usecases import list_members as members_query

    which = MemberFilter(user_type, role, email_prefix.strip().lower() if email_prefix else None)
    users, next_cursor = members_query.list_members(caller_id(app), accountId, which, limit, cursor)
    return MembersOut.from_domain(users, next_cursor).answer()


@app.delete(
    "/accounts/<accountId>/members/<userId>",
    summary="Remove a member: a licensed one frees the license; the user gets an individual account again",
    responses={
        **ok(RemovalOut),
        **MEMBER_ERRORS,
        503: {
            "description": "event_not_published: the member is removed, its event not out yet (send it again)",
            "content": ERRORS[404]["content"],
        },
    },
)
@tracer.capture_method
def remove_account_member(accountId: AccountId, userId: UserId) -> Response[str]:
    from paid_invites.usecases import remove_member as removing

    def action() -> dict[str, Any]:
        removal = removing.remove_member(caller_id(app), accountId, userId)
        metrics.add_metric(name="MembersRemoved", unit=MetricUnit.Count, value=1)
        return RemovalOut.from_domain(removal).answer()

    return _once(f"remove-member:{accountId}:{userId}", {}, action)


# ---------------------------------------------------------------- bulk import (docs/import.md)

ImportId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
IMPORT_ERRORS: dict[int, Any] = {
    **ERRORS,
    413: {"description": "file_too_large", "content": {"application/json": {"model": ErrorBody}}},
    415: {"description": "not sent as text/csv", "content": {"application/json": {"model": ErrorBody}}},
}
IMPORT_ACCEPTED = {202: {"description": "Accepted", "content": {"application/json": {"model": ImportOut}}}}


@app.post(
    "/accounts/<accountId>/invitations/imports",
    summary="Import invitees from a CSV file (up to 9,999 rows); processed asynchronously",
    responses={**IMPORT_ACCEPTED, **IMPORT_ERRORS},
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "description": "email, first_name, ..."}}},
        }
    },
)
@tracer.capture_method
def import_invitations(accountId: AccountId) -> Response[str]:
    event = app.current_event
    body = body_bytes(event.raw_event)
    content_type = next((v for k, v in (event.headers or {}).items() if k.lower() == "content-type"), None)

    def action() -> dict[str, Any]:
        from paid_invites.usecases import bulk_import

        started = bulk_import.start(caller_id(app), accountId, body, content_type)
        metrics.add_metric(name="ImportsStarted", unit=MetricUnit.Count, value=1)
        return ImportOut.from_domain(started).answer()

    digest = {"sha256": hashlib.sha256(body).hexdigest(), "content_type": content_type}
    return _once(f"import:{accountId}", digest, action, status=202)


@app.get("/accounts/<accountId>/invitations/imports/<importId>", responses=ok(ImportProgress))
@tracer.capture_method
def get_import(
    accountId: AccountId,
    importId: ImportId,
    limit: Annotated[int, Query(ge=1, le=paging.IMPORT_RESULTS)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    from paid_invites.usecases import bulk_import

    return ImportProgress.from_domain(bulk_import.get(caller_id(app), accountId, importId, limit, cursor)).answer()


@app.get(
    "/accounts/<accountId>/imports",
    summary="The organization's bulk imports, newest first",
    responses=ok(ImportList),
)
@tracer.capture_method
def list_imports(
    accountId: AccountId,
    limit: Annotated[int, Query(ge=1, le=paging.IMPORTS)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from paid_invites.usecases import import_history

    return ImportList.from_domain(import_history.list_imports(caller_id(app), accountId, limit, cursor)).answer()


@app.post(
    "/accounts/<accountId>/imports/<importId>/cancel",
    summary="Cancel a running import: rows not begun are not invited; what was created stays (idempotent)",
    responses={
        **ok(ImportOut),
        409: {
            "description": "import_finished: the import completed or failed already",
            "content": {"application/json": {"model": ErrorBody}},
        },
    },
)
@tracer.capture_method
def cancel_an_import(accountId: AccountId, importId: ImportId) -> dict[str, Any]:
    from paid_invites.usecases import cancel_import

    cancelled = cancel_import.cancel(caller_id(app), accountId, importId)
    metrics.add_metric(name="ImportsCancelled", unit=MetricUnit.Count, value=1)
    return ImportOut.from_domain(cancelled).answer()


@app.get(
    "/accounts/<accountId>/imports/<importId>/results.csv",
    summary="Every row of the import with its outcome, as a CSV file (cells safe to open in a spreadsheet)",
    responses={
        200: {"description": "the file", "content": {"text/csv": {"schema": {"type": "string"}}}},
        **ERRORS,
    },
)
@tracer.capture_method
def import_results_csv(accountId: AccountId, importId: ImportId) -> Response[str]:
    from paid_invites.csv_export import MEDIA_TYPE as CSV_TYPE
    from paid_invites.usecases import import_results

    found = import_results.results_csv(caller_id(app), accountId, importId)
    disposition = f'attachment; filename="{found.filename}"'
    return Response(200, CSV_TYPE, found.text, headers={"Content-Disposition": disposition})


# The routes that take a JSON body: the media types they take and their largest body (100 invitees of the
# longest fields fit in 64 KiB). The import route reads its CSV itself (usecases.bulk_import); the others take
# no body.
BODIES = {("POST", "/accounts/{accountId}/invitations"): ((JSON,), 128 * 1024)}


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register_context(context)  # an Idempotency-Key in progress expires when this invocation times out
    return screen(event, BODIES) or app.resolve(event, context)
