"""Ingestion: one event of the platform applied to the directory and billing facts the service decides from.

The platform owns accounts, users, subscriptions and invoices (``platform_events``); this keeps the
service's copy of them true. Each event is applied at most once and in version order per entity (older
and repeated ones change nothing), with the accounts' counters (members, licenses, balance due) moved in
the same transaction. A user, subscription or invoice of an account not known yet is a ``TransientError``
(its account's event is on its way: the event is retried); an e-mail address another user has is a
``MalformedPlatformEvent`` (nothing applied).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..platform_events import (
    AccountChanged,
    AccountRemoved,
    AnyPlatformEvent,
    InvoiceChanged,
    InvoiceRemoved,
    SubscriptionChanged,
    UserChanged,
    UserRemoved,
)
from ..store import directory


@dataclass(frozen=True)
class Ingested:
    detail_type: str
    key: str  # the entity's id (an account's for a subscription)
    version: int
    outcome: str  # "applied" | "ignored" (an older or the same version: nothing changed)

    @property
    def applied(self) -> bool:
        return self.outcome == directory.APPLIED


def ingest(event: AnyPlatformEvent) -> Ingested:
    """Apply one typed platform event."""
    if isinstance(event, AccountChanged):
        key, outcome = event.id, directory.apply_account(event)
    elif isinstance(event, AccountRemoved):
        key, outcome = event.id, directory.remove_account(event)
    elif isinstance(event, UserChanged):
        key, outcome = event.id, directory.apply_user(event)
    elif isinstance(event, UserRemoved):
        key, outcome = event.id, directory.remove_user(event)
    elif isinstance(event, SubscriptionChanged):
        key, outcome = event.account_id, directory.apply_subscription(event)
    elif isinstance(event, InvoiceChanged):
        key, outcome = event.id, directory.apply_invoice(event)
    elif isinstance(event, InvoiceRemoved):
        key, outcome = event.id, directory.remove_invoice(event)
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"not a platform event: {type(event).__name__}")
    return Ingested(event.detail_type, key, event.version, outcome)
