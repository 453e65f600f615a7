"""Malformed requests get a clear 4xx in the one error shape, never a 5xx, and change nothing."""

from __future__ import annotations

import pytest

from local.stack import Stack

from ..support import Api, dump_tables

INVITE = "/accounts/acme/invitations"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xff\xfe{not utf-8", "invalid_encoding"),
        (b'{"invitees": [', "invalid_json"),
        (b'{"invitees": "everyone"}', "validation_failed"),
        (b'{"invitees": [{"email": "a@b.example", "colour": "blue"}]}', "validation_failed"),
        (b'{"invitees": [{"email": 42}]}', "validation_failed"),
        (b"[]", "json_not_object"),
        (b'{"invitees": [{"email": "' + b"a" * 400 + b'@example.org"}]}', "validation_failed"),
    ],
)
def test_a_bad_invite_body_is_refused_whole(api: Api, stack: Stack, body: bytes, code: str) -> None:
    before = dump_tables(stack)
    reply = api.call("POST", INVITE, body, caller="u-arno", headers=JSON)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] == code
    assert dump_tables(stack) == before


def test_a_form_that_is_not_utf8_gets_a_page_that_says_it_could_not_be_read(api: Api, stack: Stack) -> None:
    before = dump_tables(stack)
    reply = api.call(
        "POST", "/invitations/accept", b"token=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 400 and "<html" in reply.body
    assert dump_tables(stack) == before


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]
)
def test_a_form_sent_to_the_json_api_is_unsupported_media(api: Api, stack: Stack, content_type: str) -> None:
    before = dump_tables(stack)
    body = '{"invitees": [{"email": "a@b.example"}]}'
    reply = api.call("POST", INVITE, body, caller="u-arno", headers={"Content-Type": content_type})
    assert reply.status == 415 and reply.json["error"]["code"] == "unsupported_media_type"
    assert dump_tables(stack) == before
