"""One client of the product's API for every suite, over either transport.

``Api.in_process(stack)`` hands each request to its function as API Gateway would (an event built from the
template's routes, the handler run in this process through the local stack); ``Api.over_http(base)`` sends
it to a started local stack's HTTP front. Both answer with a ``Reply``, and both serve the local stack's own
endpoints (``/_local/...``: the clock, the scheduled job, SES events, the outbox), so a test reads the same
whichever way it reaches the product.

Callers sign in for real: ``caller="u-arno"`` (a user id) or an address sends ``Authorization: <ID token>``,
a token of the local user pool in moto (signed in with the seed's password, cached per stack). The accept
route signs in as the link's invitee unless told otherwise (``signed_in=None``: nobody; an id or address:
that person). :class:`Browser` goes through the sign-in page, its cookies and its CSRF token, over HTTP.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from local import apigw, cognito, jobs, managed_login
from local.client import Http
from local.stack import OUTBOX, Stack
from local.template import Route

# The tests' and the benchmark's stacks are local stacks: they trust the ID tokens moto signs (local/cognito.py).
os.environ.setdefault(cognito.TRUST_SETTING, "1")

INVITEE = "invitee"  # sign in as the invited person of the link (the default of the accept calls)
PASSWORD = cognito.DEFAULT_PASSWORD  # every test seed user's (none gives its own)


@dataclass
class Reply:
    """An answer: its status, headers and body (``json``: the body decoded)."""

    status: int
    headers: dict[str, str]
    body: str
    cookies: list[str] = field(default_factory=list)  # each Set-Cookie

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("Location") or self.headers.get("location") or ""


class Transport(Protocol):
    def send(self, path: str, body: bytes, headers: dict[str, str], method: str) -> Reply:
        """One request (``path`` with its query string, if any); the answer, an error status included."""

    def id_token(self, who: str) -> str:
        """An ID token of the local user pool for a user id or an address (a new user when unknown)."""

    def invitee_of(self, token: str) -> str | None:
        """The invited address of a link's token, when the stack knows it."""


@dataclass
class InProcess:
    """Requests as API Gateway events into the handlers of an in-process stack (API Gateway itself refuses a
    private route without a bearer), and the local endpoints as the local server answers them."""

    stack: Stack

    def send(self, path: str, body: bytes, headers: dict[str, str], method: str) -> Reply:
        if path.startswith("/_local/"):
            return self._local(method, path.partition("?")[0], body)
        route, event = self._routed(path, body, headers, method)
        refused = not route.public and apigw.authorize(headers) is None  # the Cognito authorizer's 401
        response = apigw.unauthorized() if refused else self.stack.invoke(route.function, event)
        answered = apigw.response_headers(response)
        answered.pop("Set-Cookie", None)
        cookies = apigw.set_cookies(response)
        return Reply(int(response["statusCode"]), answered, response.get("body") or "", cookies)

    def id_token(self, who: str) -> str:
        pool = cognito.current()
        email = who.lower() if "@" in who else pool.emails.get(who)
        sub = who if "@" not in who else next((s for s, e in pool.emails.items() if e == email), None)
        if email is None or sub is None:  # signed in to the platform's identity, unknown to the product
            email = email or f"{who}@signed-in.example"
            sub = cognito.add_user(email, sub=None if "@" in who else who)
        return cognito.id_token_for(sub)

    def invitee_of(self, token: str) -> str | None:
        from paid_invites.invitations import split_token
        from paid_invites.store import repository

        parts = split_token(token)
        invitation = repository.get_invitation(parts[0]) if parts else None
        return invitation.email if invitation else None

    def event(self, path: str, body: bytes, headers: dict[str, str], method: str) -> tuple[str, dict[str, Any]]:
        """(function, event) of one request, as API Gateway hands it over: for a caller that invokes itself."""
        route, event = self._routed(path, body, headers, method)
        return route.function, event

    def _routed(self, path: str, body: bytes, headers: dict[str, str], method: str) -> tuple[Route, dict[str, Any]]:
        """The template's route of one request, and its event."""
        bare, _, query = path.partition("?")
        route, params, known = apigw.match(self.stack.routes, method, bare)
        assert route is not None, f"no route {method} {bare} in template.yaml (path known: {known})"
        return route, apigw.event(route, method, bare, params, query, headers, body)

    def _local(self, method: str, path: str, body: bytes) -> Reply:
        signed = managed_login.handle(method, path, "", body)
        if signed is not None:
            return Reply(signed[0], signed[2], signed[1].decode())
        answer = jobs.handle(self.stack, method, path, body)
        if answer is None and (path, method) == ("/_local/outbox", "GET"):
            answer = 200, OUTBOX.messages
        assert answer is not None, f"no local endpoint {method} {path}"
        status, value = answer
        return Reply(status, {"Content-Type": "application/json"}, json.dumps(value))


@dataclass
class OverHttp:
    """Requests to a local stack's HTTP front, each on its own connection (so that threads really race)."""

    base: str
    timeout: float = 60.0

    def send(self, path: str, body: bytes, headers: dict[str, str], method: str) -> Reply:
        answer = Http(self.base, self.timeout).call(method, path, body or None, headers)
        return Reply(answer.status, answer.headers, answer.body, answer.cookies)

    def id_token(self, who: str) -> str:
        email = who.lower() if "@" in who else None
        if email is None:
            listed = Http(self.base, self.timeout).call("GET", "/_local/users").json
            email = next((u["email"] for u in listed if u["id"] == who), f"{who}@signed-in.example")
        sent = json.dumps({"email": email, "password": PASSWORD}).encode()
        answer = Http(self.base, self.timeout).call("POST", "/_local/sign-in", sent)
        if answer.status == 401:  # nobody with this address yet: a new person signs up
            answer = Http(self.base, self.timeout).call("POST", "/_local/sign-up", sent)
        assert answer.status == 200, answer.body
        return str(answer.json["id_token"])

    def invitee_of(self, token: str) -> str | None:
        mails = Http(self.base, self.timeout).call("GET", "/_local/outbox").json
        return next((m["to"] for m in reversed(mails) if token in m["text"]), None)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ACCEPT_JSON = {"Accept": "application/json"}


def _request(
    path: str, body: Any, token: str | None, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """(path with its query string, body, headers) of one request, as ``Api.call`` describes them; ``token``
    is the caller's ID token."""
    as_json = isinstance(body, dict | list)
    raw = json.dumps(body).encode() if as_json else body.encode() if isinstance(body, str) else body or b""
    sent = {**({"Content-Type": "application/json"} if as_json else {}), **(headers or {})}
    sent.update({"Authorization": token} if token else {})
    return path + (("&" if "?" in path else "?") + urlencode(query) if query else ""), raw, sent


class Api:
    """The product's API by route name, over one transport (``in_process`` or ``over_http``)."""

    def __init__(self, transport: InProcess | OverHttp) -> None:
        self.transport = transport
        self._tokens: dict[tuple[str, str], str] = {}

    @classmethod
    def in_process(cls, stack: Stack) -> Api:
        return cls(InProcess(stack))

    @classmethod
    def over_http(cls, base: str, timeout: float = 60.0) -> Api:
        return cls(OverHttp(base, timeout))

    @property
    def base(self) -> str:
        """The front's base URL (over HTTP only)."""
        assert isinstance(self.transport, OverHttp), "an in-process client has no URL"
        return self.transport.base

    # ------------------------------------------------------------------ any request

    def id_token(self, who: str) -> str:
        """An ID token for a user id (``"u-arno"``) or an address, signed in through the local user pool (moto);
        one that is no user there yet signs up. Cached per stack (a token lives an hour)."""
        stack = cognito.current().pool_id if isinstance(self.transport, InProcess) else self.transport.base
        key = (stack, who)
        if key not in self._tokens:
            self._tokens[key] = self.transport.id_token(who)
        return self._tokens[key]

    def call(self, method: str, path: str, body: Any = None, caller: str | None = None, **more: Any) -> Reply:
        """One request. ``caller`` (a user id or an address) signs in and sends its ID token; a dict or list
        ``body`` is sent as JSON, a str as UTF-8, bytes as they are; ``query`` (a dict) is added to the path's
        query string, ``headers`` are sent as they are."""
        token = self.id_token(caller) if caller else None
        return self.transport.send(*_request(path, body, token, **more), method=method)

    def event(self, method: str, path: str, body: Any = None, caller: str | None = None, **more: Any) -> Any:
        """(function, event) of one request (as ``call`` takes it), as API Gateway would hand it over, for a
        caller that invokes the function itself. In process only."""
        assert isinstance(self.transport, InProcess), "an event is built for an in-process stack"
        token = self.id_token(caller) if caller else None
        return self.transport.event(*_request(path, body, token, **more), method=method)

    def invitee(self, link: str) -> str | None:
        """The address a link invites, to sign in as (``caller=api.invitee(token)``): the one way a test that
        sends its own request to the accept route signs in as the invited person."""
        return self.signed_in(INVITEE, link)

    def signed_in(self, who: str | None, link: str) -> str | None:
        """Who an accept call signs in as: ``INVITEE`` is the link's invited address (nobody when the stack
        does not know the link), None nobody."""
        if who == INVITEE:
            return self.transport.invitee_of(link) if isinstance(link, str) and link else None
        return who

    def json_call(self, method: str, path: str, value: Any = None, caller: str | None = None, **headers: str) -> Reply:
        """A request that asks for JSON and, unless ``value`` is None, sends it as JSON."""
        return self.call(method, path, value, caller, headers={"Accept": "application/json", **headers})

    def get(self, path: str, caller: str | None = None, **headers: str) -> Reply:
        return self.json_call("GET", path, caller=caller, **headers)

    def post(self, path: str, body: Any = None, caller: str | None = None, **headers: str) -> Reply:
        return self.json_call("POST", path, body if body is not None else {}, caller, **headers)

    # ------------------------------------------------------------------ the routes by name

    def invite(
        self,
        caller: str,
        account: str,
        *invitees: dict[str, Any] | str,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> Reply:
        """Invite these people (an address alone, or the invitee's fields) to ``account``; ``options``: the
        request's own fields (``send_email``, ``redirect_url``, ``message``)."""
        people = [{"email": i} if isinstance(i, str) else i for i in invitees]
        body = {"invitees": people, **options}
        return self.call("POST", f"/accounts/{account}/invitations", body, caller=caller, headers=headers)

    def open_link(self, token: str, signed_in: str | None = INVITEE, **query: str) -> Reply:
        """Follow the link of an invitation e-mail (its confirm page), signed in as the invitee unless
        ``signed_in`` says otherwise (None: nobody; a user id or an address: that person)."""
        who = self.signed_in(signed_in, token)
        return self.call("GET", "/invitations/accept", caller=who, query={"token": token, **query})

    def accept(
        self,
        token: str,
        settlement: str | None = None,
        as_json: bool = False,
        signed_in: str | None = INVITEE,
        **fields: str,
    ) -> Reply:
        """Accept: the confirm page's form as a browser posts it (its hidden fields, e.g. ``lang``, in
        ``fields``), or ``as_json``; signed in (``Authorization: <ID token>``) as the invitee unless
        ``signed_in`` says otherwise. Without a ``quote`` in ``fields`` it is the quote of the page as the
        same person opens it just before (the money of that moment); ``quote=""`` posts none."""
        who = self.signed_in(signed_in, token)
        if "quote" not in fields:
            fields["quote"] = self.quote(token, who)
        fields = {k: v for k, v in fields.items() if not (k == "quote" and not v)}
        sent = {"token": token, **({"settlement": settlement} if settlement else {}), **fields}
        if as_json:
            return self.json_call("POST", "/invitations/accept", sent, caller=who)
        return self.call("POST", "/invitations/accept", urlencode(sent), caller=who, headers=FORM)

    def quote(self, token: str, caller: str | None) -> str:
        """The quote of the confirm page ``caller`` sees now (its JSON's ``quote``); "" when the page is refused."""
        page = self.call("GET", "/invitations/accept", caller=caller, query={"token": token}, headers=ACCEPT_JSON)
        return str(page.json.get("quote") or "") if page.status == 200 else ""

    def summary(self, caller: str, account: str) -> Reply:
        return self.call("GET", f"/accounts/{account}", caller=caller)

    def invitation(self, caller: str, account: str, invitation_id: str) -> Reply:
        """One invitation with its history, as its organization's admins see it."""
        return self.json_call("GET", f"/accounts/{account}/invitations/{invitation_id}", caller=caller)

    def revoke(self, caller: str, account: str, invitation_id: str) -> Reply:
        return self.json_call("DELETE", f"/accounts/{account}/invitations/{invitation_id}", caller=caller)

    def resend(self, caller: str, account: str, invitation_id: str) -> Reply:
        return self.json_call("POST", f"/accounts/{account}/invitations/{invitation_id}/resend", caller=caller)

    def members(self, caller: str, account: str, **query: str) -> Reply:
        """A page of the organization's members (``user_type``, ``role``, ``email_prefix``, ``limit``, ``cursor``)."""
        accept = {"Accept": "application/json"}
        return self.call("GET", f"/accounts/{account}/members", caller=caller, query=query or None, headers=accept)

    def remove_member(self, caller: str, account: str, user_id: str, **headers: str) -> Reply:
        """Remove a member from the organization (``headers``: e.g. ``**{"Idempotency-Key": ...}``)."""
        return self.json_call("DELETE", f"/accounts/{account}/members/{user_id}", caller=caller, **headers)

    def upload_import(self, caller: str, account: str, csv_text: str) -> Reply:
        """Upload a CSV file of invitees (a bulk import)."""
        path = f"/accounts/{account}/invitations/imports"
        return self.call("POST", path, csv_text, caller=caller, headers={"Content-Type": "text/csv"})

    def imports(self, caller: str, account: str, **query: str) -> Reply:
        """The organization's imports, newest first (``limit``, ``cursor``)."""
        return self.call("GET", f"/accounts/{account}/imports", caller=caller, query=query)

    def cancel_import(self, caller: str, account: str, import_id: str) -> Reply:
        return self.json_call("POST", f"/accounts/{account}/imports/{import_id}/cancel", caller=caller)

    def import_results(self, caller: str, account: str, import_id: str) -> Reply:
        """An import's per-row results as the CSV file to download."""
        return self.call("GET", f"/accounts/{account}/imports/{import_id}/results.csv", caller=caller)

    # ------------------------------------------------------------------ the local stack's own endpoints

    def run_job(self) -> dict[str, Any]:
        """One run of the scheduled job (SweepFunction's real handler, as EventBridge Scheduler calls it): its
        report."""
        reply = self.post("/_local/jobs/remind")
        assert reply.status == 200, reply.body
        report: dict[str, Any] = reply.json
        assert set(report) == {"reminded", "expired", "counts"}, report
        return report

    def ses_event(self, kind: str, recipient: str, **options: Any) -> dict[str, Any]:
        """An SES event for the last mail to ``recipient``, delivered by "SNS" to EmailEventsFunction: its result."""
        reply = self.post("/_local/ses-events", {"type": kind, "recipient": recipient, **options})
        assert reply.status == 200, reply.body
        result: dict[str, Any] = reply.json["result"]
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the stack's clock by ``seconds`` (back too): the clock's state afterwards."""
        reply = self.post("/_local/clock", {"advance_seconds": seconds})
        assert reply.status == 200, reply.body
        moved: dict[str, Any] = reply.json
        return moved

    def outbox(self, address: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """The e-mails the stack sent (to ``address``, of one template ``kind``), oldest first."""
        reply = self.get("/_local/outbox")
        assert reply.status == 200, reply.body
        return [
            m
            for m in reply.json
            if (address is None or m["to"] == address) and (kind is None or m.get("tags", {}).get("kind") == kind)
        ]


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
QUOTE = re.compile(r'name="quote" value="([^"]+)"')


def quote_of(page: Reply) -> str:
    """The quote an accept page carries (its hidden field, or its JSON's ``quote``); "" when it has none."""
    if page.body.lstrip().startswith("{"):
        return str(page.json.get("quote") or "")
    found = QUOTE.search(page.body)
    return found.group(1) if found else ""


@dataclass
class Browser:
    """One browser on a local stack over HTTP: its cookies, signing in on the accept page through the local
    stand-in for the managed login, and the page's CSRF token (what Chromium does in tests/browser)."""

    api: Api
    jar: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
        sent = dict(headers or {})
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        reply = self.api.transport.send(path, body, sent, method)
        for cookie in reply.cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if not value or "Max-Age=0" in cookie:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return reply

    def open(self, token: str, **query: str) -> Reply:
        return self.send("GET", "/invitations/accept?" + urlencode({"token": token, **query}))

    def sign_in(self, token: str, email: str, password: str = PASSWORD, create: bool = False, **query: str) -> Reply:
        """From the link's "Sign in to accept" through the managed login (``create``: its "Create account")
        and the callback, back to the link: the page the browser lands on."""
        start = self.open(token, sign_in="1", **query)
        assert start.status == 303, start.body
        authorize = urlsplit(start.location)
        form = {**dict(parse_qsl(authorize.query)), "email": email, "password": password}
        form["action"] = "sign_up" if create else "sign_in"
        login = self.send("POST", authorize.path, urlencode(form).encode(), FORM)
        assert login.status == 302, login.body
        back = urlsplit(login.location)
        callback = self.send("GET", f"{back.path}?{back.query}")
        assert callback.status == 303, callback.body
        return self.send("GET", "/invitations/accept" + callback.location)

    @staticmethod
    def csrf(page: Reply) -> str:
        found = CSRF.search(page.body)
        assert found, "the page has no CSRF token"
        return found.group(1)

    def accept(self, token: str, settlement: str | None = None, as_json: bool = False, **fields: str) -> Reply:
        """The confirm page's form as this browser posts it (``fields``: ``csrf`` and the other hidden ones)."""
        sent = {"token": token, **({"settlement": settlement} if settlement else {}), **fields}
        headers = {**FORM, **({"Accept": "application/json"} if as_json else {})}
        return self.send("POST", "/invitations/accept", urlencode(sent).encode(), headers)
