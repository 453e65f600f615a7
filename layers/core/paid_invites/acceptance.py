"""An acceptance: what the accept committed and hands the workflow, and all that settling it reads. Pure.

It travels as JSON: the accept resumes the workflow with :meth:`Acceptance.to_json` (the SendTaskSuccess
output, which the state machine passes to its Settle step as ``acceptance``), and the settle task reads it
back with :meth:`Acceptance.from_json`. The scheduled sweep builds the same value from the invitation it
reads (:meth:`Acceptance.of`) when it resumes or settles an acceptance itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from . import clock
from .fields import same_named
from .invitations import ACCEPTED, Invitation
from .money import Money
from .proration import Subscription, unused_value


@dataclass(frozen=True)
class Acceptance:
    invitation_id: str
    account_id: str  # the organization the invitee joined
    user_type: str
    role: str
    accepted_at: datetime
    settlement: str = "none"  # "none" | "refund" | "credit"
    settle_due: bool = False  # the invitee's own paid subscription ends: money to settle
    invitee_user_id: str | None = None
    invitee_account_id: str | None = None  # the invitee's own account (closed by the accept)
    subscription: Subscription | None = None  # that account's subscription, as it was at the accept

    @classmethod
    def of(cls, inv: Invitation) -> Acceptance:
        """The acceptance an accepted invitation holds."""
        if inv.status != ACCEPTED or inv.accepted_at is None:
            raise ValueError(f"invitation {inv.id} is not accepted")
        kept = [name for name in cls.__dataclass_fields__ if name not in ("invitation_id", "settlement")]
        return cls(**same_named(inv, kept), invitation_id=inv.id, settlement=inv.settlement or "none")

    @property
    def amount(self) -> Money | None:
        """The unused part of the invitee's own subscription at the accept (refunded or credited), if any."""
        return unused_value(self.subscription, self.accepted_at) if self.subscription else None

    @property
    def refund(self) -> Money | None:
        return self.amount if self.settlement == "refund" and self.amount else None

    @property
    def credit(self) -> Money | None:
        return self.amount if self.settlement == "credit" and self.amount else None

    def to_json(self) -> dict[str, Any]:
        sub = self.subscription
        return {
            **asdict(self),
            "accepted_at": self.accepted_at.isoformat(),
            "subscription": None
            if sub is None
            else {
                **asdict(sub),
                "current_period_start": sub.current_period_start.isoformat(),
                "current_period_end": sub.current_period_end.isoformat(),
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Acceptance:
        """The acceptance :meth:`to_json` wrote; a missing or mistyped field raises ``ValueError``."""
        try:
            raw = data.get("subscription")
            sub = None
            if raw:
                sub = Subscription(
                    amount_minor=int(raw["amount_minor"]),
                    currency=str(raw["currency"]),
                    interval=str(raw["interval"]),
                    current_period_start=clock.parse(raw["current_period_start"]),
                    current_period_end=clock.parse(raw["current_period_end"]),
                    payment_method=str(raw["payment_method"]),
                    status=str(raw["status"]),
                    external_id=_optional(raw.get("external_id")),
                )
            return cls(
                invitation_id=str(data["invitation_id"]),
                account_id=str(data["account_id"]),
                user_type=str(data["user_type"]),
                role=str(data["role"]),
                accepted_at=clock.parse(data["accepted_at"]),
                settlement=str(data["settlement"]),
                settle_due=bool(data["settle_due"]),
                invitee_user_id=_optional(data["invitee_user_id"]),
                invitee_account_id=_optional(data["invitee_account_id"]),
                subscription=sub,
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not an acceptance: {error!r}") from error


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)
