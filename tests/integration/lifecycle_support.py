"""What the reminder, expiry and bounce tests share: invite and wait for the send, run the job, SES events."""

from __future__ import annotations

from typing import Any

from local import jobs
from local.stack import OUTBOX, Stack
from paid_invites.invitations import Invitation
from paid_invites.store import repository as repo

from ..support import Api, wait_for

DAY = 24 * 3600
ADMIN, ACCOUNT = "u-arno", "acme"  # Arno invites for Acme; he reads Dutch
JAN = "jan@devries.example"  # Dutch, pays for his own plan
FLEUR = "fleur@bakker.example"  # English, free account


def invite_sent(api: Api, email: str, caller: str = ADMIN, account: str = ACCOUNT, **fields: str) -> Invitation:
    """Invite one address and wait until the workflow has e-mailed it (its cadence starts at that send)."""
    reply = api.invite(caller, account, {"email": email, **fields})
    assert reply.status == 200, reply.body
    (result,) = reply.json["results"]
    assert result["status"] == "created", result
    return sent(str(result["invitation_id"]))


def sent(invitation_id: str) -> Invitation:
    def done() -> Invitation | None:
        inv = repo.get_invitation(invitation_id)
        return inv if inv is not None and inv.sent_at is not None else None

    found: Invitation = wait_for(done, what="the invitation e-mail to go out")
    return found


def run_job(stack: Stack) -> dict[str, Any]:
    """One run of the scheduled job, through RemindFunction's real handler (as EventBridge Scheduler calls it)."""
    return jobs.run_scheduled_job(stack)


def mails(address: str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the outbox holds for ``address`` (of one template ``kind``), oldest first."""
    return [m for m in OUTBOX.to(address) if kind is None or m["tags"].get("kind") == kind]


def ses(stack: Stack, kind: str, recipient: str, **options: Any) -> dict[str, Any]:
    """An SES event for the last mail to ``recipient``, delivered by "SNS" to EmailEventsFunction."""
    status, answer = jobs.inject_ses_event(stack, {"type": kind, "recipient": recipient, **options})
    assert status == 200, answer
    result: dict[str, Any] = answer["result"]
    return result


def events(invitation_id: str) -> list[str]:
    inv = repo.get_invitation(invitation_id)
    assert inv is not None
    return [e["event"] for e in inv.history]


def current(invitation_id: str) -> Invitation:
    inv = repo.get_invitation(invitation_id)
    assert inv is not None
    return inv
