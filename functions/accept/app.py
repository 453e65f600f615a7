"""The e-mailed link: GET shows the confirm page (and changes nothing), POST accepts. HTML or JSON."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import i18n, pages
from paid_invites.errors import AcceptRefused, DomainError, TransientError
from paid_invites.http import BodyRefused, FrontendCors, error, headers_of, read_fields, wants_json
from paid_invites.money import Money
from paid_invites.observability import powertools
from paid_invites.usecases import accepting

logger, tracer, metrics = powertools()
app = APIGatewayRestResolver(cors=FrontendCors())
PATH = "/invitations/accept"
# Relative, so that the pages work under any base path (a stage prefix, a custom domain mapping).
ACTION = "accept"
MAX_BODY = 8192


def _answers(ok: str, takes_body: bool = False) -> dict[int, Any]:
    """The contract of the link's answers: a page (or, with Accept: application/json, JSON) for each."""

    def answer(why: str) -> dict[str, Any]:
        return {"description": why, "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {}}}

    unreadable = (
        "; a body that cannot be read: invalid_json, json_too_deep, json_not_object, duplicate_key, "
        "too_many_fields, invalid_encoding"
    )
    answers = {
        200: answer(ok),
        400: answer("choice_required (the confirm page again, with the choices)" + (unreadable if takes_body else "")),
        404: answer("unknown_link"),
        409: answer(
            "already_accepted, outstanding_invoices, account_has_other_users, own_account_is_organization, "
            "own_account_closed, no_license_available, already_member"
        ),
        410: answer("expired, revoked, organization_closed"),
        503: answer("try_again: nothing has changed yet"),
    }
    if takes_body:
        answers[413] = answer("body_too_large")
        answers[415] = answer("unsupported_media_type: the body is neither a form nor JSON")
    return answers


def _wants_json() -> bool:
    """The answer's format is the ``Accept``'s (the body's ``Content-Type`` only says how to read the body)."""
    return wants_json(headers_of(app.current_event.raw_event))


def _form() -> dict[str, str]:
    """The posted fields, read as the ``Content-Type`` says (a form, or a JSON object)."""
    return read_fields(app.current_event.raw_event, MAX_BODY)


def _language(requested: str | None, invitee: str | None = None) -> str:
    if requested:
        return i18n.language(requested)
    if invitee:
        return i18n.language(invitee)
    accept = (app.current_event.headers or {}).get("accept-language") or ""
    return i18n.language(accept.split(",")[0])


def _page(
    template: str, status: int, lang: str, token: str | None, repost: bool = False, **context: Any
) -> Response[str]:
    """``repost``: the language switch re-posts the token (the result page) instead of linking to the GET page."""
    other = "nl" if lang == "en" else "en"
    switch: dict[str, Any]
    if repost and token:
        switch = {"post": True}
    elif token:
        switch = {"href": "?" + urlencode({"token": token, "lang": other})}
    else:
        switch = {"href": "?" + urlencode({"lang": other})}
    html = pages.render(template, lang, switch=switch, action=ACTION, token=token or "", **context)
    return Response(status_code=status, headers=pages.headers(), body=html)


def _refused(refusal: AcceptRefused, lang: str, token: str | None) -> Response[str]:
    metrics.add_metric(name=f"Refused_{refusal.code}", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return error(refusal.status, refusal.code, refusal.message, refusal.details)
    words = dict(refusal.words)
    if refusal.code == "outstanding_invoices" and isinstance(refusal.details, dict):
        words["amount"] = Money(**refusal.details).format(lang)
    if refusal.code == "account_has_other_users" and isinstance(refusal.details, dict):
        words["others"] = str(refusal.details.get("other_users", ""))
    if refusal.code == "own_account_is_organization" and isinstance(refusal.details, dict):
        words["own_org"] = str(refusal.details.get("account_name", ""))
    keep_token = token if refusal.code not in ("unknown_link",) else None
    return _page("refused", refusal.status, lang, keep_token, code=refusal.code, words=words)


def _confirm(view: accepting.AcceptView, lang: str, token: str, status: int = 200, problem: str = "") -> Response[str]:
    offer = None
    if view.offer is not None:
        offer = {
            "amount": view.offer.amount.format(lang),
            "method": i18n.payment_method(view.offer.payment_method),
            "choices": view.offer.choices,
        }
    seat = "licensed" if view.invitation.user_type == "licensed" else "basic"
    return _page(
        "confirm",
        status,
        lang,
        token,
        words=accepting.page_words(view.invitation),
        offer=offer,
        new_user=view.new_user,
        has_own_account=view.own_account is not None,
        seat=seat,
        error=problem,
    )


@app.get(PATH, responses=_answers("the confirm page; changes nothing"))
def show() -> Response[str]:
    params = app.current_event.query_string_parameters or {}
    token = params.get("token")
    lang = _language(params.get("lang"))
    try:
        view = accepting.view(token)
    except AcceptRefused as refusal:
        if not params.get("lang") and refusal.code != "unknown_link":
            lang = _language(None, accepting.invitee_language(token))
        return _refused(refusal, lang, token)
    lang = _language(params.get("lang"), view.invitation.language)
    if _wants_json():
        return Response(200, "application/json", json.dumps(_view_json(view)))
    return _confirm(view, lang, str(token))


def _view_json(view: accepting.AcceptView) -> dict[str, Any]:
    return {
        "invitation_id": view.invitation.id,
        "organization": view.org.name,
        "inviter": view.invitation.inviter_name,
        "email": view.invitation.email,
        "user_type": view.invitation.user_type,
        "offer": None
        if view.offer is None
        else {
            "amount": view.offer.amount.as_dict(),
            "choices": list(view.offer.choices),
            "payment_method": i18n.payment_method(view.offer.payment_method),
        },
    }


@app.post(PATH, responses=_answers("the result page (the same on a repeat)", takes_body=True))
def submit() -> Response[str]:
    try:
        form = _form()
    except BodyRefused as refused:
        return _unreadable(refused)
    token = form.get("token")
    lang = _language(form.get("lang"))
    try:
        result = accepting.accept(token, form.get("settlement"))
    except AcceptRefused as refusal:
        if not form.get("lang") and refusal.code != "unknown_link":
            lang = _language(None, accepting.invitee_language(token))
        if refusal.code == "choice_required" and not _wants_json():
            view = accepting.view(token)
            return _confirm(view, lang, str(token), 400, i18n.text(lang, "page_choice_required"))
        return _refused(refusal, lang, token)
    if not result.replayed:
        metrics.add_metric(name="InvitationsAccepted", unit=MetricUnit.Count, value=1)
    logger.info("invitation accepted", extra={"invitation_id": result.invitation.id, "replayed": result.replayed})
    if _wants_json():
        return Response(
            200,
            "application/json",
            json.dumps(
                {
                    "status": "accepted",
                    "invitation_id": result.invitation.id,
                    "settlement": result.settlement,
                    "amount": result.amount.as_dict() if result.amount else None,
                }
            ),
        )
    lang = _language(form.get("lang"), result.invitation.language)
    words = accepting.page_words(result.invitation)
    return _page(
        "result",
        200,
        lang,
        token,
        repost=True,
        words=words,
        settlement=result.settlement,
        new_user=result.invitation.invitee_account_id is None,  # nobody on the platform before this invitation
        amount=result.amount.format(lang) if result.amount else "",
        method=i18n.payment_method(result.payment_method),
    )


@app.exception_handler(TransientError)
def _try_again(exc: TransientError) -> Response[str]:
    """DynamoDB or Step Functions could not be reached in time: nothing was committed (a transaction
    commits whole), so the invitee is asked to try again, with the service's answer for "busy": 503."""
    logger.warning("accept could not complete; asked to try again", extra={"reason": str(exc)})
    if _wants_json():
        response = error(503, "try_again", "the service is busy; nothing has changed yet, try again in a moment")
    else:
        response = _page("refused", 503, _language(None), None, code="try_again", words={})
    response.headers["Retry-After"] = "5"
    return response


def _unreadable(refused: BodyRefused) -> Response[str]:
    """A body that cannot be read: its 4xx, as the error shape or as a page that says to use the link."""
    metrics.add_metric(name="Refused_unreadable_body", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return error(refused.status, refused.code, refused.message, refused.details)
    return _page("refused", refused.status, _language(None), None, code="unreadable_request", words={})


@app.exception_handler(UnicodeDecodeError)
def _not_utf8(_exc: UnicodeDecodeError) -> Response[str]:
    return _unreadable(BodyRefused("the request must be sent as UTF-8", code="invalid_encoding"))


@app.exception_handler(DomainError)
def _domain(exc: DomainError) -> Response[str]:
    return error(exc.status, exc.code, exc.message, exc.details)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
