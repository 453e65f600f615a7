"""An acceptance: what the accept committed and hands the workflow, and all that settling it reads. Pure.

It travels as JSON: the accept resumes the workflow with :meth:`Acceptance.to_json` (the SendTaskSuccess
output, which the state machine passes to its Settle step as ``acceptance``), and the settle task reads it
back with :meth:`Acceptance.from_json`. The scheduled sweep builds the same value from the invitation it
reads (:meth:`Acceptance.of`) when it resumes or settles an acceptance itself.

Before there is an acceptance there is a :func:`quote`: the fingerprint of the money the confirm page shows,
which the accept must find unchanged (the page's hidden ``quote`` field).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from . import clock
from .accounts import Account, SettlementOffer
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


QUOTE_LENGTH = 16  # hex characters of the fingerprint: 64 bits, plenty to tell two amounts of one account apart


def quote(offer: SettlementOffer | None, own_account: Account | None) -> str:
    """The fingerprint of the money the confirm page shows: what the accept must find unchanged to go ahead.

    It covers the facts the amount is computed from: the invitee's own subscription (amount, currency,
    interval, current period, payment method, status) and what the page offers (refund, credit, or nothing
    to pay back). Not the moment: the unused value shrinks every second, and the quote stays the same while
    it does. What the invitee accepts is therefore the subscription as quoted, prorated to the second they
    accept (``Acceptance.amount``, from the snapshot the accept keeps): never more than the page showed, and
    less only by the seconds between page and accept. Anything else that moves the amount (a renewal, a
    new price, a cancelled or a new subscription, a period that ended) changes the quote. No money involved
    (no own account, a free one, no active subscription): one quote for all of those.
    """
    if offer is None or own_account is None or own_account.subscription is None:
        facts: dict[str, Any] = {"money": None}
    else:
        sub = own_account.subscription
        facts = {
            "amount_minor": sub.amount_minor,
            "currency": sub.currency,
            "interval": sub.interval,
            "current_period_start": sub.current_period_start.isoformat(),
            "current_period_end": sub.current_period_end.isoformat(),
            "payment_method": sub.payment_method,
            "status": sub.status,
            "choices": list(offer.choices),
        }
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:QUOTE_LENGTH]


def quote_matches(shown: str | None, current: str, money: bool) -> bool:
    """Whether an accept may go ahead with the quote of the page it was sent from (``shown``). ``money``: the
    accept involves a paid subscription now, and then the quote is required: an accept that does not say
    which amount it saw is not taken as agreeing to any."""
    if not shown:
        return not money
    return hmac.compare_digest(shown, current)
