"""pynamodb models: persistence only, no rules. Table names are bound on first use from settings.

Key schemas and indexes here must match ``template.yaml`` (a test compares them).

Every model talks to DynamoDB through one client per container (pynamodb would make a botocore session
and a client per model class), made from the container's botocore session (``aws.session``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from .. import aws
from ..config import Settings, get_settings


class _Model(Model):
    """A model bound to its table (``bind``) and to the container's one DynamoDB client on first use."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        bind()
        table = super()._get_connection()
        shared = dynamodb()
        if table.connection._client is not shared:
            table.connection._client = shared
        return table


class SubscriptionAttribute(MapAttribute[str, Any]):
    amount_minor = NumberAttribute()
    interval = UnicodeAttribute()
    current_period_start = UTCDateTimeAttribute()
    current_period_end = UTCDateTimeAttribute()
    payment_method = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    currency = UnicodeAttribute(null=True)  # set on the snapshot an accepted invitation keeps
    external_id = UnicodeAttribute(null=True)  # the billing system's id of the subscription


class AccountModel(_Model):
    class Meta:
        table_name = "accounts"

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    plan = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    currency = UnicodeAttribute()
    licenses_free = NumberAttribute(default=0)
    licenses_used = NumberAttribute(default=0)
    licenses_held = NumberAttribute(default=0)
    credit_minor = NumberAttribute(default=0)
    balance_due_minor = NumberAttribute(default=0)
    members_count = NumberAttribute(default=0)
    invitations_pending = NumberAttribute(default=0)  # open invitations (the per-account limit)
    invited_day = UnicodeAttribute(null=True)  # the UTC day (YYYY-MM-DD) invited_today counts (the daily limit)
    invited_today = NumberAttribute(null=True)  # invitations created on invited_day
    subscription = SubscriptionAttribute(null=True)
    billing_customer_id = UnicodeAttribute(null=True)
    # what the platform's events set (store/directory.py): the versions applied, and every license bought
    version = NumberAttribute(null=True)  # of the account (AccountChanged, AccountRemoved)
    subscription_version = NumberAttribute(null=True)  # of its subscription (SubscriptionChanged)
    licenses = NumberAttribute(null=True)  # licenses_free + licenses_used + licenses_held, as far as it goes


class UsersByAccount(GlobalSecondaryIndex["UserModel"]):
    """An account's users by e-mail (the members list). The ``email#`` items have no ``email``: not in it."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)


class RemovalAttribute(MapAttribute[str, Any]):
    """The user's latest removal from an organization (store/members.py): what a retry of it finds."""

    n = NumberAttribute()  # the user's how-many-th removal: the new own account's id derives from it
    account_id = UnicodeAttribute()  # the organization left
    own_account_id = UnicodeAttribute()  # the individual account the user got
    at = UTCDateTimeAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()  # in the organization
    user_type = UnicodeAttribute()
    event_pending = BooleanAttribute(default=False)  # its MemberRemoved event is not published yet


class UserModel(_Model):
    class Meta:
        table_name = "users"

    id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    language = UnicodeAttribute(default="en")
    account_id = UnicodeAttribute()
    role = UnicodeAttribute(default="member")
    user_type = UnicodeAttribute(default="basic")
    version = NumberAttribute(null=True)  # the platform's (UserChanged); none on a user the accept created
    removal = RemovalAttribute(null=True)

    by_account = UsersByAccount()


class UserEmailModel(_Model):
    """The e-mail index of the users table: ``email#<address>`` -> user. Also makes e-mails unique."""

    class Meta:
        table_name = "users"

    id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    language = UnicodeAttribute(default="en")

    @staticmethod
    def key(email: str) -> str:
        return f"email#{email}"


class UserTombstoneModel(_Model):
    """``removed#<user id>``: the user was removed at this version (an older UserChanged does not bring
    them back)."""

    class Meta:
        table_name = "users"

    id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute()

    @staticmethod
    def key(user_id: str) -> str:
        return f"removed#{user_id}"


class InvoiceModel(_Model):
    class Meta:
        table_name = "invoices"

    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # open | paid | void | removed (InvoiceRemoved's tombstone)
    version = NumberAttribute(null=True)  # the platform's (InvoiceChanged, InvoiceRemoved)


class InvitationsByAccount(GlobalSecondaryIndex["InvitationModel"]):
    """The admin's list: keys and the e-mail (the prefix filter) only, so that the invitation's other writes
    do not rewrite a copy here; the list reads the page's invitations from the table."""

    class Meta:
        index_name = "by_account_status"
        projection = IncludeProjection(["email"])

    account_id = UnicodeAttribute(hash_key=True)
    status_key = UnicodeAttribute(range_key=True)  # "<status>#<created_at>#<id>"


# What the sparse due index copies of an invitation: what the scheduled job decides an open, e-mailed
# invitation's next step from and renders its reminder with (store/schedule.py ``due``). Not the task token
# (up to 2,048 characters on AWS), the history, the subscription or the settlement: the writes that change
# only those (the settlement's, the mail marks, the history's) write nothing in the index, and its entries stay
# small. The job reads the whole item for its other, rarer steps (expiry, start, reconcile, notices).
DUE_PROJECTED = [
    "status",
    "sent_at",
    "expires_at",
    "reminders_sent",
    "last_reminded_at",
    "reminders_stopped",
    "send_email",
    "email",
    "language",
    "org_name",
    "inviter_name",
    "message",
]


class InvitationsDue(GlobalSecondaryIndex["InvitationModel"]):
    class Meta:
        index_name = "by_due"
        projection = IncludeProjection(DUE_PROJECTED)

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class InvitationModel(_Model):
    class Meta:
        table_name = "invitations"

    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    status_key = UnicodeAttribute()
    email = UnicodeAttribute()
    user_type = UnicodeAttribute()
    role = UnicodeAttribute()
    inviter_id = UnicodeAttribute()
    inviter_name = UnicodeAttribute(default="")
    org_name = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    language = UnicodeAttribute(default="en")
    first_name = UnicodeAttribute(default="")
    last_name = UnicodeAttribute(default="")
    invitee_user_id = UnicodeAttribute(null=True)
    invitee_account_id = UnicodeAttribute(null=True)
    token_hash = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    settlement = UnicodeAttribute(null=True)
    settle_due = BooleanAttribute(default=False)
    subscription = SubscriptionAttribute(null=True)  # the invitee's, as it was when they accepted
    failure = UnicodeAttribute(null=True)
    mailed_for = UnicodeAttribute(null=True)  # sends.sent_mark of the task token whose e-mail went out
    history = ListAttribute[MapAttribute[str, Any]](of=MapAttribute, default=list)
    # The sparse "something is due" index: set while the scheduled job has work on this invitation
    # (an open one: its next reminder or its expiry; an accepted one whose workflow has not settled
    # yet), removed when there is none.
    due_shard = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    # the reminder cadence (reminders.py, lifecycle.py)
    reminders_sent = NumberAttribute(default=0)
    last_reminded_at = UTCDateTimeAttribute(null=True)
    reminder_hashes = ListAttribute[Any](of=UnicodeAttribute, default=list)  # the strings of the hashes
    reminders_stopped = UnicodeAttribute(null=True)
    expiry_notified_at = UTCDateTimeAttribute(null=True)
    accept_notice_at = UTCDateTimeAttribute(null=True)  # the inviter's notice of the acceptance claimed (once)
    mail_events = UnicodeSetAttribute(null=True)  # SES events already recorded (SNS delivers at least once)
    # the invitation's options: no e-mail of ours (the link went back to the admin), where the invitee goes
    # after accepting, the inviter's personal message
    send_email = BooleanAttribute(default=True)
    redirect_url = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    # the money's settlement (store/settlements.py): requested | completed | failed, once booked
    settled_at = UTCDateTimeAttribute(null=True)  # its events are out (mark_settled)
    settlement_state = UnicodeAttribute(null=True)
    settlement_failure = UnicodeAttribute(null=True)  # why a billing request failed
    settlement_version = NumberAttribute(null=True)  # each change of the settlement state: optimistic lock

    by_account_status = InvitationsByAccount()
    by_due = InvitationsDue()


class PendingGuardModel(_Model):
    """``pending#<account>#<email>``: at most one pending invitation per address and organization."""

    class Meta:
        table_name = "invitations"

    id = UnicodeAttribute(hash_key=True)
    invitation_id = UnicodeAttribute()

    @staticmethod
    def key(account_id: str, email: str) -> str:
        return f"pending#{account_id}#{email}"


class SuppressionModel(_Model):
    """``suppressed#<address>``: no more mail of ours goes to this address (it complained)."""

    class Meta:
        table_name = "invitations"

    id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    message_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(email: str) -> str:
        return f"suppressed#{email}"


class LedgerByAccount(GlobalSecondaryIndex["LedgerModel"]):
    class Meta:
        index_name = "by_org_account"
        projection = AllProjection()

    org_account_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class LedgerModel(_Model):
    """Immutable money entries; (invitation id, kind) makes each settlement happen at most once."""

    class Meta:
        table_name = "ledger"

    invitation_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(range_key=True)  # subscription_cancelled | refund_requested | credit_transferred
    org_account_id = UnicodeAttribute()
    account_id = UnicodeAttribute()  # whose money moves
    user_id = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    payment_method = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # billing's answer (store/settlements.py); an entry without a state was booked complete
    state = UnicodeAttribute(null=True)  # requested | completed | failed
    attempt = NumberAttribute(null=True)  # the request's attempt (1 first; an operator's retry adds one)
    requested_at = UTCDateTimeAttribute(null=True)  # when the current attempt was requested
    answered_at = UTCDateTimeAttribute(null=True)
    failure = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)  # the billing system's id of what it did

    by_org_account = LedgerByAccount()


MODELS: dict[str, list[type[Model]]] = {
    "accounts_table": [AccountModel],
    "users_table": [UserModel, UserEmailModel, UserTombstoneModel],
    "invoices_table": [InvoiceModel],
    "invitations_table": [InvitationModel, PendingGuardModel, SuppressionModel],
    "ledger_table": [LedgerModel],
}

_bound: Settings | None = None
_lock = threading.Lock()
_client: tuple[Any, str, Any] | None = None  # (botocore session, region, client)


def dynamodb() -> Any:
    """The container's DynamoDB client, with pynamodb's client settings (timeouts, retries, no parameter
    validation), from the container's botocore session."""
    global _client
    session = aws.session()
    region = _region()
    with _lock:
        if _client is None or _client[0] is not session or _client[1] != region:
            connection = Connection(region=region)
            connection._local.session = session  # pynamodb's own would be a new session per model
            _client = (session, region, connection.client)
        return _client[2]


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def bind(settings: Settings | None = None) -> None:
    """Point every model at the tables the settings name (idempotent; cheap when nothing changed)."""
    global _bound
    settings = settings or get_settings()
    if settings == _bound:
        return
    for attr, models in MODELS.items():
        for model in models:
            point(model, getattr(settings, attr))
    _bound = settings


class TableBinding:
    """``bind`` for the models of a table outside ``MODELS`` (only some functions are given it): points them
    at the table ``setting`` names (and the other models with ``bind``), again only when the settings change."""

    def __init__(self, setting: str, *models: type[Model]) -> None:
        self.setting, self.models = setting, models
        self.bound: Settings | None = None

    def __call__(self) -> None:
        settings = get_settings()
        if settings == self.bound:
            return
        for model in self.models:
            point(model, getattr(settings, self.setting))
        bind()
        self.bound = settings


def point(model: type[Model], table_name: str) -> None:
    """Point one model at a table in this container's region; its next use connects anew."""
    model.Meta.table_name = table_name
    model.Meta.region = _region()
    model._connection = None
