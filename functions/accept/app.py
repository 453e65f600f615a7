"""The e-mailed link: GET shows the confirm page (and changes nothing), POST accepts. HTML or JSON.

The link is the way in; signing in with the platform's identity is what authorizes. GET ``?token=…&sign_in=1``
starts the sign-in (the user pool's managed login, code flow with PKCE); the managed login returns to this
route with ``?code=…&state=…`` (the callback), which starts a short session (an HttpOnly cookie) and sends
the browser back to the link. POST needs that session and its CSRF token, or ``Authorization: <ID token>``.

The page (and its JSON) carries a ``quote``: the fingerprint of the money it shows. POST sends it back; when
the invitee's own paid subscription is involved and the money is no longer what that quote says (or no quote
came), the answer is 409 ``amount_changed``, with the new amount and its quote, and nothing changes.
"""

from __future__ import annotations

from paid_invites import startup  # first: no garbage collection while the function starts (@startup.handler)

# isort: split

import json
import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext

from paid_invites import formatting, i18n, pages
from paid_invites.config import get_settings
from paid_invites.errors import AcceptRefused, DomainError, TransientError
from paid_invites.http import BodyRefused, FrontendCors, error, headers_of, read_fields, wants_json
from paid_invites.identity import Identity, InvalidToken
from paid_invites.invitations import message_lines, redirect_after_accept
from paid_invites.money import Money
from paid_invites.observability import powertools
from paid_invites.usecases import accepting, signing_in

logger, tracer, metrics = powertools()
app = APIGatewayRestResolver(cors=FrontendCors())
PATH = "/invitations/accept"
# Relative, so that the pages work under any base path (a stage prefix, a custom domain mapping).
ACTION = "accept"
MAX_BODY = 8192
SESSION_COOKIE = "invite_session"
LOGIN_COOKIE = "invite_login"


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
        400: answer(
            "choice_required (the confirm page again, with the choices)"
            + (unreadable if takes_body else "; sign_in_failed (the callback)")
        ),
        401: answer("sign_in_required: the invitation without the money, and the sign-in action"),
        403: answer(
            "wrong_account: signed in as another person (nothing changes)" + ("; csrf_failed" if takes_body else "")
        ),
        404: answer("unknown_link"),
        409: answer(
            "already_accepted, outstanding_invoices, account_has_other_users, own_account_is_organization, "
            "own_account_closed, no_license_available, already_member"
            + (
                "; amount_changed: the money is not what the posted quote says (or no quote was posted while a "
                "paid subscription is involved): the confirm page again with the new amount (JSON: details.offer "
                "and details.quote), nothing changed"
                if takes_body
                else ""
            )
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


def _language(chosen: str | None, invitation: str | None = None, profile: str | None = None) -> str:
    """The page's language: the one rule of ``i18n.choose``, with this request's ``Accept-Language``."""
    accept = headers_of(app.current_event.raw_event).get("accept-language")
    return i18n.choose(chosen=chosen, profile=profile, invitation=invitation, accept_language=accept)


def _cookies() -> dict[str, str]:
    raw = "; ".join(v for k, v in headers_of(app.current_event.raw_event).items() if k == "cookie")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def _session_id() -> str | None:
    return _cookies().get(SESSION_COOKIE) or None


def _caller() -> tuple[Identity | None, str | None]:
    """(who is signed in, their session id): ``Authorization: <ID token>`` when sent (a frontend's own page;
    InvalidToken when it does not verify), else the session cookie's live session."""
    authorization = headers_of(app.current_event.raw_event).get("authorization")
    if authorization:
        return signing_in.from_header(authorization), None
    session_id = _session_id()
    who = signing_in.from_session(session_id)
    return who, session_id if who is not None else None


def _cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        name=name, value=value, path="/", secure=True, http_only=True, max_age=max_age, same_site=SameSite.LAX_MODE
    )


def _sign_in_href(token: str, lang: str, settlement: str = "", switch: bool = False) -> str:
    query = {"token": token, "lang": lang, "sign_in": "1"}
    if settlement:
        query["settlement"] = settlement
    if switch:
        query["switch"] = "1"
    return "?" + urlencode(query)


def _page(
    template: str,
    status: int,
    lang: str,
    token: str | None,
    repost: bool = False,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    """``repost``: the language switch re-posts the token (the result page) instead of linking to the GET page."""
    switch: dict[str, Any]
    if repost and token:
        switch = {"post": True}
    else:
        kept = {"token": token} if token else {}
        switch = {"href": {other: "?" + urlencode({**kept, "lang": other}) for other in i18n.LANGUAGES}}
    html = pages.render(template, lang, switch=switch, action=ACTION, token=token or "", **context)
    return Response(status_code=status, headers=pages.headers(), body=html, cookies=cookies)


def _refused(refusal: AcceptRefused, lang: str, token: str | None) -> Response[str]:
    metrics.add_metric(name=f"Refused_{refusal.code}", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return error(refusal.status, refusal.code, refusal.message, refusal.details)
    words = dict(refusal.words)
    if refusal.code == "outstanding_invoices" and isinstance(refusal.details, dict):
        words["amount"] = formatting.money(Money(**refusal.details), lang)
    if refusal.code == "account_has_other_users" and isinstance(refusal.details, dict):
        words["others"] = str(refusal.details.get("other_users", ""))
    if refusal.code == "own_account_is_organization" and isinstance(refusal.details, dict):
        words["own_org"] = str(refusal.details.get("account_name", ""))
    keep_token = token if refusal.code not in ("unknown_link",) else None
    href = ""
    if refusal.code in ("sign_in_required", "wrong_account", "csrf_failed") and token:
        href = _sign_in_href(str(token), lang, switch=refusal.code == "wrong_account")
    return _page("refused", refusal.status, lang, keep_token, code=refusal.code, words=words, sign_in_href=href)


def _signed_out(view: accepting.AcceptView, lang: str, token: str, settlement: str = "") -> Response[str]:
    """Not the invitee (signed out, or signed in as someone else): the invitation without the money, the
    address masked, and one action: signing in (as the invited person)."""
    other = view.access == accepting.SOMEONE_ELSE
    code = "wrong_account" if other else "sign_in_required"
    metrics.add_metric(name=f"Refused_{code}", unit=MetricUnit.Count, value=1)
    status = 403 if other else 401
    invited = accepting.mask_email(view.invitation.email)
    if _wants_json():
        details: dict[str, Any] = {"invited": invited, "sign_in": _sign_in_href(token, lang, settlement, other)}
        if other:
            details["signed_in_as"] = accepting.mask_email(view.signed_in_email)
            message = "you are signed in as someone else than the invited person; nothing has changed"
        else:
            message = "sign in as the invited person to accept"
        return error(status, code, message, details)
    return _confirm_page(
        view,
        status,
        lang,
        token,
        words={
            **accepting.page_words(view.invitation, masked=True),
            "invited": invited,
            "signed_in_as": accepting.mask_email(view.signed_in_email),
        },
        sign_in_href=_sign_in_href(token, lang, settlement, other),
        offer=None,
        has_own_account=False,
        error="",
    )


def _confirm(
    view: accepting.AcceptView,
    lang: str,
    token: str,
    status: int = 200,
    problem: str = "",
    session_id: str | None = None,
    chosen: str = "",
    changed: bool = False,
) -> Response[str]:
    """The confirm page for the invitee; ``changed``: asked again, the money changed since the page they sent."""
    offer = None
    if view.offer is not None:
        offer = {
            "amount": formatting.money(view.offer.amount, lang),
            "method": i18n.payment_method(view.offer.payment_method, lang),
            "choices": view.offer.choices,
        }
    return _confirm_page(
        view,
        status,
        lang,
        token,
        words=accepting.page_words(view.invitation),
        offer=offer,
        has_own_account=view.own_account is not None,
        error=problem,
        csrf=signing_in.csrf_token(session_id) if session_id else "",
        chosen=chosen,
        message_lines=message_lines(view.invitation),  # the inviter's words: for the invitee only
        quote=view.quote,
        changed=changed,
    )


def _confirm_page(view: accepting.AcceptView, status: int, lang: str, token: str, **context: Any) -> Response[str]:
    """The confirm page: the seat, the caller's access and whether the invitee is new come from the view."""
    seat = "licensed" if view.invitation.user_type == "licensed" else "basic"
    return _page("confirm", status, lang, token, seat=seat, access=view.access, new_user=view.new_user, **context)


def _not_signed_in(lang: str, token: str | None) -> Response[str]:
    """An ``Authorization`` that does not verify (tampered, expired, another pool or client): 401."""
    metrics.add_metric(name="Refused_invalid_token", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return error(401, "sign_in_required", "the ID token is not valid: sign in again")
    return _page("refused", 401, lang, None, code="sign_in_required", words={}, sign_in_href="")


@app.get(PATH, responses=_answers("the confirm page; changes nothing"))
def show() -> Response[str]:
    params = app.current_event.query_string_parameters or {}
    if "state" in params and ("code" in params or "error" in params) and "token" not in params:
        return _callback(params)
    token = params.get("token")
    lang = _language(params.get("lang"))
    if params.get("sign_in") and token:
        return _start_sign_in(str(token), params)
    try:
        who, session_id = _caller()
    except InvalidToken:
        return _not_signed_in(lang, token)
    try:
        view = accepting.view(token, who)
    except AcceptRefused as refusal:
        if not params.get("lang") and refusal.code != "unknown_link":
            lang = _language(None, accepting.invitee_language(token))
        return _refused(refusal, lang, token)
    lang = _language(params.get("lang"), view.invitation.language, view.user.language if view.user else None)
    chosen = params.get("settlement") or ""
    if view.access != accepting.INVITEE:
        return _signed_out(view, lang, str(token), chosen)
    if _wants_json():
        return Response(200, "application/json", json.dumps(_view_json(view)))
    return _confirm(view, lang, str(token), session_id=session_id, chosen=chosen)


def _start_sign_in(token: str, params: dict[str, str]) -> Response[str]:
    """To the managed login, with a login cookie binding the round trip to this browser and this link.
    Stores nothing (a prefetched link changes nothing)."""
    lang = _language(params.get("lang"), accepting.invitee_language(token))
    settlement = params.get("settlement") or ""
    started = signing_in.start(token, lang, settlement if settlement in ("refund", "credit") else "", _redirect_uri())
    location = started.location + ("&prompt=login" if params.get("switch") else "")
    cookies = [_cookie(LOGIN_COOKIE, started.cookie, signing_in.LOGIN_SECONDS)]
    return Response(303, "text/plain", "", headers={"Location": location, "Cache-Control": "no-store"}, cookies=cookies)


def _redirect_uri() -> str:
    return get_settings().accept_base_url


def _callback(params: dict[str, str]) -> Response[str]:
    """The managed login's return: exchange the code, check the ID token, start the session, and back to the
    link (the code and the tokens stay out of every later URL, log and page)."""
    login = _cookies().get(LOGIN_COOKIE)
    clear = _cookie(LOGIN_COOKIE, "", 0)
    try:
        back = signing_in.finish(params.get("code"), params.get("state"), login, _redirect_uri())
    except signing_in.SignInFailed as failed:
        metrics.add_metric(name="SignInFailed", unit=MetricUnit.Count, value=1)
        logging.getLogger(__name__).warning("sign-in did not complete: %s", failed)
        target = signing_in.login_target(login)
        lang = i18n.language(target[1] if target else "en")
        href = _sign_in_href(target[0], lang) if target else ""
        return _page("refused", 400, lang, None, cookies=[clear], code="sign_in_failed", words={}, sign_in_href=href)
    metrics.add_metric(name="SignedIn", unit=MetricUnit.Count, value=1)
    signing_in.sign_out(_session_id())  # a session this browser had before ends: one person per browser
    query = {"token": back.token, "lang": back.lang, **({"settlement": back.settlement} if back.settlement else {})}
    session = _cookie(SESSION_COOKIE, back.session_id, back.max_age)
    headers = {"Location": "?" + urlencode(query), "Cache-Control": "no-store"}
    return Response(303, "text/plain", "", headers=headers, cookies=[session, clear])


def _view_json(view: accepting.AcceptView) -> dict[str, Any]:
    return {
        "invitation_id": view.invitation.id,
        "organization": view.org.name,
        "inviter": view.invitation.inviter_name,
        "email": view.invitation.email,
        "user_type": view.invitation.user_type,
        "message": view.invitation.message,  # the inviter's own words, plain text (null: none)
        "quote": view.quote,  # sent back with the accept: the money this answer shows
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
        who, session_id = _caller()
    except InvalidToken:
        return _not_signed_in(lang, token)
    if session_id is not None and not signing_in.csrf_ok(session_id, form.get("csrf")):
        refusal = AcceptRefused("the form's CSRF token is missing or wrong; nothing has changed", code="csrf_failed")
        return _refused(refusal, lang, None)
    try:
        result = accepting.accept(token, form.get("settlement"), who, shown=form.get("quote"))
    except AcceptRefused as refusal:
        if not form.get("lang") and refusal.code != "unknown_link":
            lang = _language(None, accepting.invitee_language(token))
        if refusal.code in ("sign_in_required", "wrong_account"):
            try:  # the page for them, the choice made kept for after signing in
                view = accepting.view(token, who)
            except AcceptRefused:  # a used link: its state, and the identity refusal's status
                return _refused(refusal, lang, token)
            if view.access != accepting.INVITEE:
                return _signed_out(view, lang, str(token), form.get("settlement") or "")
            return _refused(refusal, lang, token)
        if refusal.code == "choice_required" and not _wants_json():
            view = accepting.view(token, who)
            problem = i18n.text(lang, "page_choice_required")
            return _confirm(view, lang, str(token), 400, problem, session_id=session_id)
        if refusal.code == "amount_changed" and not _wants_json():
            metrics.add_metric(name="Refused_amount_changed", unit=MetricUnit.Count, value=1)
            try:  # the page again, with the money as it is now (and its quote)
                view = accepting.view(token, who)
            except AcceptRefused as now:
                return _refused(now, lang, token)
            chosen = form.get("settlement") or ""
            kept = chosen if view.offer is not None and chosen in view.offer.choices else ""
            return _confirm(view, lang, str(token), 409, session_id=session_id, chosen=kept, changed=True)
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
                    "redirect_url": redirect_after_accept(result.invitation, get_settings().redirect_origins),
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
        amount=formatting.money(result.amount, lang) if result.amount else "",
        method=i18n.payment_method(result.payment_method, lang),
        csrf=signing_in.csrf_token(session_id) if session_id else "",  # the language switch re-posts
        redirect_url=redirect_after_accept(result.invitation, get_settings().redirect_origins) or "",
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


@startup.handler
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
