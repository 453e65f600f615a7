"""The invitation e-mail goes out once per invitation, and the item keeps the workflow's task token once.

Step Functions may deliver the send step again (a retry after a lost answer) with the same task token. The
invitation remembers whose e-mail went out by a mark of the token (``mailed_for``), not by a second copy of it:
the token is up to 2,048 characters, and every write of the item and of its index copies is billed by size.
"""

from __future__ import annotations

from local.stack import OUTBOX, Stack
from paid_invites.store import models as m
from paid_invites.usecases import delivery

from ..support import Api, current, invite_one, mail_to, recorded


def test_the_send_step_run_again_with_its_token_sends_nothing_more(api: Api, stack: Stack) -> None:
    # Given Jan's invitation, its e-mail sent
    invitation_id, task_token, sent = _sent_to_jan(api)
    # When the workflow's send step is delivered again with the same task token
    result = delivery.send_invitation(invitation_id, task_token)
    # Then it answers that the e-mail went out, and no second e-mail goes to Jan
    assert result == {"status": "already_sent"}
    assert len(OUTBOX.to("jan@devries.example")) == sent
    # and the item holds the token once: what marks the send is not a second copy of it
    mark = current(invitation_id).mailed_for
    assert mark and mark != task_token and len(mark) == 43


def test_an_item_that_kept_the_token_itself_is_still_taken_as_sent(api: Api, stack: Stack) -> None:
    # Given an invitation whose send was recorded with the task token itself (as items written earlier are)
    invitation_id, task_token, sent = _sent_to_jan(api)
    m.InvitationModel(id=invitation_id).update(actions=[m.InvitationModel.mailed_for.set(task_token)])
    # When the send step is delivered again with that token
    result = delivery.send_invitation(invitation_id, task_token)
    # Then nothing is sent again
    assert result == {"status": "already_sent"}
    assert len(OUTBOX.to("jan@devries.example")) == sent


def _sent_to_jan(api: Api) -> tuple[str, str, int]:
    """Jan's invitation, its e-mail sent: its id, the workflow's task token and the e-mails Jan has."""
    invitation_id = invite_one(api, "jan@devries.example")
    recorded(invitation_id)
    sent = len(mail_to("jan@devries.example"))
    task_token = current(invitation_id).task_token
    assert task_token
    return invitation_id, task_token, sent
