"""The local console: static files at ``/`` and ``/console/*``, and the local-only endpoints it needs.

Local stack only, never deployed. ``handle`` answers what belongs to the console and returns None
for everything else, so that ``local/server.py`` passes the request on to the API as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

HERE = Path(__file__).resolve().parent
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
_CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# An e-mail shown in the mailbox: its own inline styles, nothing else; a sandbox whose links may only
# navigate the console's tab (on a click), so that a person follows an invitation link as from a mail client.
_MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'self'; "
    "sandbox allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox"
)
_COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
_MAIL_HTML = re.compile(r"^/_local/outbox/(\d{1,6})/html$")

Reply = tuple[int, bytes, dict[str, str]]


def handle(method: str, path: str, query: str) -> Reply | None:
    if method != "GET":
        return None
    if path in ("/", "/console", "/console/"):
        return _file("index.html")
    if path.startswith("/console/"):
        return _file(path.removeprefix("/console/"))
    if path == "/_local/users":
        account = (parse_qs(query).get("account_id") or [None])[0]
        return _json(200, users(account))
    found = _MAIL_HTML.match(path)
    if found:
        return _mail_html(int(found.group(1)))
    return None


def _json(status: int, value: Any) -> Reply:
    return status, json.dumps(value, indent=1).encode(), {"Content-Type": "application/json", **_COMMON}


def _file(name: str) -> Reply:
    target = (HERE / name).resolve()
    if target.parent != HERE or target.suffix not in TYPES or not target.is_file():
        return 404, b"not found", {"Content-Type": "text/plain; charset=utf-8", **_COMMON}
    headers = {"Content-Type": TYPES[target.suffix], "X-Frame-Options": "DENY", **_COMMON}
    if target.suffix == ".html":
        headers["Content-Security-Policy"] = _CONSOLE_CSP
    return 200, target.read_bytes(), headers


def users(account_id: str | None = None) -> list[dict[str, Any]]:
    """Every platform user (or an account's users), with their account's name: the console's sign-in list
    (whom to sign in as, before anyone is signed in). Read from the tables directly; the console's Users tab
    lists an organization's members through the API (``GET /accounts/{id}/members``)."""
    from paid_invites.store import models

    models.bind()
    accounts = {a.id: a for a in models.AccountModel.scan()}
    found = []
    for user in models.UserModel.scan(models.UserModel.email.exists()):
        if account_id and user.account_id != account_id:
            continue
        account = accounts.get(user.account_id)
        found.append(
            {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "language": user.language,
                "role": user.role,
                "user_type": user.user_type,
                "account_id": user.account_id,
                "account_name": account.name if account else "",
                "account_type": account.type if account else "",
                "account_status": account.status if account else "",
            }
        )
    order = {"owner": 0, "admin": 1}
    return sorted(found, key=lambda u: (u["account_name"], order.get(u["role"], 2), u["name"], u["email"]))


def _mail_html(index: int) -> Reply:
    from local.stack import OUTBOX

    with OUTBOX.lock:
        message = OUTBOX.messages[index] if index < len(OUTBOX.messages) else None
    if message is None:
        return 404, b"no such message", {"Content-Type": "text/plain; charset=utf-8", **_COMMON}
    html = str(message.get("html") or "")
    base = '<base target="_top">'
    html = html.replace("<head>", "<head>" + base, 1) if "<head>" in html else base + html
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": _MAIL_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        **_COMMON,
    }
    return 200, html.encode(), headers
