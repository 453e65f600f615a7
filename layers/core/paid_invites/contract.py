"""The admin API's request and response models: validation at the edge and the OpenAPI document.

Pydantic comes with the Powertools layer; the domain never sees these classes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["pending", "accepted", "revoked", "expired", "bounced", "failed"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InviteeIn(Strict):
    email: str = Field(max_length=320, description="trimmed and lower-cased; validated per invitee")
    user_type: Literal["basic", "licensed"] = "licensed"
    role: Literal["member", "admin"] = Field("member", description="only the owner may invite an admin")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)


class InviteRequest(Strict):
    invitees: list[InviteeIn] = Field(min_length=1, max_length=1000)


class InviteResult(BaseModel):
    email: str
    status: Literal["created", "rejected"]
    invitation_id: str | None = None
    reason: str | None = Field(
        None,
        description="invalid_email | duplicate_in_request | already_member | already_invited | "
        "no_license_available | role_not_allowed | pending_limit_reached | daily_limit_reached",
    )
    warnings: list[str] = Field(default_factory=list, description="e.g. downgrades_paid_plan")


class InviteResponse(BaseModel):
    results: list[InviteResult]


class HistoryEvent(BaseModel):
    model_config = ConfigDict(extra="allow")
    event: str
    by: str
    at: str


class InvitationOut(BaseModel):
    id: str
    account_id: str
    email: str
    first_name: str
    last_name: str
    user_type: str
    role: str
    status: Status
    inviter_id: str
    created_at: str
    expires_at: str
    sent_at: str | None
    accepted_at: str | None
    settlement: str | None
    history: list[HistoryEvent]


class InvitationList(BaseModel):
    invitations: list[InvitationOut]
    next_cursor: str | None


class MoneyOut(BaseModel):
    amount_minor: int
    currency: str


class Licenses(BaseModel):
    total: int
    used: int
    held_by_pending: int
    free: int


class LedgerEntry(BaseModel):
    invitation_id: str
    kind: str
    account_id: str
    user_id: str | None
    amount_minor: int
    currency: str
    at: str


class AccountSummary(BaseModel):
    id: str
    name: str
    type: str
    plan: str
    status: str
    currency: str
    licenses: Licenses
    balance_due: MoneyOut = Field(description="what the account owes (open invoices)")
    credit: MoneyOut = Field(description="credit received, kept apart from the balance")
    ledger: list[LedgerEntry]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
