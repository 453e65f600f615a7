"""Admin: withdraw an open invitation."""

from __future__ import annotations

from .. import clock, workflow
from ..errors import Conflict
from ..invitations import OPEN, REVOKED, Invitation
from ..store import repository as repo
from ..store import transactions as tx
from .access import own_invitation


def revoke(caller_id: str | None, account_id: str, invitation_id: str) -> Invitation:
    """Withdraw an open invitation: its license hold is released and its workflow ends now."""
    caller, inv = own_invitation(caller_id, account_id, invitation_id)
    if inv.status not in OPEN or not tx.close_pending(inv, REVOKED, caller.id, clock.now()):
        current = repo.get_invitation(inv.id) or inv
        raise Conflict(f"only a pending invitation can be revoked (this one is {current.status})", code="not_pending")
    if inv.task_token:
        workflow.fail(inv.task_token, "InvitationRevoked", f"revoked by {caller.id}")
    revoked = repo.get_invitation(inv.id)
    assert revoked is not None
    return revoked
