"""Hostile input and what must never leak: tokens, markup, header injection, logs, other tenants.

Bad and tampered tokens, and "GET changes nothing", are tests/integration/test_accept_refusals.py
(counted in this suite); the route x caller matrix is tests/integration/test_authorization_matrix.py.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from local import bridge
from local.stack import OUTBOX, Stack
from paid_invites import invitations
from paid_invites.errors import AcceptRefused
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from paid_invites.usecases import accepting

from ..support import TOKEN, Api, dump_tables, finished, invite_sent, invite_with_token, token_of
from .plugin import Recorder

JAN = "jan@devries.example"


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a dump (keys, values, nested maps and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list | set | tuple):
        for v in value:
            yield from strings(v)


@pytest.mark.reliability(kind="hostile")
def test_no_table_holds_anything_that_accepts_an_invitation(
    front: Api, stack: Stack, monkeypatch: pytest.MonkeyPatch, reliability: Recorder
) -> None:
    # Given invitations out, one resent and one reminded (several links made, the latest ones valid)
    ids = [invite_sent(front, f"dump-{n}@example.org", user_type="basic") for n in range(3)]
    stack.clock.advance(3600)
    assert front.resend("u-arno", "acme", ids[0]).status == 200
    stack.clock.advance(3 * 24 * 3600)
    front.run_job()  # it answers 200 with its report (Api.run_job checks both)
    links = [t for n in range(3) for m_ in OUTBOX.to(f"dump-{n}@example.org") for t in TOKEN.findall(m_["text"])]
    # When every string of every table is tried as a link, and as the secret of every invitation's link
    dump = dump_tables(stack)
    found = set(strings(dump))
    candidates = found | {f"{i}.{s}" for i in ids for s in found if re.fullmatch(r"[A-Za-z0-9_-]{43}", s)}
    compared: list[int] = []
    real = invitations.hmac.compare_digest
    monkeypatch.setattr(invitations.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    opened = 0
    for candidate in candidates:
        opened += 1
        with pytest.raises(AcceptRefused) as refused:
            accepting.view(candidate)
        assert refused.value.code == "unknown_link", candidate
    reliability.hostile(opened)
    # Then nothing in the tables opens an invitation; the links themselves are not stored, only their hashes
    assert links and all(accepting.view(link) for link in links[-1:])
    for link in links:
        secret = link.split(".", 1)[1]
        assert link not in found and secret not in found
        assert len(secret) == 43  # 256 random bits, URL-safe base64
    last_link = TOKEN.findall(OUTBOX.to("dump-1@example.org")[0]["text"])[0]
    hashed = hashlib.sha256(last_link.split(".")[1].encode()).hexdigest()
    latest = repo.get_invitation(ids[1])
    assert latest is not None and hashed in (latest.token_hash, *latest.reminder_hashes)
    # and the secrets were compared in constant time
    assert compared
    assert len({link.split(".")[1] for link in links}) == len(links)  # every link its own secret


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Eve\r\nBcc: victim@example.org",
    "Mallory\nSubject: you won",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "' OR '1'='1' --",
]


@pytest.mark.reliability(kind="hostile")
def test_markup_and_line_breaks_in_names_are_escaped_in_pages_and_mails(
    front: Api, stack: Stack, reliability: Recorder
) -> None:
    for n, hostile in enumerate(HOSTILE_NAMES):
        # Given an inviter and an organization whose names are hostile, and an invitee named as hostilely
        repo.key_item(m.UserModel, "u-arno").update(actions=[m.UserModel.name.set(hostile)])
        repo.key_item(m.AccountModel, "acme").update(actions=[m.AccountModel.name.set(hostile)])
        email = f"named-{n}@example.org"
        reply = front.invite("u-arno", "acme", {"email": email, "first_name": hostile, "last_name": hostile})
        # Then the invite is refused for the names, or made with the names kept as data
        assert reply.status in (200, 400), reply.body
        if reply.status == 400:
            continue
        invitation_id = reply.json["results"][0]["invitation_id"]
        token = token_of(email)
        mail = OUTBOX.to(email)[-1]
        page = front.open_link(token)
        result = front.accept(token, lang="en")
        assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
        notice = OUTBOX.to("arno@acme.example")[-1]
        shown = front.json_call("GET", f"/accounts/acme/invitations/{invitation_id}", caller="u-arno")
        # Then no header carries a line break, no page or HTML mail carries the markup, only its escape
        for sent in (mail, notice):
            assert "\r" not in sent["subject"] and "\n" not in sent["subject"], sent["subject"]
            assert "Bcc:" not in sent["subject"].split(" ")[0]
        for html in (mail["html"], notice["html"], page.body, result.body):
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "onerror=alert" not in html or "&#34;&gt;&lt;img" in html or "&quot;&gt;&lt;img" in html
        assert page.status == 200 and result.status == 200
        assert shown.status == 200 and shown.headers["Content-Type"].startswith("application/json")
    reliability.hostile(len(HOSTILE_NAMES) * 5)


@pytest.mark.reliability(kind="hostile")
@pytest.mark.parametrize(
    "address",
    ["jan@devries.example\r\nBcc: victim@example.org", "<script>@example.org", '"><img@x.example', "a@b.c\n"],
)
def test_addresses_with_markup_or_line_breaks_are_refused(front: Api, reliability: Recorder, address: str) -> None:
    reply = front.invite("u-arno", "acme", {"email": address})
    reliability.hostile(1)
    # Then it is refused, or (a line break only at the end, which is trimmed) kept without any line break
    assert reply.status in (200, 400)
    result = reply.json["results"][0] if reply.status == 200 else {}
    if result.get("status") == "created":
        assert address.strip() == address.rstrip("\r\n") and "\n" not in result["email"]
        inv = repo.get_invitation(result["invitation_id"])
        assert inv is not None and inv.email == address.strip()
    else:
        assert reply.status == 400 or result == {"email": address, "status": "rejected", "reason": "invalid_email"}
    assert not OUTBOX.to(address)


@pytest.mark.reliability(kind="hostile")
def test_opening_the_link_over_http_in_every_way_a_scanner_does_changes_nothing(
    front: Api, stack: Stack, reliability: Recorder
) -> None:
    # Given Jan's invitation is out
    _invitation_id, token = invite_with_token(front, JAN)
    before = dump_tables(stack)
    # When mail scanners and previews fetch the link, with every header and parameter they send
    variants = [
        {},
        {"Accept": "application/json"},
        {"Purpose": "prefetch", "Sec-Purpose": "prefetch"},
        {"User-Agent": "Microsoft Office Existence Discovery"},
        {"Accept-Language": "nl"},
    ]
    answers = [front.call("GET", f"/invitations/accept?token={token}", headers=h) for h in variants]
    answers += [front.call("GET", f"/invitations/accept?token={token}&settlement=credit&lang=nl")]
    answers += [front.call("GET", f"/invitations/accept?token={token}&token=other")]
    reliability.hostile(len(answers))
    # Then each got the confirm page or a refusal, and not one item changed
    assert all(a.status < 500 for a in answers)
    assert dump_tables(stack) == before


class Capture(logging.Handler):
    """Every log record of our code and of Powertools, formatted as it would be written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record) + " " + str(record.__dict__))
        except Exception:  # noqa: BLE001
            self.lines.append(str(record.__dict__))


@pytest.mark.reliability(kind="hostile")
def test_logs_never_carry_a_token_a_task_token_or_an_address(
    front: Api, stack: Stack, capfd: pytest.CaptureFixture[str], reliability: Recorder
) -> None:
    capture = Capture()
    for fn in stack.functions.values():
        bridge.handler_for(fn)  # the functions' Powertools loggers exist (their handler comes first)
    powertools = logging.getLogger("paid-account-invites")
    assert powertools.handlers
    capture.setFormatter(powertools.handlers[0].formatter)
    loggers = [logging.getLogger(), powertools]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        # Given the whole story: invite, send, open, accept, settle, notify, a delivery event, a reminder,
        # a resend and a revoke, and an accept that is refused
        invitation_id, token = invite_with_token(front, JAN)
        task_tokens = {repo.get_invitation(invitation_id).task_token}  # type: ignore[union-attr]
        front.open_link(token)
        assert front.accept(token, "refund", lang="en").status == 200
        finished(stack, invitation_id)
        front.json_call("POST", "/_local/ses-events", {"type": "delivery", "recipient": JAN})
        other = invite_sent(front, "fleur@bakker.example", user_type="basic")
        task_tokens.add(repo.get_invitation(other).task_token)  # type: ignore[union-attr]
        stack.clock.advance(3 * 24 * 3600 + 60)
        front.run_job()
        assert front.resend("u-arno", "acme", other).status == 200
        fleur_links = [t for mail in OUTBOX.to("fleur@bakker.example") for t in TOKEN.findall(mail["text"])]
        assert front.revoke("u-arno", "acme", other).status == 200
        front.accept(fleur_links[-1], as_json=True)
        front.json_call("POST", "/_local/ses-events", {"type": "bounce", "recipient": "fleur@bakker.example"})
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
    out, err = capfd.readouterr()
    written = "\n".join([*capture.lines, out, err])
    secrets = {token, token.split(".")[1], *fleur_links, *(t.split(".")[1] for t in fleur_links)}
    secrets |= {t for t in task_tokens if t}
    addresses = {JAN, "fleur@bakker.example", "arno@acme.example"}
    reliability.hostile(len(secrets) + len(addresses))
    # Then not one link, secret, task token or full e-mail address was written to the logs
    assert capture.lines, "nothing was logged at all: the capture is broken"
    assert [s for s in secrets if s in written] == []
    assert [line for line in written.splitlines() if any(a in line for a in addresses)][:3] == []


TENANT_ROUTES = [
    ("GET", "/accounts/{acc}"),
    ("GET", "/accounts/{acc}/invitations"),
    ("GET", "/accounts/{acc}/invitations?status=accepted"),
    ("POST", "/accounts/{acc}/invitations"),
    ("GET", "/accounts/{acc}/invitations/{inv}"),
    ("POST", "/accounts/{acc}/invitations/{inv}/resend"),
    ("DELETE", "/accounts/{acc}/invitations/{inv}"),
]


@pytest.mark.reliability(kind="tenant")
def test_no_route_lets_one_organization_reach_the_other(front: Api, stack: Stack, reliability: Recorder) -> None:
    # Given both organizations have invitations, one accepted (so Acme has a ledger)
    ours = invite_sent(front, JAN)
    assert front.accept(token_of(JAN), "credit", as_json=True).status == 200
    finished(stack, ours)
    pending = invite_sent(front, "fleur@bakker.example", user_type="basic")
    theirs = invite_sent(front, "guest@example.org", caller="u-gwen", account="globex", user_type="basic")
    stack.clock.advance(3600)
    before = dump_tables(stack)
    answers = []
    # When Globex's owner and admin try every route on Acme's account and invitations, both as Acme's
    # paths and with Acme's invitations under their own account; and Acme's admin does the same to Globex
    attempts = [
        (caller, acc, inv)
        for caller in ("u-gwen", "u-gus")
        for acc, inv in (("acme", pending), ("acme", ours), ("globex", pending), ("globex", ours))
    ] + [("u-arno", "globex", theirs), ("u-arno", "acme", theirs), ("u-olga", "acme", theirs)]
    for caller, acc, inv in attempts:
        for method, path in TENANT_ROUTES:
            own = "globex" if caller in ("u-gwen", "u-gus") else "acme"
            if acc == own and "{inv}" not in path:
                continue  # their own account's routes are theirs
            body = {"invitees": [{"email": "x@example.org"}]} if method == "POST" and path.endswith("s") else None
            answer = front.json_call(method, path.format(acc=acc, inv=inv), body, caller=caller)
            answers.append((caller, method, path.format(acc=acc, inv=inv), answer))
    reliability.hostile(0)
    # Then every one of them is "not found", and nothing of the other tenant's shows or changed
    leaks = [(c, m_, p, a.status) for c, m_, p, a in answers if a.status != 404]
    assert leaks == []
    for _c, _m, _p, a in answers:
        assert "Acme" not in a.body and "Globex" not in a.body and "devries" not in a.body
    assert dump_tables(stack) == before
    # and a cursor of Acme's list does not page through Globex's
    page = front.json_call("GET", "/accounts/acme/invitations?limit=1", caller="u-arno").json
    if page.get("next_cursor"):
        crossed = front.json_call("GET", f"/accounts/globex/invitations?cursor={page['next_cursor']}", caller="u-gwen")
        assert crossed.status == 400
