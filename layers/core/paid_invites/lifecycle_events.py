"""The lifecycle events integrators receive: what happened to an invitation, and a member removed. Typed details.

Published on the service's bus (``SettlementBus``, source ``paid-account-invites``), detail-type = the class
name. Every detail carries a stable ``event_id``: the same occurrence published again (a replayed stream
record, a retried step) has the same id, so a consumer drops what it has seen.

Most invitation events are derived from the invitation's history (``history_events``: what one write of an
invitation added to it; the invitations table's stream feeds them, ``usecases/lifecycle.py``), with
``event_id`` = ``<invitation_id>:<kind>:<at>``. ``InvitationAccepted`` is the one the settle step publishes
once the acceptance is settled (``<invitation_id>:accepted``); ``MemberRemoved`` comes from the members use
case.

No detail ever holds an invitation's link, token or token hash. Pure: pydantic, no AWS, no store.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .clock import iso

if TYPE_CHECKING:
    from .invitations import Invitation

UserType = Literal["basic", "licensed"]
Role = Literal["member", "admin"]

_AT = Field(description="when it happened: ISO 8601, UTC, seconds (`2026-12-07T16:15:26Z`)")


class _Detail(BaseModel):
    # each model's validator and serializer are built on first use: a cold start builds the ones its records need
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def lifecycle_event_id(invitation_id: str, kind: str, at: str) -> str:
    """The stable id of one history entry's event."""
    return f"{invitation_id}:{kind}:{at}"


class InvitationEvent(_Detail):
    """What every invitation event (but ``InvitationAccepted``) carries."""

    event_id: str = Field(description="stable: `<invitation_id>:<kind>:<occurred_at>`; the same event again has it")
    invitation_id: str
    account_id: str = Field(description="the organization that invited")
    email: str = Field(description="the invitee's address (lower case)")
    occurred_at: str = _AT


class InvitationCreated(InvitationEvent):
    """An admin invited an address; its e-mail follows (``InvitationEmailed``)."""

    user_type: UserType
    role: Role
    inviter_id: str = Field(description="the user who invited")
    expires_at: str = Field(description="when the invitation's link stops working unless it is resent")


class InvitationEmailed(InvitationEvent):
    """The invitation's e-mail went out (the first send, or a resend's)."""

    message_id: str | None = Field(None, description="the mail service's message id, if known")
    expires_at: str = Field(description="when the link in this e-mail stops working")


class InvitationResent(InvitationEvent):
    """An admin sent the invitation again: a new link (the previous one stops working) and a new lifetime."""

    by: str = Field(description="the user who resent it")
    expires_at: str = Field(description="the new end of the invitation's lifetime")


class InvitationRevoked(InvitationEvent):
    """An admin withdrew the invitation: its link stops working."""

    by: str = Field(description="the user who revoked it")


class InvitationExpired(InvitationEvent):
    """Nobody accepted the invitation within its lifetime."""


class InvitationBounced(InvitationEvent):
    """The address could not receive the invitation's e-mail; an admin may resend (after fixing) or revoke."""

    reason: str | None = Field(None, description="the mail service's reason, when it gives one")


class InvitationAccepted(_Detail):
    """The invitee accepted and the acceptance is settled: the user is a member of the organization.

    Published by the settle step (not from the history), once per invitation."""

    event_id: str = Field(description="stable: `<invitation_id>:accepted`")
    invitation_id: str
    user_id: str | None = Field(description="the invitee's user id")
    from_account_id: str | None = Field(description="the invitee's own account, closed by the accept (if any)")
    to_account_id: str = Field(description="the organization the invitee joined")
    user_type: UserType
    role: Role


class MemberRemoved(_Detail):
    """An admin removed a member from the organization."""

    event_id: str = Field(description="stable: `<account_id>:<user_id>:removed:<removed_at>`")
    account_id: str = Field(description="the organization")
    user_id: str = Field(description="the member removed")
    user_type: UserType
    role: Role
    by: str = Field(description="the user who removed the member")
    removed_at: str = _AT


# History entry kind -> the event it publishes (the kinds the stream maps; the rest stay internal).
BY_KIND: dict[str, type[InvitationEvent]] = {
    "created": InvitationCreated,
    "emailed": InvitationEmailed,
    "resent": InvitationResent,
    "revoked": InvitationRevoked,
    "expired": InvitationExpired,
    "bounced": InvitationBounced,
}

PUBLISHED: list[type[BaseModel]] = [
    InvitationCreated,
    InvitationEmailed,
    InvitationResent,
    InvitationRevoked,
    InvitationExpired,
    InvitationBounced,
    InvitationAccepted,
    MemberRemoved,
]


def parse(detail_type: str, detail: dict[str, Any]) -> BaseModel:
    """The typed detail of a lifecycle event; ``KeyError`` for another detail-type, pydantic's error when
    the detail does not match."""
    model = {m.__name__: m for m in PUBLISHED}[detail_type]
    return model.model_validate(detail)


Event = tuple[str, dict[str, Any]]  # (detail-type, detail)


def _key(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (str(entry.get("event", "")), str(entry.get("at", "")), str(entry.get("by", "")))


def added_entries(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history entries a write added, oldest first. An entry is known by (kind, at, actor), not by its
    place: trimming a long history drops entries from its middle."""
    seen = Counter(_key(e) for e in before)
    added = []
    for entry in after:
        key = _key(entry)
        if seen[key]:
            seen[key] -= 1
        else:
            added.append(entry)
    return added


def history_events(before: Invitation | None, after: Invitation) -> list[Event]:
    """The lifecycle events of what one write of an invitation added to its history (``before`` is None for
    the write that created it). The same write mapped again gives the same events with the same ids."""
    added = added_entries(before.history if before else [], after.history)
    return [_event(entry, after) for entry in added if entry.get("event") in BY_KIND]


def _event(entry: dict[str, Any], inv: Invitation) -> Event:
    kind, at = str(entry["event"]), str(entry.get("at", ""))
    common: dict[str, Any] = {
        "event_id": lifecycle_event_id(inv.id, kind, at),
        "invitation_id": inv.id,
        "account_id": inv.account_id,
        "email": inv.email,
        "occurred_at": at,
    }
    specific: dict[str, dict[str, Any]] = {
        "created": {
            "user_type": inv.user_type,
            "role": inv.role,
            "inviter_id": inv.inviter_id,
            "expires_at": iso(inv.expires_at),
        },
        "emailed": {"message_id": entry.get("message_id") or None, "expires_at": iso(inv.expires_at)},
        "resent": {"by": entry.get("by", ""), "expires_at": iso(inv.expires_at)},
        "revoked": {"by": entry.get("by", "")},
        "expired": {},
        "bounced": {"reason": entry.get("reason") or None},
    }
    model = BY_KIND[kind]
    detail = model(**common, **specific[kind]).model_dump(mode="json")
    return model.__name__, detail
