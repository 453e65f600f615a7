"""The directory and billing facts the platform's events set: accounts, users, subscriptions, invoices.

Every write is versioned and idempotent. An item keeps the ``version`` of the event that last set it; an
event applies only while the item has none or an older one (``attribute_not_exists(version) OR version <
:v``), so an older event never overwrites newer state and the same event again changes nothing. Removals
leave a tombstone with their version (an account or invoice item in status ``removed``; for a user, a
``removed#<id>`` item of the users table), so that an older Changed event does not bring the entity back.

The account's derived counters change in the same TransactWriteItems as the fact they follow from, on the
condition that they are still what was read (an accept or an invite may move them meanwhile: then the
event is read and applied again): members and licenses in use from the users, licenses free from the
licenses bought less those in use and held for invitations, the balance due from the open invoices.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..errors import MalformedPlatformEvent, TransientError
from ..platform_events import (
    AccountChanged,
    AccountRemoved,
    InvoiceChanged,
    InvoiceRemoved,
    SubscriptionChanged,
    UserChanged,
    UserRemoved,
)
from . import models as m
from .repository import Tx, TxCancelled, key_item, read_many

APPLIED = "applied"
IGNORED = "ignored"  # an older version than the one applied, or the same one again: nothing changed
REMOVED = "removed"  # the status of an account's or invoice's tombstone
OPEN = "open"
NO_CURRENCY = "XXX"  # ISO 4217's "no currency", on the tombstone of something never seen
ATTEMPTS = 6


def _fresh(attribute: Any, version: int) -> Any:
    """The item holds no version yet, or an older one than ``version``."""
    return attribute.does_not_exist() | (attribute < version)


def _retrying(label: str, attempt: Callable[[], str]) -> str:
    """Run ``attempt`` (read, decide, one conditional transaction) until its conditions hold; each run reads
    again. Conditions that keep failing (a busy account) are a ``TransientError``: the event is retried."""
    for n in range(ATTEMPTS):
        try:
            return attempt()
        except TxCancelled as cancelled:
            if n == ATTEMPTS - 1:
                raise TransientError(f"{label}: what was read kept changing ({cancelled})") from cancelled
            time.sleep(0.01 * 2**n)
    raise AssertionError("unreachable")


def _unknown_account(account_id: str) -> TransientError:
    # Events of different entities may arrive in any order: the account's own event is on its way.
    return TransientError(f"account {account_id} is not known yet")


# ---------------------------------------------------------------- counters


def _licenses(acc: m.AccountModel) -> int:
    if acc.licenses is not None:
        return int(acc.licenses)
    return int(acc.licenses_free) + int(acc.licenses_used) + int(acc.licenses_held)


def _as_read(acc: m.AccountModel) -> Any:
    """The account's counters are still the ones read."""
    model = m.AccountModel
    return (
        (model.members_count == int(acc.members_count))
        & (model.licenses_used == int(acc.licenses_used))
        & (model.licenses_held == int(acc.licenses_held))
        & (model.licenses_free == int(acc.licenses_free))
    )


def _recount(tx: Tx, label: str, acc: m.AccountModel, members: int = 0, used: int = 0) -> None:
    """Members and licenses in use change by these amounts; the free licenses follow (never below 0)."""
    model = m.AccountModel
    new_used = max(int(acc.licenses_used) + used, 0)
    free = max(_licenses(acc) - new_used - int(acc.licenses_held), 0)
    tx.update(
        label,
        key_item(model, acc.id),
        [
            model.members_count.set(max(int(acc.members_count) + members, 0)),
            model.licenses_used.set(new_used),
            model.licenses_free.set(free),
        ],
        _as_read(acc),
    )


# ---------------------------------------------------------------- accounts


def apply_account(event: AccountChanged) -> str:
    def attempt() -> str:
        (acc,) = read_many([(m.AccountModel, event.id)])
        if acc is not None and (acc.version or 0) >= event.version:
            return IGNORED
        model = m.AccountModel
        tx = Tx()
        if acc is None:
            item = model(
                id=event.id,
                name=event.name,
                type=event.type,
                plan=event.plan,
                status=event.status,
                currency=event.currency,
                licenses=event.licenses,
                licenses_free=event.licenses,
                licenses_used=0,
                licenses_held=0,
                credit_minor=0,
                balance_due_minor=0,
                members_count=0,
                invitations_pending=0,
                billing_customer_id=event.billing_customer_id,
                version=event.version,
            )
            tx.put("account", item, model.id.does_not_exist())
        else:
            used, held = int(acc.licenses_used), int(acc.licenses_held)
            customer = event.billing_customer_id
            tx.update(
                "account",
                key_item(model, event.id),
                [
                    model.name.set(event.name),
                    model.type.set(event.type),
                    model.plan.set(event.plan),
                    model.status.set(event.status),
                    model.currency.set(event.currency),
                    model.licenses.set(event.licenses),
                    model.licenses_free.set(max(event.licenses - used - held, 0)),
                    model.billing_customer_id.set(customer) if customer else model.billing_customer_id.remove(),
                    model.version.set(event.version),
                ],
                _fresh(model.version, event.version) & (model.licenses_used == used) & (model.licenses_held == held),
            )
        tx.commit()
        return APPLIED

    return _retrying(f"account {event.id}", attempt)


def remove_account(event: AccountRemoved) -> str:
    """The account stays as a tombstone in status ``removed`` (its counters and credit kept): no one can
    invite into it or join from it, and an older AccountChanged does not reopen it."""

    def attempt() -> str:
        (acc,) = read_many([(m.AccountModel, event.id)])
        if acc is not None and (acc.version or 0) >= event.version:
            return IGNORED
        model = m.AccountModel
        tx = Tx()
        if acc is None:
            tombstone = model(
                id=event.id,
                name="",
                type="individual",
                plan="basic",
                status=REMOVED,
                currency=NO_CURRENCY,
                licenses=0,
                version=event.version,
            )
            tx.put("account", tombstone, model.id.does_not_exist())
        else:
            tx.update(
                "account",
                key_item(model, event.id),
                [model.status.set(REMOVED), model.version.set(event.version)],
                _fresh(model.version, event.version),
            )
        tx.commit()
        return APPLIED

    return _retrying(f"account {event.id}", attempt)


def apply_subscription(event: SubscriptionChanged) -> str:
    """The account's one subscription, versioned on its own (``subscription_version``)."""

    def attempt() -> str:
        (acc,) = read_many([(m.AccountModel, event.account_id)])
        if acc is None:
            raise _unknown_account(event.account_id)
        if (acc.subscription_version or 0) >= event.version:
            return IGNORED
        model = m.AccountModel
        sub = m.SubscriptionAttribute(
            amount_minor=event.amount_minor,
            currency=event.currency,
            interval=event.interval,
            current_period_start=event.current_period_start,
            current_period_end=event.current_period_end,
            payment_method=event.payment_method,
            status=event.status,
            external_id=event.external_id,
        )
        tx = Tx()
        tx.update(
            "account",
            key_item(model, event.account_id),
            [model.subscription.set(sub), model.subscription_version.set(event.version)],  # type: ignore[arg-type]
            model.id.exists() & _fresh(model.subscription_version, event.version),
        )
        tx.commit()
        return APPLIED

    return _retrying(f"subscription of {event.account_id}", attempt)


# ---------------------------------------------------------------- users


def _seen(user: m.UserModel | None, tombstone: m.UserTombstoneModel | None) -> int:
    return max(int(user.version or 0) if user else 0, int(tombstone.version) if tombstone else 0)


def _user_as_read(user: m.UserModel | None, version: int) -> Any:
    model = m.UserModel
    if user is None:
        return model.id.does_not_exist()
    return _fresh(model.version, version) & (model.account_id == user.account_id) & (model.user_type == user.user_type)


def _release_email(tx: Tx, email: str, user_id: str) -> None:
    model = m.UserEmailModel
    tx.delete("old_email", key_item(model, model.key(email)), model.id.does_not_exist() | (model.user_id == user_id))


def apply_user(event: UserChanged) -> str:
    """Create or change a user; a new account moves them (both accounts' members and licenses follow).
    An address another user has is a :class:`MalformedPlatformEvent`: nothing is applied."""
    email = event.email.strip().lower()

    def attempt() -> str:
        user, tombstone, owner, acc = read_many(
            [
                (m.UserModel, event.id),
                (m.UserTombstoneModel, m.UserTombstoneModel.key(event.id)),
                (m.UserEmailModel, m.UserEmailModel.key(email)),
                (m.AccountModel, event.account_id),
            ]
        )
        if _seen(user, tombstone) >= event.version:
            return IGNORED
        if owner is not None and owner.user_id != event.id:
            raise MalformedPlatformEvent("UserChanged: the e-mail address is another user's", code="email_taken")
        if acc is None:
            raise _unknown_account(event.account_id)
        before = None
        if user is not None and user.account_id != event.account_id:
            (before,) = read_many([(m.AccountModel, user.account_id)])
        tx = Tx()
        item = m.UserModel(
            id=event.id,
            email=email,
            name=event.name,
            language=event.language,
            account_id=event.account_id,
            role=event.role,
            user_type=event.user_type,
            version=event.version,
        )
        tx.put("user", item, _user_as_read(user, event.version))
        if tombstone is not None:
            tx.delete(
                "tombstone",
                key_item(m.UserTombstoneModel, tombstone.id),
                m.UserTombstoneModel.version == int(tombstone.version),
            )
        index = m.UserEmailModel
        tx.put(
            "email",
            index(id=index.key(email), user_id=event.id, account_id=event.account_id, language=event.language),
            index.id.does_not_exist() | (index.user_id == event.id),
        )
        if user is not None and user.email != email:
            _release_email(tx, user.email, event.id)
        licensed = int(event.user_type == "licensed")
        was_licensed = int(user is not None and user.user_type == "licensed")
        if user is None:
            _recount(tx, "account", acc, members=1, used=licensed)
        elif user.account_id == event.account_id:
            if licensed != was_licensed:
                _recount(tx, "account", acc, used=licensed - was_licensed)
        else:
            if before is not None:
                _recount(tx, "account_before", before, members=-1, used=-was_licensed)
            _recount(tx, "account", acc, members=1, used=licensed)
        tx.commit()
        return APPLIED

    return _retrying(f"user {event.id}", attempt)


def remove_user(event: UserRemoved) -> str:
    """The user, their address and their membership go; a tombstone keeps the version."""

    def attempt() -> str:
        user, tombstone = read_many(
            [(m.UserModel, event.id), (m.UserTombstoneModel, m.UserTombstoneModel.key(event.id))]
        )
        if _seen(user, tombstone) >= event.version:
            return IGNORED
        tx = Tx()
        tomb = m.UserTombstoneModel
        tx.put("tombstone", tomb(id=tomb.key(event.id), version=event.version), _fresh(tomb.version, event.version))
        if user is not None:
            (acc,) = read_many([(m.AccountModel, user.account_id)])
            tx.delete("user", key_item(m.UserModel, event.id), _user_as_read(user, event.version))
            _release_email(tx, user.email, event.id)
            if acc is not None:
                _recount(tx, "account", acc, members=-1, used=-int(user.user_type == "licensed"))
        tx.commit()
        return APPLIED

    return _retrying(f"user {event.id}", attempt)


# ---------------------------------------------------------------- invoices


def _open_amount(inv: m.InvoiceModel | None) -> int:
    return int(inv.amount_minor) if inv is not None and inv.status == OPEN else 0


def _invoice_as_read(inv: m.InvoiceModel | None, version: int) -> Any:
    model = m.InvoiceModel
    if inv is None:
        return model.id.does_not_exist()
    return (
        _fresh(model.version, version)
        & (model.status == inv.status)
        & (model.amount_minor == int(inv.amount_minor))
        & (model.account_id == inv.account_id)
    )


def _owe(tx: Tx, label: str, account_id: str, delta: int) -> None:
    """The account's balance due moves by ``delta`` (the change of its open invoices)."""
    if delta:
        model = m.AccountModel
        tx.update(label, key_item(model, account_id), [model.balance_due_minor.add(delta)], model.id.exists())


def apply_invoice(event: InvoiceChanged) -> str:
    """The invoice as the billing system has it; the balance due moves by the change of its open amount."""

    def attempt() -> str:
        inv, acc = read_many([(m.InvoiceModel, event.id), (m.AccountModel, event.account_id)])
        if inv is not None and (inv.version or 0) >= event.version:
            return IGNORED
        if acc is None:
            raise _unknown_account(event.account_id)
        tx = Tx()
        item = m.InvoiceModel(
            id=event.id,
            account_id=event.account_id,
            amount_minor=event.amount_minor,
            currency=event.currency,
            status=event.status,
            version=event.version,
        )
        tx.put("invoice", item, _invoice_as_read(inv, event.version))
        was, now = _open_amount(inv), event.amount_minor if event.status == OPEN else 0
        if inv is not None and inv.account_id != event.account_id:
            _owe(tx, "account_before", inv.account_id, -was)
            _owe(tx, "account", event.account_id, now)
        else:
            _owe(tx, "account", event.account_id, now - was)
        tx.commit()
        return APPLIED

    return _retrying(f"invoice {event.id}", attempt)


def remove_invoice(event: InvoiceRemoved) -> str:
    """The invoice stays as a tombstone in status ``removed``; an open one no longer counts as owed."""

    def attempt() -> str:
        (inv,) = read_many([(m.InvoiceModel, event.id)])
        if inv is not None and (inv.version or 0) >= event.version:
            return IGNORED
        tx = Tx()
        if inv is None:
            tombstone = m.InvoiceModel(
                id=event.id, account_id="", amount_minor=0, currency=NO_CURRENCY, status=REMOVED, version=event.version
            )
        else:
            tombstone = m.InvoiceModel(
                id=event.id,
                account_id=inv.account_id,
                amount_minor=int(inv.amount_minor),
                currency=inv.currency,
                status=REMOVED,
                version=event.version,
            )
            _owe(tx, "account", inv.account_id, -_open_amount(inv))
        tx.put("invoice", tombstone, _invoice_as_read(inv, event.version))
        tx.commit()
        return APPLIED

    return _retrying(f"invoice {event.id}", attempt)
