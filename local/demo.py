"""The story of the product, told step by step against a local stack over HTTP.

    python -m local.demo [--url http://127.0.0.1:3000]

When nothing answers at --url, a local stack with the demo seed is started for the demo and stopped after.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from contextlib import nullcontext
from typing import Any

from paid_invites.formatting import money
from paid_invites.money import Money

from .client import Http
from .server import launched

ADMIN = "arno@acme.example"  # Arno Admin of Acme B.V. (see local/demo-seed.json)
PASSWORD = "Local-pass-1"  # noqa: S105 - every demo seed user's (the local stack's default, local/cognito.py)
PAID = "jan@devries.example"  # pays EUR 149.90 a year for his own plan
FREE = "fleur@bakker.example"  # has a free account


class Client(Http):
    """The demo's requests to the stack: JSON, or a form as the browser posts it."""

    def __init__(self, base: str) -> None:
        super().__init__(base.rstrip("/"))

    def request(
        self, method: str, path: str, body: Any = None, caller: str | None = None, form: bool = False
    ) -> tuple[int, str]:
        if form and body is not None:
            data = "&".join(f"{k}={v}" for k, v in body.items()).encode()
            headers = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
            answer = self.call(method, path, data, headers, caller)
        else:
            answer = self.json_call(method, path, body, caller)
        return answer.status, answer.body

    def sign_in(self, email: str) -> str:
        """An ID token for this person: moto's InitiateAuth through the local stack's ``/_local/sign-in``."""
        answer = self.json_call("POST", "/_local/sign-in", {"email": email, "password": PASSWORD})
        if answer.status != 200:
            raise RuntimeError(f"{email} could not sign in: {answer.status} {answer.body}")
        return str(json.loads(answer.body)["id_token"])

    def json(self, method: str, path: str, body: Any = None, caller: str | None = None) -> Any:
        status, text = self.request(method, path, body, caller)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {text}")
        return json.loads(text)


def up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base.rstrip("/") + "/_local/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def step(number: int, title: str) -> None:
    print(f"\n== {number}. {title}")


def wait_for_mail(api: Client, to: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [m for m in api.json("GET", "/_local/outbox") if m["to"] == to]
        if mails:
            return dict(mails[-1])
        time.sleep(0.2)
    raise RuntimeError(f"no e-mail reached {to}")


def link_of(mail: dict[str, Any]) -> tuple[str, str]:
    found = re.search(r"(https?://\S+/invitations/accept\?token=(\S+))", mail["text"])
    if not found:
        raise RuntimeError("the e-mail has no accept link")
    return found.group(1), found.group(2)


def tell(base: str) -> dict[str, Any]:
    """Run the story; returns what the last steps showed (the e2e test checks it)."""
    api = Client(base)
    step(0, "Arno signs in (Cognito in moto: a real ID token, POST /_local/sign-in)")
    admin = api.sign_in(ADMIN)
    step(1, f"Arno, admin of Acme B.V., invites {PAID} (pays for a plan of his own) and {FREE} (free)")
    invited = api.json(
        "POST",
        "/accounts/acme/invitations",
        {"invitees": [{"email": PAID, "user_type": "licensed"}, {"email": FREE, "user_type": "basic"}]},
        caller=admin,
    )
    for result in invited["results"]:
        print(f"   {result['email']}: {result['status']} {result.get('invitation_id') or result.get('reason')}")

    step(2, "The pending list")
    for inv in api.json("GET", "/accounts/acme/invitations?status=pending", caller=admin)["invitations"]:
        print(f"   {inv['email']:<24} {inv['status']:<8} {inv['user_type']:<9} expires {inv['expires_at']}")

    step(3, "The links in the e-mails (the local outbox)")
    links = {}
    for to in (PAID, FREE):
        mail = wait_for_mail(api, to)
        url, token = link_of(mail)
        links[to] = token
        print(f"   to {to}: “{mail['subject']}”\n     {url[:80]}…")

    step(4, f"{PAID} opens the link, signed in: the prorated value of his unused subscription, his two choices")
    anonymous, _page = api.request("GET", f"/invitations/accept?token={links[PAID]}")
    print(f"   not signed in: HTTP {anonymous} (the invitation without the money, and “Sign in to accept”)")
    jan = api.sign_in(PAID)
    page = api.json("GET", f"/invitations/accept?token={links[PAID]}", caller=jan)
    offer = page["offer"]
    print(f"   {page['inviter']} invites him to {page['organization']}")
    print(f"   unused part worth {money(Money(**offer['amount']), 'en')};")
    print(f"   choices: {', '.join(offer['choices'])} (refund to {offer['payment_method']})")

    step(5, f"{PAID} accepts, transferring the credit to Acme")
    status, _html = api.request(
        "POST",
        "/invitations/accept",
        {"token": links[PAID], "settlement": "credit", "quote": page["quote"]},
        caller=jan,
        form=True,
    )
    print(f"   result page: HTTP {status}")

    step(6, f"{FREE} accepts: nothing to settle")
    fleur = api.sign_in(FREE)
    status, _html = api.request("POST", "/invitations/accept", {"token": links[FREE]}, caller=fleur, form=True)
    print(f"   result page: HTTP {status}")

    step(7, "The account summary and the ledger, once the workflows have settled")
    deadline = time.monotonic() + 20
    summary = api.json("GET", "/accounts/acme", caller=admin)
    while len(summary["ledger"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        summary = api.json("GET", "/accounts/acme", caller=admin)
    lic = summary["licenses"]
    print(f"   licenses: {lic['total']} total, {lic['used']} used, {lic['held_by_pending']} held by pending")
    print(f"   balance due: {money(Money(**summary['balance_due']), 'en')} (what Acme owes)")
    print(f"   credit:      {money(Money(**summary['credit']), 'en')} (kept apart from the balance)")
    for entry in summary["ledger"]:
        amount = money(Money(entry["amount_minor"], entry["currency"]), "en")
        print(f"   ledger: {entry['kind']:<24} {amount:>10}  ({entry['account_id']})")
    # each workflow announces its own acceptance once settled; the free invitee's books nothing in the ledger
    # above, so read the bus (drained as it is read) until both are on it
    events = api.json("GET", "/_local/events")
    while sum(e["detail-type"] == "InvitationAccepted" for e in events) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        events += api.json("GET", "/_local/events")
    for event in events:
        print(f"   event:  {event['detail-type']} {json.dumps(event['detail'], sort_keys=True)[:90]}")
    return {"invited": invited, "summary": summary, "events": events}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    args = parser.parse_args(argv)
    running = up(args.url)
    if not running:
        print(f"(no local stack at {args.url}: starting one with the demo seed for this demo)")
    with nullcontext(args.url) if running else launched() as base:
        print(f"local stack: {base}")
        tell(base)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
