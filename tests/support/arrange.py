"""Arranging a test's world through the API and reading what it did: invite and wait for the send, the
e-mails in the outbox, the link in them, the invitation as stored.

The helpers that take an ``Api`` work over either transport; those that read the repository or the outbox
directly need the stack in this process (the integration, reliability and browser-page suites).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from local.client import wait_for
from local.stack import OUTBOX
from paid_invites import clock
from paid_invites.config import get_settings
from paid_invites.invitations import Invitation
from paid_invites.store import models as m
from paid_invites.store import repository as repo
from paid_invites.store import transactions as tx

from .client import Api, Reply
from .workflow import history

ADMIN, ACCOUNT = "u-arno", "acme"  # Arno Admin invites for Acme B.V. (the seed's organization); he reads Dutch
JAN = "jan@devries.example"  # Dutch, pays for his own plan
FLEUR = "fleur@bakker.example"  # English, free account
DAY = 24 * 3600
TOKEN = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{43}")
LINK_TOKEN = re.compile(r"token=(" + TOKEN.pattern + ")")
LINK = re.compile(r"https?://\S+/invitations/accept\?token=[^\s\"'<>]+")


# ---------------------------------------------------------------- inviting


def created(reply: Reply) -> str:
    """The id of the one invitation a request created (it must have been created)."""
    assert reply.status == 200, reply.body
    (result,) = reply.json["results"]
    assert result["status"] == "created", result
    return str(result["invitation_id"])


def invite_one(api: Api, email: str, caller: str = ADMIN, account: str = ACCOUNT, **fields: Any) -> str:
    """Invite one address (with the invitee's other ``fields``); its invitation's id."""
    return created(api.invite(caller, account, {"email": email, **fields}))


def invite_sent(api: Api, email: str, caller: str = ADMIN, account: str = ACCOUNT, **fields: Any) -> str:
    """Invite one address and wait until the workflow has e-mailed it and recorded the send (its cadence starts
    at that send); its invitation's id."""
    invitation_id = invite_one(api, email, caller, account, **fields)
    wait_for(
        lambda: api.invitation(caller, account, invitation_id).json.get("sent_at"),
        20.0,
        f"the invitation e-mail to {email} to be recorded",
    )
    return invitation_id


def invite_with_token(
    api: Api, email: str, caller: str = ADMIN, account: str = ACCOUNT, **fields: Any
) -> tuple[str, str]:
    """Invite one address and wait until its e-mail went out, the send is recorded and the workflow waits for
    the invitee: (its invitation's id, the accept token of its link). Needs the stack in this process."""
    invitation_id = invite_sent(api, email, caller, account, **fields)
    return invitation_id, invitation_token(email)


def recorded(*invitation_ids: str) -> None:
    """Wait until each invitation's e-mail is recorded (sent, or suppressed): its workflow then waits and writes
    nothing more. Needs the stack in this process."""
    for invitation_id in invitation_ids:
        wait_for(partial(mailed, invitation_id), 20.0, f"{invitation_id} sent")


def mailed(invitation_id: str) -> bool:
    """The invitation's e-mail is recorded (sent, or suppressed)."""
    inv = repo.get_invitation(invitation_id)
    return inv is not None and inv.mailed_for is not None


def close_invitation(invitation_id: str, status: str = "revoked", by: str = "u-olga") -> None:
    """Close a pending invitation (``revoked``, ``expired``) straight in the store, as the revoke or the expiry
    would: for a test of what follows. Needs the stack in this process."""
    assert tx.close_pending(current(invitation_id), status, by, clock.now()), f"{invitation_id} is not pending"


def set_account(account_id: str, **values: Any) -> None:
    """What billing or the account service changes meanwhile, written as they would: to the account's item."""
    repo.key_item(m.AccountModel, account_id).update(
        actions=[getattr(m.AccountModel, name).set(value) for name, value in values.items()]
    )


def current(invitation_id: str) -> Invitation:
    """The invitation as stored now."""
    inv = repo.get_invitation(invitation_id)
    assert inv is not None, invitation_id
    return inv


def events(invitation_id: str) -> list[str]:
    """The events of the invitation's history, oldest first."""
    return [e["event"] for e in current(invitation_id).history]


# ---------------------------------------------------------------- e-mails and their links


def mails(address: str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the outbox holds for ``address`` (of one template ``kind``), oldest first."""
    return [m for m in OUTBOX.to(address) if kind is None or m["tags"].get("kind") == kind]


def mail_to(address: str, count: int = 1, timeout: float = 15.0, kind: str | None = None) -> list[dict[str, Any]]:
    """The e-mails to ``address`` (of one ``kind``), once there are at least ``count`` of them."""
    found: list[dict[str, Any]] = wait_for(
        lambda: (sent := mails(address, kind)) and len(sent) >= count and sent, timeout, f"mail to {address}"
    )
    return found


def delivered(
    api: Api, address: str, kind: str | None = None, count: int = 1, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """The e-mails to ``address`` (of one ``kind``) in the stack's outbox, read through ``api`` (either transport),
    once there are at least ``count`` of them."""
    found: list[dict[str, Any]] = wait_for(
        lambda: (sent := api.outbox(address, kind)) and len(sent) >= count and sent,
        timeout,
        f"{count} {kind or 'e-mail'}(s) to {address}",
        every=0.1,
    )
    return found


def link_token(mail: dict[str, Any]) -> str:
    """The accept token in an e-mail's link."""
    found = LINK_TOKEN.search(mail["text"])
    assert found, mail["text"]
    return found.group(1)


def token_of(email: str, index: int = -1) -> str:
    """The accept token of an e-mail to ``email`` (the latest by default), once there is one."""
    return link_token(mail_to(email, timeout=20.0)[index])


def invitation_token(address: str) -> str:
    """The accept token in the latest invitation e-mail to ``address``, once the workflow that sent it has
    recorded the send (task_submitted)."""
    mail = mail_to(address)[-1]
    if mail["tags"].get("kind") == "invitation" and mail["tags"].get("invitation_id"):
        task_submitted(mail["tags"]["invitation_id"])
    return link_token(mail)


def invitation_link(api: Api, address: str) -> str:
    """The accept link of the latest invitation e-mail to ``address``, read from the stack's outbox."""

    def latest() -> str | None:
        found = LINK.search(delivered(api, address, "invitation")[-1]["text"])
        return found.group(0) if found else None

    return str(wait_for(latest, 20.0, f"the link in the invitation e-mail to {address}"))


def task_submitted(invitation_id: str, timeout: float = 20.0) -> None:
    """Wait until the invitation's e-mail task has returned and its workflow waits for the invitee (the
    execution's TaskSubmitted event): the send is recorded (sent_at, the "emailed" history entry, the
    reminder schedule) after the e-mail itself is out, so a test that acts on the e-mail alone races it."""
    machine = get_settings().state_machine_arn
    wait_for(
        lambda: any(e["type"] == "TaskSubmitted" for e in history(machine, invitation_id)),
        timeout,
        f"invitation {invitation_id}'s workflow to wait for the invitee",
    )
