"""Admin: remove a member from the organization; they get an individual account of their own again.

One transaction moves the user (a licensed member's license is free again) into a new individual account;
then the ``MemberRemoved`` event goes out. A retry of the same removal (the answer was lost, or the event
could not be published) finds it done: no second account, and the event is published until it is out, once.
"""

from __future__ import annotations

from dataclasses import replace

from .. import clock, events
from ..errors import Conflict, ServiceUnavailable, TransientError
from ..members import Removal, is_done, own_account, plan_removal
from ..store import members as store
from .access import managed_account

ATTEMPTS = 3
# Account ids to pass over when the derived one is taken: the user's removals counted anew after their item was
# written afresh (a platform UserChanged puts the whole user), so earlier removals' accounts hold the first ids.
MAX_SKIPS = 20
RETRY_AFTER_SECONDS = 5


def remove_member(caller_id: str | None, account_id: str, user_id: str) -> Removal:
    """Remove ``user_id`` from the organization (owner or admin only; the owner cannot be removed: 409; not a
    member: 404): the removal, done now or by an earlier try."""
    org = managed_account(caller_id, account_id)
    assert caller_id is not None  # managed_account refuses a request without one
    for _ in range(ATTEMPTS):
        member, previous = store.member(user_id) if len(user_id) <= 64 else (None, None)
        if is_done(member, org.id, previous):
            assert previous is not None
            return _published(previous)
        skip = 0
        while True:
            removal = plan_removal(member, org, previous, caller_id, clock.now(), skip)
            assert member is not None
            outcome = store.remove(member, removal, previous, own_account(member, removal, org.currency))
            if outcome != "id_taken" or skip >= MAX_SKIPS:
                break
            skip += 1  # an account of that id exists already: the next id
        if outcome == "removed":
            return _published(removal)
        if outcome != "moved":
            raise Conflict("the member cannot be removed now (their account data disagree)", code="not_removable")
    raise Conflict("the member changed while being removed; try again", code="member_changed")


def _published(removal: Removal) -> Removal:
    """Publish the removal's event unless it is out already (then mark it out); the removal."""
    if not removal.event_pending:
        return removal
    from ..lifecycle_events import MemberRemoved  # the lifecycle models: only a removal loads them (the admin API)

    detail = MemberRemoved(
        event_id=removal.event_id,
        account_id=removal.account_id,
        user_id=removal.user_id,
        user_type=removal.user_type,  # type: ignore[arg-type]
        role=removal.role,  # type: ignore[arg-type]
        by=removal.by,
        removed_at=clock.iso(removal.at),
    )
    try:
        events.publish([("MemberRemoved", detail.model_dump(mode="json"))])
    except TransientError as error:
        raise ServiceUnavailable(
            "the member is removed, but its event is not published yet: send the same request again",
            code="event_not_published",
            details={"retry_after_seconds": RETRY_AFTER_SECONDS},
        ) from error
    store.event_published(removal)
    return replace(removal, event_pending=False)
