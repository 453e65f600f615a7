"""Every route that takes a body reads it by its Content-Type and answers in the format Accept asks for; a body
it cannot read gets a specific 4xx (the JSON error shape, or a readable page on the accept link), never a 5xx,
and changes nothing."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from local.stack import Stack
from paid_invites import i18n
from paid_invites.http import MAX_JSON_DEPTH

from ..support import Api, Reply, dump_tables, invite_with_token

ACCEPT_PATH, INVITE_PATH = "/invitations/accept", "/accounts/acme/invitations"
FORM, JSON, HTML = "application/x-www-form-urlencoded", "application/json", "text/html"
TOKEN = "0" * 32 + "." + "A" * 43  # shaped like a link's token


def send(
    api: Api, path: str, body: bytes, content_type: str | None, accept: str | None, caller: str | None = None
) -> Reply:
    headers = {k: v for k, v in {"Content-Type": content_type, "Accept": accept}.items() if v}
    caller = caller or ("u-arno" if path == INVITE_PATH else None)
    return api.call("POST", path, body, caller=caller, headers=headers)


def nested_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# (what, body, Content-Type, status, code): for the accept link (its body limit is 8 KiB)
ACCEPT_BODIES = [
    ("form of 11 fields", "&".join(f"f{n}=x" for n in range(10)).encode() + b"&token=" + TOKEN.encode(), FORM, 400,
     "too_many_fields"),
    ("form of 500 fields", "&".join(f"f{n}=x" for n in range(500)).encode(), FORM, 400, "too_many_fields"),
    ("form with a repeated field", urlencode([("token", TOKEN), ("token", TOKEN)]).encode(), FORM, 400,
     "duplicate_key"),
    ("form not UTF-8", b"token=\xff\xfe", FORM, 400, "invalid_encoding"),
    ("form with an escape that is not UTF-8", b"token=%ff%fe", FORM, 400, "invalid_encoding"),
    ("JSON nested 4,000 deep", b"[" * 4_000 + b"]" * 4_000, JSON, 400, "json_too_deep"),
    ("JSON object nested past the limit", nested_object(MAX_JSON_DEPTH + 1), JSON, 400, "json_too_deep"),
    ("JSON with a repeated key", b'{"token": "a", "token": "b"}', JSON, 400, "duplicate_key"),
    ("JSON truncated", b'{"token": "', JSON, 400, "invalid_json"),
    ("JSON with NaN", b'{"token": NaN}', JSON, 400, "invalid_json"),
    ("JSON that is a list", b"[1, 2]", JSON, 400, "json_not_object"),
    ("JSON not UTF-8", b'{"token": "\xff"}', JSON, 400, "invalid_encoding"),
    ("JSON with a lone surrogate", b'{"token": "\\ud800"}', JSON, 400, "invalid_encoding"),
    ("a body over 8 KiB", json.dumps({"token": "x" * 9_000}).encode(), JSON, 413, "body_too_large"),
    ("text/plain", b"token=" + TOKEN.encode(), "text/plain", 415, "unsupported_media_type"),
    ("XML", b"<token/>", "application/xml", 415, "unsupported_media_type"),
    ("multipart without a boundary", b"--x\r\n\r\n", "multipart/form-data", 415, "unsupported_media_type"),
    ("JSON in another charset", b'{"token": "a"}', "application/json; charset=latin-1", 415,
     "unsupported_media_type"),
]  # fmt: skip

# for the invite route (its body limit is 128 KiB)
INVITE_BODIES = [
    ("JSON nested 60,000 deep", b"[" * 60_000 + b"]" * 60_000, JSON, 400, "json_too_deep"),
    ("JSON object nested past the limit", nested_object(MAX_JSON_DEPTH + 1), JSON, 400, "json_too_deep"),
    ("JSON with a repeated key", b'{"invitees": [], "invitees": [{"email": "a@b.example"}]}', JSON, 400,
     "duplicate_key"),
    ("JSON with Infinity", b'{"invitees": [{"email": "a@b.example", "n": Infinity}]}', JSON, 400, "invalid_json"),
    ("JSON that is a string", b'"invitees"', JSON, 400, "json_not_object"),
    ("JSON not UTF-8", b'{"invitees": [{"email": "\xff@b.example"}]}', JSON, 400, "invalid_encoding"),
    ("JSON with a lone surrogate", b'{"invitees": [{"email": "a@b.example", "first_name": "\\udfff"}]}', JSON, 400,
     "invalid_encoding"),
    ("a body over 128 KiB", json.dumps({"invitees": [{"email": "a@b.example", "first_name": "x" * 140_000}]}).encode(),
     JSON, 413, "body_too_large"),
    ("a form", b"invitees=a@b.example", FORM, 415, "unsupported_media_type"),
    ("text/plain", b'{"invitees": [{"email": "a@b.example"}]}', "text/plain", 415, "unsupported_media_type"),
    ("JSON in UTF-16", '{"invitees": []}'.encode("utf-16"), "application/json; charset=utf-16", 415,
     "unsupported_media_type"),
]  # fmt: skip


def is_error_shape(reply: Reply, status: int, code: str) -> bool:
    error = reply.json["error"]
    return (
        reply.status == status
        and reply.headers["Content-Type"].startswith(JSON)
        and error["code"] == code
        and isinstance(error["message"], str)
        and bool(error["message"])
        and isinstance(error["details"], dict)
    )


@pytest.mark.parametrize(("what", "body", "content_type", "status", "code"), ACCEPT_BODIES, ids=lambda v: None)
def test_an_unreadable_body_on_the_accept_link_is_a_specific_4xx_page_or_error(
    api: Api, stack: Stack, what: str, body: bytes, content_type: str, status: int, code: str
) -> None:
    before = dump_tables(stack)
    # When the body is sent asking for JSON, Then it is the error shape with its specific code
    as_json = send(api, ACCEPT_PATH, body, content_type, JSON)
    assert is_error_shape(as_json, status, code), (what, as_json.status, as_json.body[:300])
    # When a browser sends it (asking for a page), Then a readable page with the same status says what to do
    for accept in (HTML, None):
        page = send(api, ACCEPT_PATH, body, content_type, accept)
        assert page.status == status and page.headers["Content-Type"].startswith("text/html"), (what, page.body[:300])
        assert str(escape(i18n.text("en", "refused_unreadable_request"))) in page.body, what
        assert str(escape(i18n.text("en", "refused_todo_unreadable_request"))) in page.body, what
    # and nothing changed
    assert dump_tables(stack) == before


@pytest.mark.parametrize(("what", "body", "content_type", "status", "code"), INVITE_BODIES, ids=lambda v: None)
def test_an_unreadable_body_on_the_invite_route_is_a_specific_4xx_in_the_error_shape(
    api: Api, stack: Stack, what: str, body: bytes, content_type: str, status: int, code: str
) -> None:
    before = dump_tables(stack)
    for accept in (JSON, HTML, None):
        reply = send(api, INVITE_PATH, body, content_type, accept)
        assert is_error_shape(reply, status, code), (what, accept, reply.status, reply.body[:300])
    assert dump_tables(stack) == before


@pytest.mark.parametrize("body_type", [FORM, JSON])
@pytest.mark.parametrize("answer_type", [HTML, JSON])
def test_the_accept_link_reads_the_body_by_content_type_and_answers_by_accept(
    api: Api, stack: Stack, body_type: str, answer_type: str
) -> None:
    # Given an invitation to someone new to the platform
    _invitation_id, token = invite_with_token(api, "nieuw@example.org", user_type="basic")
    # When it is accepted with a body of one type, asking for an answer of the other (or the same)
    fields = {"token": token}
    body = urlencode(fields).encode() if body_type == FORM else json.dumps(fields).encode()
    reply = send(api, ACCEPT_PATH, body, body_type, answer_type, caller=api.invitee(token))
    # Then the body was read as sent, and the answer is in the format asked for
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["Content-Type"].startswith(answer_type)
    if answer_type == JSON:
        assert reply.json["status"] == "accepted"
    else:
        assert str(escape(i18n.text("en", "result_title", org="Acme B.V."))) in reply.body


@pytest.mark.parametrize("answer_type", [JSON, HTML, "*/*", None])
def test_the_invite_route_reads_json_whatever_answer_is_asked_for(
    api: Api, stack: Stack, answer_type: str | None
) -> None:
    body = json.dumps({"invitees": [{"email": "nieuw@example.org", "user_type": "basic"}]}).encode()
    reply = send(api, INVITE_PATH, body, JSON, answer_type)
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["Content-Type"].startswith(JSON) and reply.json["results"][0]["status"] == "created"


def test_a_json_body_without_a_content_type_is_read_as_json_by_the_admin_api(api: Api, stack: Stack) -> None:
    body = json.dumps({"invitees": [{"email": "nieuw@example.org", "user_type": "basic"}]}).encode()
    reply = send(api, INVITE_PATH, body, None, None)
    assert reply.status == 200 and reply.json["results"][0]["status"] == "created"
