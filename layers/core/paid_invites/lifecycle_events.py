"""The lifecycle events integrators receive: what happened to an invitation, and a member removed. Typed details.

Published on the service's bus (``SettlementBus``, source ``paid-account-invites``), detail-type = the class
name. Every detail carries a stable ``event_id``: the same occurrence published again (a replayed stream
record, a retried step) has the same id, so a consumer drops what it has seen.

Most invitation events are derived from the invitation's history (a stream of the invitations table, see
``usecases/lifecycle.py``): ``event_id`` = ``<invitation_id>:<kind>:<at>``. ``InvitationAccepted`` is the one
the settle step publishes once the acceptance is settled (``<invitation_id>:accepted``); ``MemberRemoved``
comes from the members use case.

No detail ever holds an invitation's link, token or token hash. Only pydantic: no AWS, no store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

UserType = Literal["basic", "licensed"]
Role = Literal["member", "admin"]

_AT = Field(description="when it happened: ISO 8601, UTC, seconds (`2026-12-07T16:15:26Z`)")


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
