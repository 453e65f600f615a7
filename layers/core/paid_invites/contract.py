"""The admin API's request and response models: validation at the edge and the OpenAPI document.

Pydantic comes with the Powertools layer; the domain never sees these classes. Every model is built on
first use (``defer_build``): a cold start builds the validators of the route it serves, not the models that
only describe responses in the OpenAPI document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel as PydanticModel
from pydantic import ConfigDict, Field

from .clock import iso
from .fields import same_named

if TYPE_CHECKING:
    from .accounts import Account, User
    from .invitations import Invitation
    from .ledger import LedgerEntry as LedgerRecord
    from .members import Removal
    from .money import Money
    from .store.import_records import ImportRecord
    from .usecases.bulk_import import ImportPage
    from .usecases.import_history import ImportHistory
    from .usecases.invite import InviteOutcome

Status = Literal["pending", "accepted", "revoked", "expired", "bounced", "failed"]


class BaseModel(PydanticModel):
    """pydantic's, built on first use."""

    model_config = ConfigDict(defer_build=True)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class InviteeIn(Strict):
    email: str = Field(max_length=320, description="trimmed and lower-cased; validated per invitee")
    user_type: Literal["basic", "licensed"] = "licensed"
    role: Literal["member", "admin"] = Field("member", description="only the owner may invite an admin")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)


class InviteRequest(Strict):
    invitees: list[InviteeIn] = Field(min_length=1, max_length=100, description="at most MaxInviteesPerRequest")
    send_email: bool = Field(
        True,
        description="false: we send no e-mail (no invitation, no reminders); each created result carries its "
        "accept_url, shown in this answer only (an Idempotency-Key replay leaves it out: resend for a new link)",
    )
    redirect_url: str | None = Field(
        None,
        max_length=2048,
        description="where the invitee goes after accepting: an http(s) URL on an origin of RedirectOrigins "
        "(else 400 redirect_not_allowed)",
    )
    message: str | None = Field(
        None,
        max_length=500,
        description="a personal message from the inviter, plain text (line breaks allowed, no other control "
        "characters: 400 invalid_message), in the e-mails and on the accept page",
    )


class InviteResult(BaseModel):
    email: str
    status: Literal["created", "rejected"]
    invitation_id: str | None = None
    reason: str | None = Field(
        None,
        description="invalid_email | duplicate_in_request | already_member | already_invited | "
        "no_license_available | role_not_allowed | pending_limit_reached | daily_limit_reached",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description=(
            "`delivery_delayed`: created, its e-mail goes out with the scheduled job's next run; "
            "`link_not_repeated`: an Idempotency-Key replay of a request without e-mail, whose accept_url was "
            "in the first answer only (resend the invitation for a new link); "
            "never about the invitee's own account"
        ),
    )
    accept_url: str | None = Field(
        None, description="send_email false: the invitation's accept link; shown in this answer only, never again"
    )


class InviteResponse(BaseModel):
    results: list[InviteResult]

    @classmethod
    def from_domain(cls, outcomes: list[InviteOutcome]) -> InviteResponse:
        return cls(results=[InviteResult(**vars(o)) for o in outcomes])

    def answer(self) -> dict[str, Any]:
        """The JSON answer: a result leaves out what it has not (no id when rejected, no reason when created)."""
        return self.model_dump(exclude_defaults=True)

    def kept_answer(self) -> dict[str, Any]:
        """The answer as an Idempotency-Key replay gives it: without the accept links, which are shown once
        and stored nowhere in clear (a result that had one says ``link_not_repeated``)."""
        kept = [
            r.model_copy(update={"accept_url": None, "warnings": [*r.warnings, LINK_NOT_REPEATED]})
            if r.accept_url
            else r
            for r in self.results
        ]
        return InviteResponse(results=kept).answer()


LINK_NOT_REPEATED = "link_not_repeated"


class HistoryEvent(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    event: str
    by: str
    at: str


# the invitation's fields the admin API shows as they are (the times it shows as ISO-8601 text)
_SHOWN_AS_IS = ("id", "account_id", "email", "first_name", "last_name", "user_type", "role", "status", "inviter_id")


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
    settlement_state: Literal["requested", "completed", "failed"] | None = Field(
        None,
        description="where the money stands once booked: completed (confirmed), requested (billing has not "
        "answered yet) or failed (settlement_failure says why; an operator may request it again)",
    )
    settlement_failure: str | None = Field(None, description="why a billing request failed")
    send_email: bool = Field(True, description="false: created without e-mail; its link went to the admin")
    redirect_url: str | None = Field(None, description="where the invitee goes after accepting")
    message: str | None = Field(None, description="the inviter's personal message")
    history: list[HistoryEvent]

    @classmethod
    def from_domain(cls, inv: Invitation) -> InvitationOut:
        """An invitation as the admin API shows it: never the token hash or the task token."""
        return cls(
            **same_named(inv, _SHOWN_AS_IS),
            created_at=iso(inv.created_at),
            expires_at=iso(inv.expires_at),
            sent_at=iso(inv.sent_at) if inv.sent_at else None,
            accepted_at=iso(inv.accepted_at) if inv.accepted_at else None,
            settlement=inv.settlement,
            settlement_state=inv.settlement_state,  # type: ignore[arg-type]
            settlement_failure=inv.settlement_failure,
            send_email=inv.send_email,
            redirect_url=inv.redirect_url,
            message=inv.message,
            history=[HistoryEvent(**entry) for entry in inv.history],  # type: ignore[arg-type]
        )

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class ResendOut(InvitationOut):
    accept_url: str | None = Field(
        None,
        description="an invitation created without e-mail: its new accept link (the previous one no longer works), "
        "shown in this answer only; absent otherwise and on an Idempotency-Key replay",
    )

    @classmethod
    def resent(cls, inv: Invitation, accept_url: str | None) -> ResendOut:
        return cls(**InvitationOut.from_domain(inv).model_dump(), accept_url=accept_url)

    def answer(self) -> dict[str, Any]:
        return self.model_dump(exclude={"accept_url"} if self.accept_url is None else set())

    def kept_answer(self) -> dict[str, Any]:
        """The answer as an Idempotency-Key replay gives it: without the link, shown once."""
        return self.model_dump(exclude={"accept_url"})


class InvitationList(BaseModel):
    invitations: list[InvitationOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, invitations: list[Invitation], next_cursor: str | None) -> InvitationList:
        return cls(invitations=[InvitationOut.from_domain(i) for i in invitations], next_cursor=next_cursor)

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class MoneyOut(BaseModel):
    amount_minor: int
    currency: str

    @classmethod
    def from_domain(cls, money: Money) -> MoneyOut:
        return cls(amount_minor=money.amount_minor, currency=money.currency)


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
    state: Literal["requested", "completed", "failed"] = Field(
        "completed", description="completed: the money moved (confirmed); requested: billing has not answered yet"
    )
    attempt: int = Field(1, description="the billing request's attempt (an operator's retry of a failed one adds one)")
    failure: str | None = Field(None, description="why the billing request failed")

    @classmethod
    def from_domain(cls, entry: LedgerRecord) -> LedgerEntry:
        names = ("invitation_id", "kind", "account_id", "user_id", "amount_minor", "currency", "state", "attempt")
        return cls(**same_named(entry, names), failure=entry.failure, at=iso(entry.created_at))


class AccountSummary(BaseModel):
    id: str
    name: str
    type: str
    plan: str
    status: str
    currency: str
    licenses: Licenses
    balance_due: MoneyOut = Field(description="what the account owes (open invoices)")
    credit: MoneyOut = Field(
        description="credit received, kept apart from the balance: only what billing confirmed (a credit transfer "
        "still requested is in the ledger, not here)"
    )
    ledger: list[LedgerEntry]

    @classmethod
    def from_domain(cls, org: Account, ledger: list[LedgerRecord]) -> AccountSummary:
        return cls(
            **same_named(org, ("id", "name", "type", "plan", "status", "currency")),
            licenses=Licenses(
                total=org.licenses_total,
                used=org.licenses_used,
                held_by_pending=org.licenses_held,
                free=org.licenses_free,
            ),
            balance_due=MoneyOut.from_domain(org.balance_due),
            credit=MoneyOut.from_domain(org.credit),
            ledger=[LedgerEntry.from_domain(e) for e in ledger],
        )

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class MemberOut(BaseModel):
    id: str
    email: str
    name: str
    role: str = Field(description="owner | admin | member")
    user_type: str = Field(description="basic | licensed")
    language: str

    @classmethod
    def from_domain(cls, user: User) -> MemberOut:
        return cls(**same_named(user, ("id", "email", "name", "role", "user_type", "language")))

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class MemberList(BaseModel):
    members: list[MemberOut] = Field(description="ordered by e-mail")
    next_cursor: str | None = Field(description="more members follow (pass it as cursor)")

    @classmethod
    def from_domain(cls, users: list[User], next_cursor: str | None) -> MemberList:
        return cls(members=[MemberOut.from_domain(u) for u in users], next_cursor=next_cursor)

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class MemberRemovalOut(BaseModel):
    user_id: str
    account_id: str = Field(description="the organization the member left")
    own_account_id: str = Field(
        description="the individual account the user has again (free plan, the user its owner and a basic user)"
    )
    role: Literal["admin", "member"] = Field(description="what the user was in the organization")
    user_type: Literal["basic", "licensed"] = Field(description="licensed: the license is free again")
    removed_at: str
    removed_by: str

    @classmethod
    def from_domain(cls, removal: Removal) -> MemberRemovalOut:
        return cls(
            **same_named(removal, ("user_id", "account_id", "own_account_id", "role", "user_type")),
            removed_at=iso(removal.at),
            removed_by=removal.by,
        )

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, object] = Field(
        default_factory=dict, description="what the code needs said (validation_failed: problems, a list)"
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


# ---------------------------------------------------------------- bulk import (imports.py, docs/import.md)


class ImportTotals(BaseModel):
    rows: int = Field(description="data rows of the file (blank lines are not rows)")
    processed: int
    created: int
    rejected: int


class ImportFailure(BaseModel):
    code: str = Field(description="e.g. forbidden (the uploader may no longer invite), account_not_eligible")
    message: str


class ImportOut(BaseModel):
    id: str
    account_id: str
    status: Literal["running", "completed", "failed", "cancelled"]
    created_at: str
    finished_at: str | None
    totals: ImportTotals
    progress_percent: int = Field(ge=0, le=100)
    ignored_columns: list[str] = Field(description="header columns that are not imported (unknown names)")
    failure: ImportFailure | None

    @classmethod
    def from_domain(cls, record: ImportRecord) -> ImportOut:
        return cls(**_import_fields(record))

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


def _import_fields(record: ImportRecord) -> dict[str, Any]:
    """An import as the API shows it: its counters, progress and failure (never its caller or rows)."""
    failure = {"code": record.failure_code, "message": record.failure_message or ""} if record.failure_code else None
    return {
        **same_named(record, ("id", "account_id", "status", "ignored_columns")),
        "created_at": iso(record.created_at),
        "finished_at": iso(record.finished_at) if record.finished_at else None,
        "totals": {
            "rows": record.total_rows,
            "processed": record.processed,
            "created": record.created,
            "rejected": record.rejected,
        },
        "progress_percent": record.processed * 100 // record.total_rows if record.total_rows else 100,
        "failure": failure,
    }


class ImportList(BaseModel):
    imports: list[ImportOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="older imports follow (pass it as cursor)")

    @classmethod
    def from_domain(cls, history: ImportHistory) -> ImportList:
        return cls(imports=[ImportOut.from_domain(r) for r in history.imports], next_cursor=history.next_cursor)

    def answer(self) -> dict[str, Any]:
        return self.model_dump()


class ImportRowResult(BaseModel):
    row: int = Field(description="1 = the first row after the header; blank lines are counted, not imported")
    email: str
    status: Literal["created", "rejected", "not_processed"]
    invitation_id: str | None = None
    reason: str | None = Field(
        None,
        description="the single invite's reason codes (duplicate_in_request: the address is on an earlier row), "
        "or invalid_name (a name longer than 100 characters)",
    )
    warnings: list[str] = Field(default_factory=list)


class ImportProgress(ImportOut):
    results: list[ImportRowResult] = Field(description="in row order, from the cursor on")
    next_cursor: str | None = Field(description="more results (or, while running, rows not processed yet) follow")

    @classmethod
    def from_domain(cls, page: ImportPage) -> ImportProgress:  # type: ignore[override]
        rows = [ImportRowResult(**row) for row in page.results]
        return cls(**_import_fields(page.record), results=rows, next_cursor=page.next_cursor)

    def answer(self) -> dict[str, Any]:
        """A row shows what it has: no invitation id when rejected, no reason when created."""
        rows = [row.model_dump(exclude_unset=True) for row in self.results]
        return {**self.model_dump(exclude={"results", "next_cursor"}), "results": rows, "next_cursor": self.next_cursor}
