"""Execute one billing request in a billing system and publish its outcome (the Stripe bridge's use case).

The service publishes one request per ledger entry (``billing_events``); a bridge consumes them, moves the
money in the billing system behind :class:`BillingPort` and answers on the platform bus with the outcome
(``RefundCompleted``/``RefundFailed``, ``CreditApplied``/``CreditFailed``, ``SubscriptionCancelled``/
``SubscriptionCancellationFailed``). The port is all this module knows of the billing system: no SDK here.

Before any money moves, the request is checked against its ledger entry, the service's record of what is owed:
- no entry (not a request of this service): refused, nothing moves, the message ends in the dead-letter queue;
- an entry already answered (completed or failed) or a request of an earlier attempt: nothing moves, nothing
  is published (the outcome is already known);
- an attempt the ledger does not know yet: retried later (the ledger is written before the request goes out);
- amount, currency or accounts that differ from the entry: the request fails with the reason, nothing moves.
A redelivered request whose outcome is not applied yet reaches the port again: the port's own records (e.g. a
refund carrying the request's ledger entry) make the money move once whatever the deliveries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from .. import events
from ..billing_events import OUTCOMES, BillingRequest, parse_request
from ..billing_ids import OUTCOME_OF_KIND
from ..errors import TransientError
from ..ledger import REQUESTED, LedgerEntry

SOURCE = "paid-account-invites.billing-bridge"


@dataclass(frozen=True)
class Outcome:
    """What the billing system did with one request."""

    moved: bool  # the money moved (or the subscription is cancelled), now or by an earlier delivery
    external_id: str | None = None  # the billing system's id of what it did (a refund, a balance transaction)
    amount_minor: int | None = None
    reason: str | None = None  # why not, when not moved

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls(moved=False, reason=reason[:500])


class BillingPort(Protocol):
    """A billing system. Each method moves the money of one request at most once, whatever the number of
    calls with the same request; a problem worth retrying raises ``TransientError``, anything else is an
    ``Outcome`` with ``moved=False`` and the reason."""

    def cancel_subscription(self, request: BillingRequest) -> Outcome: ...

    def refund(self, request: BillingRequest) -> Outcome: ...

    def credit(self, request: BillingRequest) -> Outcome: ...


class RequestRefused(ValueError):
    """Not a billing request of this service (malformed, or no ledger entry of it): nothing to answer."""


@dataclass(frozen=True)
class Executed:
    request_id: str
    outcome: str | None  # the detail-type published, None when nothing was published
    skipped: str | None = None  # why nothing was done


LedgerLookup = Callable[[str, str], "LedgerEntry | None"]
Publish = Callable[[list[tuple[str, dict[str, Any]]], str], None]


def _publish_on_platform_bus(entries: list[tuple[str, dict[str, Any]]], bus: str) -> None:
    events.publish(entries, bus=bus, source=SOURCE)


def execute(
    detail_type: str,
    detail: Any,
    *,
    billing: BillingPort,
    entry_of: LedgerLookup,
    bus: str,
    publish: Publish = _publish_on_platform_bus,
) -> Executed:
    """Execute the request ``detail`` (of ``detail_type``) once and publish its outcome on ``bus``."""
    try:
        request = parse_request(detail_type, detail)
    except (KeyError, ValidationError) as error:
        raise RequestRefused(f"not a billing request: {detail_type}: {error}") from error
    entry = entry_of(request.invitation_id, request.kind)
    if entry is None:
        raise RequestRefused(f"{request.request_id}: no ledger entry")
    if entry.state != REQUESTED:
        return Executed(request.request_id, None, skipped=f"already answered ({entry.state})")
    if request.attempt < entry.attempt:
        return Executed(request.request_id, None, skipped=f"attempt {entry.attempt} supersedes it")
    if request.attempt > entry.attempt:
        raise TransientError(f"{request.request_id}: the ledger has attempt {entry.attempt}")

    mismatch = _mismatch(request, entry)
    if mismatch:
        outcome = Outcome.failed(f"the request does not match its ledger entry: {mismatch}")
    elif request.kind == "subscription_cancelled":
        outcome = billing.cancel_subscription(request)
    elif request.kind == "refund_requested":
        outcome = billing.refund(request)
    else:
        outcome = billing.credit(request)

    name = OUTCOME_OF_KIND[request.kind][0 if outcome.moved else 1]
    fields: dict[str, Any] = {
        "request_id": request.request_id,
        "invitation_id": request.invitation_id,
        "kind": request.kind,
        "external_id": outcome.external_id,
    }
    if request.kind != "subscription_cancelled":
        fields["amount_minor"] = request.amount_minor if outcome.amount_minor is None else outcome.amount_minor
        fields["currency"] = request.currency
    if not outcome.moved:
        fields["reason"] = outcome.reason or "the billing system did not say why"
    detail_out = OUTCOMES[name](**fields).model_dump(mode="json", exclude_none=True)
    publish([(name, detail_out)], bus)
    return Executed(request.request_id, name)


def _mismatch(request: BillingRequest, entry: LedgerEntry) -> str:
    differences = [
        f"{name} {mine!r} != {theirs!r}"
        for name, mine, theirs in (
            ("amount_minor", request.amount_minor, entry.amount_minor),
            ("currency", request.currency, entry.currency),
            ("account_id", request.account_id, entry.account_id),
            ("org_account_id", request.org_account_id, entry.org_account_id or request.org_account_id),
        )
        if mine != theirs
    ]
    return "; ".join(differences)
