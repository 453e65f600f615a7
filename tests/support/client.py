"""One client of the product's API for every suite, over either transport.

``Api.in_process(stack)`` hands each request to its function as API Gateway would (an event built from the
template's routes, the handler run in this process through the local stack); ``Api.over_http(base)`` sends
it to a started local stack's HTTP front. Both answer with a ``Reply``, and both serve the local stack's own
endpoints (``/_local/...``: the clock, the scheduled job, SES events, the outbox), so a test reads the same
whichever way it reaches the product.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from local import apigw, jobs
from local.client import Http
from local.stack import OUTBOX, Stack
from local.template import Route


@dataclass
class Reply:
    """An answer: its status, headers and body (``json``: the body decoded)."""

    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Transport(Protocol):
    def send(self, path: str, body: bytes, headers: dict[str, str], method: str) -> Reply:
        """One request (``path`` with its query string, if any); the answer, an error status included."""


@dataclass
class InProcess:
    """Requests as API Gateway events into the handlers of an in-process stack (API Gateway itself refuses a
    private route without a bearer), and the local endpoints as the local server answers them."""

    stack: Stack

    def send(self, path: str, body: bytes, headers: dict[str, str], method: str) -> Reply:
        if path.startswith("/_local/"):
            return self._local(method, path.partition("?")[0], body)
        route, event = self._routed(path, body, headers, method)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        response = apigw.unauthorized() if not route.public and not auth else self.stack.invoke(route.function, event)
        return Reply(int(response["statusCode"]), apigw.response_headers(response), response.get("body") or "")

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
        return Reply(answer.status, answer.headers, answer.body)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _request(
    path: str, body: Any, caller: str | None, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """(path with its query string, body, headers) of one request, as ``Api.call`` describes them."""
    as_json = isinstance(body, dict | list)
    raw = json.dumps(body).encode() if as_json else body.encode() if isinstance(body, str) else body or b""
    sent = {**({"Content-Type": "application/json"} if as_json else {}), **(headers or {})}
    sent.update({"Authorization": f"Bearer {caller}"} if caller else {})
    return path + (("&" if "?" in path else "?") + urlencode(query) if query else ""), raw, sent


class Api:
    """The product's API by route name, over one transport (``in_process`` or ``over_http``)."""

    def __init__(self, transport: InProcess | OverHttp) -> None:
        self.transport = transport

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

    def call(self, method: str, path: str, body: Any = None, caller: str | None = None, **more: Any) -> Reply:
        """One request. ``caller`` is the bearer (the local stand-in for Cognito); a dict or list ``body`` is
        sent as JSON, a str as UTF-8, bytes as they are; ``query`` (a dict) is added to the path's query string,
        ``headers`` are sent as they are."""
        return self.transport.send(*_request(path, body, caller, **more), method=method)

    def event(self, method: str, path: str, body: Any = None, caller: str | None = None, **more: Any) -> Any:
        """(function, event) of one request (as ``call`` takes it), as API Gateway would hand it over, for a
        caller that invokes the function itself. In process only."""
        assert isinstance(self.transport, InProcess), "an event is built for an in-process stack"
        return self.transport.event(*_request(path, body, caller, **more), method=method)

    def json_call(self, method: str, path: str, value: Any = None, caller: str | None = None, **headers: str) -> Reply:
        """A request that asks for JSON and, unless ``value`` is None, sends it as JSON."""
        return self.call(method, path, value, caller, headers={"Accept": "application/json", **headers})

    def get(self, path: str, caller: str | None = None, **headers: str) -> Reply:
        return self.json_call("GET", path, caller=caller, **headers)

    def post(self, path: str, body: Any = None, caller: str | None = None, **headers: str) -> Reply:
        return self.json_call("POST", path, body if body is not None else {}, caller, **headers)

    # ------------------------------------------------------------------ the routes by name

    def invite(self, caller: str, account: str, *invitees: dict[str, Any] | str) -> Reply:
        """Invite these people (an address alone, or the invitee's fields) to ``account``."""
        people = [{"email": i} if isinstance(i, str) else i for i in invitees]
        return self.call("POST", f"/accounts/{account}/invitations", {"invitees": people}, caller=caller)

    def open_link(self, token: str, **query: str) -> Reply:
        """Follow the link of an invitation e-mail (its confirm page)."""
        return self.call("GET", "/invitations/accept", query={"token": token, **query})

    def accept(self, token: str, settlement: str | None = None, as_json: bool = False, **fields: str) -> Reply:
        """Accept: the confirm page's form as a browser posts it (its hidden fields, e.g. ``lang``, in
        ``fields``), or ``as_json``."""
        sent = {"token": token, **({"settlement": settlement} if settlement else {}), **fields}
        if as_json:
            return self.json_call("POST", "/invitations/accept", sent)
        return self.call("POST", "/invitations/accept", urlencode(sent), headers=FORM)

    def summary(self, caller: str, account: str) -> Reply:
        return self.call("GET", f"/accounts/{account}", caller=caller)

    def invitation(self, caller: str, account: str, invitation_id: str) -> Reply:
        """One invitation with its history, as its organization's admins see it."""
        return self.json_call("GET", f"/accounts/{account}/invitations/{invitation_id}", caller=caller)

    def revoke(self, caller: str, account: str, invitation_id: str) -> Reply:
        return self.json_call("DELETE", f"/accounts/{account}/invitations/{invitation_id}", caller=caller)

    def resend(self, caller: str, account: str, invitation_id: str) -> Reply:
        return self.json_call("POST", f"/accounts/{account}/invitations/{invitation_id}/resend", caller=caller)

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
