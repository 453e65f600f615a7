"""The settlement's state in the store: an invitation's ledger entries, billing's answers to them and an
operator's new request of a failed one.

Every change is one transaction over the entry (conditional on its state and attempt: an answer applies
once, a retry requests a failed entry once) and the invitation (conditional on its ``settlement_version``,
so two answers to two entries of one invitation at once cannot leave it in a state neither computed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..errors import TransientError
from ..invitations import Invitation
from ..ledger import COMPLETED, FAILED, REQUESTED, LedgerEntry
from ..settlement import Answer
from . import models as m
from .mapping import DUE_SHARD, to_entry
from .repository import Tx, TxCancelled, get_invitation, key_item, log, update_if

L = m.LedgerModel
INV = m.InvitationModel
ATTEMPTS = 5  # re-reads when another change of the same invitation's settlement came first


def entries_of(invitation_id: str) -> list[LedgerEntry]:
    """The invitation's ledger entries (strongly consistent)."""
    m.bind()
    return [to_entry(item) for item in L.query(invitation_id, consistent_read=True)]


@dataclass(frozen=True)
class Snapshot:
    """An invitation and its entries, read together for one change of its settlement."""

    invitation: Invitation
    entries: list[LedgerEntry]

    def entry(self, kind: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.kind == kind), None)


def snapshot(invitation_id: str) -> Snapshot | None:
    inv = get_invitation(invitation_id)
    return None if inv is None else Snapshot(inv, entries_of(invitation_id))


def _version_is(inv: Invitation) -> Any:
    version = inv.settlement_version
    return INV.settlement_version.does_not_exist() if version is None else INV.settlement_version == version


def _invitation_actions(
    inv: Invitation, state: str, failure: str | None, waiting: bool, answer_due: datetime | None
) -> list[Any]:
    """Set the invitation's settlement state, and its due moment once it is marked settled: due for the
    unanswered-requests check while an entry waits (``answer_due`` when given), not due when none does."""
    actions: list[Any] = [
        INV.settlement_state.set(state),
        INV.settlement_failure.set(failure) if failure else INV.settlement_failure.remove(),
        INV.settlement_version.set((inv.settlement_version or 0) + 1),
    ]
    if inv.settled_at is not None:
        if waiting and answer_due is not None:
            actions += [INV.due_shard.set(DUE_SHARD), INV.due_at.set(answer_due)]
        elif not waiting:
            actions += [INV.due_shard.remove(), INV.due_at.remove()]
    return actions


def apply_answer(
    snap: Snapshot,
    answer: Answer,
    state: str,
    failure: str | None,
    waiting: bool,
    credit_minor: int = 0,
    was: str = REQUESTED,
) -> None:
    """Apply one outcome to its entry (``was`` in ``answer.attempt``: requested, or failed for a success that
    overrides the failure), set the invitation's new ``state`` and raise the organization's credit by
    ``credit_minor``, all at once. ``Conflict`` (nothing changed) when the entry or the invitation moved since
    they were read: read them again and judge again."""
    inv = snap.invitation
    entry_actions: list[Any] = [
        L.state.set(COMPLETED if answer.succeeded else FAILED),
        L.answered_at.set(answer.at),
        L.failure.set(answer.reason) if not answer.succeeded and answer.reason else L.failure.remove(),
    ]
    if answer.external_id:
        entry_actions.append(L.external_id.set(answer.external_id))
    tx = Tx()
    tx.update(
        "entry",
        key_item(L, answer.invitation_id, answer.kind),
        entry_actions,
        (L.state == was) & (L.attempt == answer.attempt),
    )
    event = "settlement_completed" if answer.succeeded else "settlement_failed"
    tx.update(
        "invitation",
        key_item(INV, inv.id),
        [
            *_invitation_actions(inv, state, failure, waiting, None),
            log(event, "billing", answer.at, entry=answer.kind, attempt=str(answer.attempt)),
        ],
        _version_is(inv),
    )
    if credit_minor:
        org = next(e.org_account_id for e in snap.entries if e.kind == answer.kind)
        tx.update("org", key_item(m.AccountModel, org), [m.AccountModel.credit_minor.add(credit_minor)])
    _commit(tx)


def request_again(
    snap: Snapshot, entries: list[LedgerEntry], state: str, at: datetime, answer_due: datetime, actor: str
) -> None:
    """Request ``entries`` (failed ones, each in its next attempt) again, and set the invitation's new state.
    Each only while it is still failed in the attempt before: never a completed entry, never one attempt
    twice. ``Conflict`` (nothing changed) when another retry, an answer or another change of the invitation came
    first: read them again (what is still failed then is requested)."""
    inv = snap.invitation
    tx = Tx()
    for e in entries:
        tx.update(
            f"entry:{e.kind}",
            key_item(L, e.invitation_id, e.kind),
            [
                L.state.set(REQUESTED),
                L.attempt.set(e.attempt),
                L.requested_at.set(at),
                L.answered_at.remove(),
                L.failure.remove(),
                L.external_id.remove(),
            ],
            (L.state == FAILED) & (L.attempt == e.attempt - 1),
        )
    tx.update(
        "invitation",
        key_item(INV, inv.id),
        [
            *_invitation_actions(inv, state, None, True, answer_due),
            log("settlement_requested", actor, at, kinds=",".join(e.kind for e in entries)),
        ],
        _version_is(inv),
    )
    _commit(tx)


def reschedule_unanswered(invitation_id: str, read_due: datetime, due_at: datetime) -> bool:
    """Move the due moment of an invitation whose requests wait for their answers (the sweep reported them),
    only while it is as the sweep read it."""
    return update_if(
        key_item(INV, invitation_id),
        [INV.due_at.set(due_at)],
        INV.settled_at.exists() & (INV.due_at == read_due),
    )


def drop_due(invitation_id: str) -> bool:
    """No longer due: none of its requests waits (answered since the sweep's query)."""
    return update_if(
        key_item(INV, invitation_id),
        [INV.due_at.remove(), INV.due_shard.remove()],
        INV.settled_at.exists() & (INV.settlement_state != REQUESTED),
    )


class Conflict(Exception):
    """The invitation's settlement changed since it was read: read again and retry."""


def _commit(tx: Tx) -> None:
    """Commit; ``Conflict`` when an entry or the invitation is no longer as read."""
    try:
        tx.commit()
    except TxCancelled as cancelled:
        if "invitation" in cancelled.failed or any(label.startswith("entry") for label in cancelled.failed):
            raise Conflict() from cancelled
        raise


T = TypeVar("T")


def retrying(change: Callable[[], T]) -> T:
    """Run ``change`` (which reads, then writes) again while it meets a ``Conflict``, a few times."""
    for _ in range(ATTEMPTS - 1):
        try:
            return change()
        except Conflict:
            continue
    try:
        return change()
    except Conflict as error:
        raise TransientError("the invitation's settlement kept changing: try again") from error
