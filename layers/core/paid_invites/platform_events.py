"""The events the platform sends about its directory and billing facts: typed values, parsed strictly.

The platform (sign-up, billing) owns accounts, users, subscriptions and invoices; it tells the service what
changed by putting these events on the platform bus. Every ``detail`` carries the entity's ``version``, an
integer the platform increases with every change of that entity: an older version than the one applied is
ignored, the same version changes nothing. Anything that does not match its model exactly is a
:class:`~paid_invites.errors.MalformedPlatformEvent` and is applied nowhere.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import MalformedPlatformEvent

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class PlatformEvent(BaseModel):
    """Strict: no unknown fields, no coercion (a number in a string is malformed). Each model's validator is
    built when it first validates (``defer_build``): a cold start builds the one its event needs."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    version: int = Field(ge=1, description="increases with every change of this entity; older ones are ignored")

    @property
    def detail_type(self) -> str:
        return type(self).__name__


class AccountChanged(PlatformEvent):
    """An account was created or changed. ``licenses`` is every license the account has bought; the
    service counts how many are used by members and held for pending invitations."""

    id: Id
    name: str = Field(max_length=200)
    type: Literal["organization", "individual"]
    plan: str = Field(min_length=1, max_length=100, description='"basic" is the free plan')
    status: Literal["active", "closed", "suspended"]
    currency: Currency
    licenses: int = Field(ge=0)
    billing_customer_id: str | None = Field(default=None, max_length=200, description="e.g. Stripe cus_...")


class AccountRemoved(PlatformEvent):
    id: Id


class UserChanged(PlatformEvent):
    """A user was created or changed; a new ``account_id`` moves the user to that account."""

    id: Id
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(default="", max_length=200)
    language: str = Field(default="en", min_length=2, max_length=10)
    account_id: Id
    role: Literal["owner", "admin", "member"] = "member"
    user_type: Literal["basic", "licensed"] = "basic"


class UserRemoved(PlatformEvent):
    id: Id


class SubscriptionChanged(PlatformEvent):
    """The account's (one) subscription, as the billing system has it now."""

    account_id: Id
    amount_minor: int = Field(ge=0)
    currency: Currency
    interval: Literal["month", "year"]
    current_period_start: datetime
    current_period_end: datetime
    payment_method: str = Field(min_length=1, max_length=100)
    status: Literal["active", "cancelled"]
    external_id: str | None = Field(default=None, max_length=200, description="e.g. Stripe sub_...")


class InvoiceChanged(PlatformEvent):
    """An invoice of the account; an ``open`` one counts towards what the account owes."""

    id: Id
    account_id: Id
    amount_minor: int = Field(ge=0)
    currency: Currency
    status: Literal["open", "paid", "void"]


class InvoiceRemoved(PlatformEvent):
    id: Id


CONSUMED: tuple[type[PlatformEvent], ...] = (
    AccountChanged,
    AccountRemoved,
    UserChanged,
    UserRemoved,
    SubscriptionChanged,
    InvoiceChanged,
    InvoiceRemoved,
)
BY_DETAIL_TYPE: dict[str, type[PlatformEvent]] = {model.__name__: model for model in CONSUMED}
DETAIL_TYPES: tuple[str, ...] = tuple(BY_DETAIL_TYPE)

AnyPlatformEvent = (
    AccountChanged | AccountRemoved | UserChanged | UserRemoved | SubscriptionChanged | InvoiceChanged | InvoiceRemoved
)


def parse(detail_type: str, detail: Any) -> AnyPlatformEvent:
    """The typed event, or :class:`MalformedPlatformEvent` (unknown detail-type, a detail that is not an
    object, a missing, unknown or mistyped field, a period that ends before it starts)."""
    model = BY_DETAIL_TYPE.get(detail_type)
    if model is None:
        raise MalformedPlatformEvent(f"unknown detail-type {detail_type!r}", code="unknown_detail_type")
    if not isinstance(detail, dict):
        raise MalformedPlatformEvent(f"{detail_type}: the detail is not a JSON object", code="not_an_object")
    try:
        # JSON mode: strict types as JSON has them (ISO 8601 strings for date-times, no numbers in strings).
        event = model.model_validate_json(json.dumps(detail))
    except (ValidationError, TypeError, ValueError) as error:
        raise MalformedPlatformEvent(f"{detail_type}: {_reason(error)}", code="invalid_detail") from error
    if isinstance(event, SubscriptionChanged):
        start, end = event.current_period_start, event.current_period_end
        if start.tzinfo is None or end.tzinfo is None:
            raise MalformedPlatformEvent(f"{detail_type}: period times need a UTC offset", code="invalid_detail")
        if (end - start).total_seconds() < 1:
            raise MalformedPlatformEvent(f"{detail_type}: the period ends before it starts", code="invalid_detail")
    return event  # type: ignore[return-value]


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'detail'}: {e['msg']}" for e in error.errors()[:5])
    return str(error)


def detail_of(event: PlatformEvent) -> dict[str, Any]:
    """The JSON ``detail`` the platform sends for this event (the inverse of :func:`parse`)."""
    return event.model_dump(mode="json", exclude_none=True)
