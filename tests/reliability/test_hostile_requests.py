"""Hostile requests on every route: malformed and oversized bodies and headers, every pairing of the body's
``Content-Type`` with the answer's ``Accept``, unicode in every field, numbers out of range.

Each class is sent to each route that can receive it. Not one answer may be a 5xx: a bad request is the
caller's, and it gets a specific 4xx with the error shape (JSON) or a readable page (the accept link's HTML).
Every answer is counted in the report (``hostile requests``), by class and by 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest

from local.client import Answer
from local.stack import Stack

from ..support import Api, dump_tables, invite_sent, token_of
from .plugin import Recorder

JAN = "jan@devries.example"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Body:
    """One hostile body: what it is called, its bytes and the ``Content-Type`` it is sent with."""

    name: str
    data: bytes
    content_type: str | None


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def bodies(token: str) -> list[Body]:
    """Hostile bodies of every class; the accept route's carry the real link so that they reach its parser."""
    many_fields = "&".join(f"f{n}=x" for n in range(2_000)) + f"&token={token}"
    return [
        Body("form with 2,000 fields", many_fields.encode(), FORM),
        Body("form with a field repeated", urlencode([("token", token), ("token", token)]).encode(), FORM),
        Body("JSON nested 100,000 deep", nested(100_000), JSON),
        Body("JSON object nested deep", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON),
        Body("JSON that is a list", b"[1, 2, 3]", JSON),
        Body("JSON that is a string", b'"token"', JSON),
        Body("JSON that is null", b"null", JSON),
        Body("JSON with duplicate keys", json.dumps({"token": token}).encode()[:-1] + b', "token": 1}', JSON),
        Body("JSON truncated", b'{"token": "', JSON),
        Body("JSON with NaN and huge numbers", b'{"token": NaN, "n": 1e400, "m": ' + b"9" * 5_000 + b"}", JSON),
        Body("JSON with a lone surrogate", b'{"token": "\\ud800", "settlement": "\\udfff"}', JSON),
        Body("invalid UTF-8 as JSON", b'{"token": "\xff\xfe\xc3\x28"}', JSON),
        Body("invalid UTF-8 as form", b"token=\xff\xfe&settlement=\xc3\x28", FORM),
        Body("form with percent-garbage", b"token=%zz%&settlement=%%%", FORM),
        Body("NUL bytes", b'{"token": "a\x00b"}', JSON),
        Body("an empty body as JSON", b"", JSON),
        Body("an empty body as form", b"", FORM),
        Body("one megabyte of one field", json.dumps({"token": "x" * 1_000_000}).encode(), JSON),
        Body("no Content-Type", json.dumps({"token": token}).encode(), None),
        Body("text/plain", b"token=" + token.encode(), "text/plain"),
        Body("XML", b"<token>x</token>", "application/xml"),
        Body("multipart without a boundary", b"--x\r\n\r\n", "multipart/form-data"),
        Body("a charset that does not exist", json.dumps({"token": token}).encode(), "application/json; charset=nope"),
        Body("a Content-Type with garbage parameters", b"{}", 'application/json; ;;=; q="'),
        Body("CSV that is empty", b"", "text/csv"),
        Body("CSV of 10,000 columns", (",".join(f"c{n}" for n in range(10_000)) + "\n").encode(), "text/csv"),
        Body("CSV that is binary", bytes(range(256)) * 8, "text/csv"),
    ]


# How the answer may be asked for: every pairing with each body above.
ACCEPTS = [JSON, "text/html", "*/*", "application/xml", "text/html;q=abc, application/json;q=2", ""]

UNICODE = ["Zoë Ω", "\u202eevil\u202c", "🙂" * 50, "a\u0000b", "\ufeff", "ｊａｎ", "x" * 10_000]


def routes() -> list[tuple[str, str]]:
    """Every route that takes a body (the admin ones as Acme's admin)."""
    return [
        ("POST", "/invitations/accept"),
        ("POST", "/accounts/acme/invitations"),
        ("POST", "/accounts/acme/invitations/imports"),
    ]


def queries(token: str, invitation_id: str) -> list[str]:
    """Query strings and paths out of range or malformed, on every route that reads them."""
    long = "x" * 20_000
    return [
        "/accounts/acme/invitations?limit=-1",
        "/accounts/acme/invitations?limit=0",
        "/accounts/acme/invitations?limit=" + "9" * 40,
        "/accounts/acme/invitations?limit=1e309",
        "/accounts/acme/invitations?limit=NaN",
        "/accounts/acme/invitations?status=" + quote("pending' OR 1=1"),
        "/accounts/acme/invitations?cursor=" + long,
        "/accounts/acme/invitations?cursor=%ff%fe",
        "/accounts/acme/invitations?email_prefix=" + quote("🙂" * 500),
        "/accounts/acme/invitations?limit=1&limit=2",
        f"/accounts/acme/invitations/{quote(long)}",
        "/accounts/acme/invitations/" + quote("../../etc/passwd", safe=""),
        "/accounts/" + quote("acme\u0000") + "/invitations",
        "/accounts/acme/invitations/imports/" + quote("🙂" * 100),
        f"/invitations/accept?token={quote(long)}",
        "/invitations/accept?token=%ff%fe",
        f"/invitations/accept?token={token}&lang=" + quote("../../" + "x" * 500),
        f"/invitations/accept?token={token}&token={token}",
        "/invitations/accept?" + "&".join(f"f{n}=1" for n in range(2_000)),
        f"/accounts/acme/invitations/{invitation_id}?x=" + quote("\u202e"),
    ]


HEADERS: list[dict[str, str]] = [
    {"Idempotency-Key": "k" * 300},
    {"Idempotency-Key": ""},
    {"Idempotency-Key": "cl\u00e9\x7f"},
    {"Accept-Language": "x" * 5_000},
    {"Accept-Language": "nl;q=abc, *;q=-1"},
    {"Content-Type": JSON + "; charset=utf-16"},
    {"X-Forwarded-For": "999.999.999.999, " * 200},
    {"Cookie": "a=" + "b" * 4_000},
]


def no_5xx(answers: list[tuple[str, Answer]]) -> list[tuple[str, int, str]]:
    return [(what, a.status, a.body[:200]) for what, a in answers if a.status >= 500]


def error_shape_kept(answers: list[tuple[str, Answer]]) -> list[tuple[str, int, str]]:
    """Refusals answered as JSON carry ``{"error": {"code", "message", "details"}}``."""
    wrong = []
    for what, a in answers:
        if a.status < 400 or not a.headers.get("Content-Type", "").startswith(JSON):
            continue
        try:
            error = a.json["error"]
            assert isinstance(error["code"], str) and error["code"]
            assert isinstance(error["message"], str) and isinstance(error["details"], dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            wrong.append((what, a.status, a.body[:200]))
    return wrong


def sender(front: Api, answers: list[tuple[str, Answer]], reliability: Recorder) -> Callable[..., Answer]:
    """``send(klass, method, path, body, accept=, content_type=, headers=)``: one request, recorded by class."""

    def send(
        klass: str,
        method: str,
        path: str,
        body: bytes | None = None,
        accept: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        caller = None if path.startswith("/invitations/") else "u-arno"
        sent = {"Accept": accept or "", "Content-Type": content_type or "", **(headers or {})}
        sent = {k: v for k, v in sent.items() if v}
        answer = front.call(method, path, body, caller=caller, headers=sent)
        answers.append((f"{klass}: {method} {path[:80]} {sorted(sent)}", answer))
        reliability.request(klass, answer.status)
        return answer

    return send


@pytest.mark.reliability(kind="hostile")
def test_hostile_bodies_on_every_route_with_every_accept_get_a_4xx_and_change_nothing(
    front: Api, stack: Stack, reliability: Recorder
) -> None:
    # Given Jan's invitation is out (its link is valid, so that hostile bodies reach the accept's parser)
    invite_sent(front, JAN)
    token = token_of(JAN)
    before = dump_tables(stack)
    answers: list[tuple[str, Answer]] = []
    send = sender(front, answers, reliability)
    # When every hostile body is sent to every route that takes one, asking for every kind of answer
    for body in bodies(token):
        for method, path in routes():
            for accept in ACCEPTS if path == "/invitations/accept" else ACCEPTS[:2]:
                send(f"body: {body.name}", method, path, body.data, accept, body.content_type)
    # Then not one answer is a 5xx, every JSON refusal has the error shape, and nothing changed
    assert no_5xx(answers) == []
    assert error_shape_kept(answers) == []
    assert dump_tables(stack) == before


@pytest.mark.reliability(kind="hostile")
def test_a_form_body_with_a_json_answer_and_a_json_body_with_an_html_answer_both_work(
    front: Api, stack: Stack, reliability: Recorder
) -> None:
    # Given two invitations out
    invite_sent(front, JAN)
    invite_sent(front, "fleur@bakker.example", user_type="basic")
    answers: list[tuple[str, Answer]] = []
    send = sender(front, answers, reliability)
    # When Jan posts a form and asks for JSON, and Fleur posts JSON and asks for a page
    quote = front.quote(token_of(JAN), JAN)  # the money of the page he saw
    form = urlencode({"token": token_of(JAN), "settlement": "credit", "quote": quote}).encode()
    jan = {"Authorization": front.id_token(JAN)}  # signed in, each as themselves
    by_form = send("form body, JSON answer", "POST", "/invitations/accept", form, JSON, FORM, jan)
    as_json = json.dumps({"token": token_of("fleur@bakker.example")}).encode()
    fleur = {"Authorization": front.id_token("fleur@bakker.example")}
    by_json = send("JSON body, HTML answer", "POST", "/invitations/accept", as_json, "text/html", JSON, fleur)
    # Then the body was read by its Content-Type and answered in the format asked for
    assert by_form.status == 200, by_form.body
    assert by_form.headers["Content-Type"].startswith(JSON) and by_form.json["settlement"] == "credit"
    assert by_json.status == 200, by_json.body
    assert by_json.headers["Content-Type"].startswith("text/html") and "<html" in by_json.body.lower()


@pytest.mark.reliability(kind="hostile")
def test_queries_headers_and_unicode_out_of_range_get_a_4xx_or_an_answer_never_a_5xx(
    front: Api, stack: Stack, reliability: Recorder
) -> None:
    # Given Jan's invitation is out
    invitation_id = invite_sent(front, JAN)
    token = token_of(JAN)
    answers: list[tuple[str, Answer]] = []
    send = sender(front, answers, reliability)
    # When queries, paths and headers out of range are sent, and unicode of every kind fills every field
    for path in queries(token, invitation_id):
        send("query or path out of range", "GET", path, accept=JSON)
        send("query or path out of range", "GET", path, accept="text/html")
    for headers in HEADERS:
        body = json.dumps({"invitees": [{"email": "hdr@example.org", "user_type": "basic"}]}).encode()
        send("malformed header", "POST", "/accounts/acme/invitations", body, JSON, JSON, headers)
        send("malformed header", "GET", f"/invitations/accept?token={token}", headers=headers)
    for n, text in enumerate(UNICODE):
        invitee = {"email": f"u{n}@example.org", "first_name": text, "last_name": text, "user_type": "basic"}
        for field_name in ("role", "user_type"):
            odd = json.dumps({"invitees": [{**invitee, field_name: text}]}).encode()
            send("unicode in a field", "POST", "/accounts/acme/invitations", odd, JSON, JSON)
        odd_email = json.dumps({"invitees": [{"email": f"{text}@example.org"}]}).encode()
        send("unicode in a field", "POST", "/accounts/acme/invitations", odd_email, JSON, JSON)
        form = urlencode({"token": token, "settlement": text, "lang": text}).encode()
        send("unicode in a field", "POST", "/invitations/accept", form, "text/html", FORM)
        csv = f"email,first_name\nc{n}@example.org,{text}\n".encode()
        send("unicode in a field", "POST", "/accounts/acme/invitations/imports", csv, content_type="text/csv")
    # Then not one answer is a 5xx, and every JSON refusal has the error shape
    assert no_5xx(answers) == []
    assert error_shape_kept(answers) == []
